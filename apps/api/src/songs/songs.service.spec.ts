import { expect } from '@jest/globals';
import { topicNames } from '@debut/messaging';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import { AudienceCache, GateService, UnknownEntityError } from '@debut/serving';
import { FakeEncoder, InMemoryCatalog, servingStack } from '../../../../libs/serving/src/testing/fakes';
import { SongsService } from './songs.service';

/** c1 is a cold song whose audience was selected and published at release time. */
async function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('i2i-1', 'i2i', true);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0, 1, 0, 0] }, ['i2i-1']);
  catalog.addSongs('cold', { c1: [0.6, 0.8, 0, 0] }, ['i2i-1']);
  catalog.addPlay('ua', 'w1', 'favorite');
  catalog.addAudience({
    songId: 'c1',
    selectedAt: new Date('2024-05-01T12:00:00Z'),
    publishedAt: new Date('2024-05-01T12:00:01Z'),
  });
  const stack = await servingStack(catalog);
  const topics = topicNames('');
  const service = new SongsService(
    stack.songs,
    stack.audiences,
    stack.embeddings,
    stack.runtime,
    stack.audience,
    new GateService(stack.runtime, stack.embeddings, stack.interactions),
    stack.publisher.asPublisher,
    topics,
    new AudienceCache(stack.audiences, stack.audienceFeed),
    stack.config,
  );
  return {
    catalog,
    service,
    publisher: stack.publisher,
    topic: topics.songAudienceSelected,
    encoder: stack.runtime.i2i!.encoder as FakeEncoder,
  };
}

describe('SongsService.recompute', () => {
  it('publishes the new audience exactly once through the outbox, and marks that row published', async () => {
    const { catalog, service, publisher, topic } = await setUp();
    catalog.addPlay('ub', 'w2'); // a new listener since the release
    const answer = await service.recompute('c1', 10);
    expect(answer.audience.map((m) => m.userId).sort()).toEqual(['ua', 'ub']);
    const sent = publisher.on(topic);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      key: 'c1',
      value: { songId: 'c1', modelVersion: 'i2i-1', selectedAt: answer.selectedAt },
    });
    const row = catalog.s.audiences.find((a) => a.songId === 'c1')!;
    expect(row.publishedAt).not.toBeNull();
    expect(row.publishedAt!.getTime()).toBeGreaterThan(Date.parse('2024-05-01T12:00:01Z'));
  });

  it('leaves the new selection owed (unpublished) when the broker does not acknowledge it', async () => {
    const { catalog, service, publisher } = await setUp();
    publisher.failNext();
    await expect(service.recompute('c1', 10)).rejects.toThrow('ECONNREFUSED');
    const row = catalog.s.audiences.find((a) => a.songId === 'c1')!;
    expect(row.publishedAt).toBeNull(); // not the previous selection's publish time
    expect(new Date(row.selectedAt).getTime()).toBeGreaterThan(Date.parse('2024-05-01T12:00:00Z'));
  });
});

describe('SongsService.sidNeighbours', () => {
  /** A 3-level codebook: the signs of the first three coordinates. */
  const sign = (v: Float32Array) =>
    Array.from({ length: v.length / 4 }, (_, i) => [0, 1, 2].map((j) => +(v[i * 4 + j] > 0)).join('-'));

  async function withSids() {
    const t = await setUp();
    t.encoder.sids = { levels: 3, codes: 2, encode: sign };
    t.catalog.setSongVector('i2i-1', 'w1', [1, 0, 0, 0], '1-0-0');
    t.catalog.setSongVector('i2i-1', 'w2', [0, 1, 0, 0], '0-1-0');
    t.catalog.setSongVector('i2i-1', 'c1', [0.6, 0.8, 0, 0], '1-1-0');
    return t;
  }

  it('lists the songs sharing the first `level` codes (default all but the last), without the song itself', async () => {
    const { service } = await withSids();
    expect(await service.sidNeighbours('c1', undefined, 10)).toEqual({
      songId: 'c1',
      modelVersion: 'i2i-1',
      sid: '1-1-0',
      level: 2,
      prefix: '1-1',
      songs: [],
    });
    const one = await service.sidNeighbours('c1', 1, 10);
    expect(one.prefix).toBe('1');
    expect(one.songs).toEqual([{ songId: 'w1', sid: '1-0-0', pool: 'warm' }]);
    expect((await service.sidNeighbours('w1', 1, 10)).songs.map((s) => s.songId)).toEqual(['c1']);
  });

  it('refuses a level deeper than the SID, an unknown song, and a version without a codebook, with reasons', async () => {
    const { service, encoder } = await withSids();
    await expect(service.sidNeighbours('c1', 4, 10)).rejects.toThrow(BadRequestException);
    await expect(service.sidNeighbours('c1', 4, 10)).rejects.toThrow(/level must be 1..3/);
    await expect(service.sidNeighbours('nope', 1, 10)).rejects.toThrow(UnknownEntityError);
    encoder.sids = null;
    await expect(service.sidNeighbours('c1', 1, 10)).rejects.toThrow(NotFoundException);
    await expect(service.sidNeighbours('c1', 1, 10)).rejects.toThrow(/has no semantic IDs/);
  });

  it('encodes a song stored without a SID from its content, as /similar does with its vector', async () => {
    const { service, catalog } = await withSids();
    catalog.setSongVector('i2i-1', 'c1', [0.6, 0.8, 0, 0]); // stored before the codebook
    const r = await service.sidNeighbours('c1', 1, 10);
    expect(r.sid).toBe('1-1-0');
    expect(r.songs.map((s) => s.songId)).toEqual(['w1']);
  });
});
