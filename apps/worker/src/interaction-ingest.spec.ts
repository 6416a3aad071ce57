import type { UserInteractionEvent } from '@debut/features';
import { InMemoryCatalog, consumed } from '../../../libs/serving/src/testing/fakes';
import { InteractionIngest } from './interaction-ingest';

const GRADUATE_AFTER = 2;

function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addSong('w1', 'warm');
  catalog.addSong('c1', 'cold');
  catalog.addSong('c2', 'cold');
  const ingest = new InteractionIngest(catalog.repos.interactions, catalog.repos.songs, GRADUATE_AFTER);
  return { catalog, ingest };
}

let n = 0;
const play = (
  userId: string,
  songId: string,
  kind: UserInteractionEvent['kind'] = 'play',
  extra: object = {},
) => ({
  eventId: `i-${++n}`,
  userId,
  songId,
  kind,
  occurredAt: '2024-05-01T10:00:00+02:00',
  ...extra,
});

describe('InteractionIngest', () => {
  it('stores each valid event with its kind’s weight and marks its users’ vectors stale', async () => {
    const { catalog, ingest } = setUp();
    const events = [
      play('u1', 'w1', 'favorite'),
      play('u1', 'c1', 'complete'),
      play('u2', 'w1', 'play'),
      play('u3', 'w1', 'skip'),
    ];
    await expect(
      ingest.handleBatch(events.map((e, i) => consumed(e, i, 'user.interaction'))),
    ).resolves.toEqual([]);

    expect(catalog.s.interactions.map((i) => [i.eventId, i.userId, i.songId, i.kind, i.weight])).toEqual([
      [events[0].eventId, 'u1', 'w1', 'favorite', 1],
      [events[1].eventId, 'u1', 'c1', 'complete', 0.6],
      [events[2].eventId, 'u2', 'w1', 'play', 0.3],
      [events[3].eventId, 'u3', 'w1', 'skip', 0],
    ]);
    expect(catalog.s.interactions[0].occurredAt).toEqual(new Date('2024-05-01T08:00:00Z'));
    expect(catalog.s.stale).toEqual(new Set(['u1', 'u2', 'u3']));
  });

  it('moves a cold song to the warm pool once it has GRADUATE_AFTER_LISTENERS distinct listeners (skips do not count)', async () => {
    const { catalog, ingest } = setUp();
    await ingest.handleBatch([
      consumed(play('u1', 'c1')),
      consumed(play('u1', 'c1', 'favorite')),
      consumed(play('u2', 'c1', 'skip')),
    ]);
    expect(catalog.s.songs.get('c1')?.pool).toBe('cold'); // one real listener so far

    await ingest.handleBatch([consumed(play('u3', 'c1', 'complete')), consumed(play('u3', 'c2'))]);
    expect(catalog.s.songs.get('c1')).toMatchObject({ pool: 'warm', listenerCount: 2 });
    expect(catalog.s.songs.get('c2')?.pool).toBe('cold');
  });

  it('rejects malformed events with the reason, and events for unknown songs, writing only the rest', async () => {
    const { catalog, ingest } = setUp();
    const good = consumed(play('u1', 'w1'), 0);
    const messages = [
      good,
      consumed(play('u1', 'w1', 'like' as never), 1),
      consumed({ ...play('u1', 'w1'), userId: undefined }, 2),
      consumed(play('u1', 'w1', 'play', { occurredAt: '2024-13-45' }), 3),
      consumed(play('u1', 'w1', 'play', { device: 'phone' }), 4),
      consumed(play('u1', 'never-released'), 5),
    ];
    const rejects = await ingest.handleBatch(messages);
    expect(rejects.map((r) => [r.message.offset, r.reason])).toEqual([
      [
        '1',
        expect.stringMatching(
          /^kind: Invalid enum value\. Expected 'play' \| 'complete' \| 'favorite' \| 'skip', received 'like'$/,
        ),
      ],
      ['2', 'userId: Required'],
      ['3', 'occurredAt: must be an ISO 8601 date-time with an offset, e.g. 2026-11-20T00:00:00Z'],
      ['4', "event: Unrecognized key(s) in object: 'device'"],
      ['5', 'songId: unknown song never-released'],
    ]);
    expect(catalog.s.interactions.map((i) => i.songId)).toEqual(['w1']);
    expect(catalog.s.stale).toEqual(new Set(['u1']));
  });

  it('writes nothing at all when no event of the batch is usable', async () => {
    const { catalog, ingest } = setUp();
    const rejects = await ingest.handleBatch([consumed(play('u1', 'ghost')), consumed({ nonsense: true })]);
    expect(rejects).toHaveLength(2);
    expect(catalog.writes).toEqual([]);
  });

  it('passes event ids through, so a redelivered batch adds no second row and no second listener', async () => {
    const { catalog, ingest } = setUp();
    const batch = [consumed(play('u1', 'c1')), consumed(play('u2', 'c2'))];
    await ingest.handleBatch(batch);
    await ingest.handleBatch(batch);
    expect(catalog.s.interactions).toHaveLength(2);
    expect(catalog.s.songs.get('c1')?.listenerCount).toBe(1);
    expect(catalog.s.songs.get('c1')?.pool).toBe('cold');
  });

  it('propagates a database failure (a transient error for the consumer to retry), not a rejection', async () => {
    const { catalog, ingest } = setUp();
    catalog.failNext('interactions.insertMany');
    await expect(ingest.handleBatch([consumed(play('u1', 'w1'))])).rejects.toThrow(
      'connection terminated unexpectedly',
    );
    expect(catalog.s.stale.size).toBe(0);
  });
});
