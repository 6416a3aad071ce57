import { expect } from '@jest/globals';
import { topicNames } from '@debut/messaging';
import { AudienceCache, GateService } from '@debut/serving';
import { InMemoryCatalog, servingStack } from '../../../../libs/serving/src/testing/fakes';
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
  return { catalog, service, publisher: stack.publisher, topic: topics.songAudienceSelected };
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
