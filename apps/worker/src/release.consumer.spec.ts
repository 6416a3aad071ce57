import * as path from 'node:path';
import type { EachBatchPayload, Kafka } from 'kafkajs';
import { VectorIndex } from '@debut/index';
import { DLQ_HEADERS, parseDlqEnvelope, topicNames } from '@debut/messaging';
import { InMemoryCatalog, releaseEvent, servingStack } from '../../../libs/serving/src/testing/fakes';
import { ReleaseConsumer } from './release.consumer';
import { WorkerMetrics } from './worker-metrics';

/** A kafkajs client whose one consumer is driven by hand: deliver() hands it a fetched batch. */
function fakeKafka() {
  const commits: string[] = [];
  const seen: { groupId?: string; subscribed?: unknown; disconnected: boolean } = { disconnected: false };
  let run: { eachBatch?: (p: EachBatchPayload) => Promise<void> } = {};
  let onJoin = () => {};
  const consumer = {
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: (event: string, fn: () => void) => {
      if (event === 'join') onJoin = fn;
    },
    connect: async () => {},
    subscribe: async (s: unknown) => void (seen.subscribed = s),
    run: async (config: typeof run) => {
      run = config;
      setImmediate(() => onJoin());
    },
    commitOffsets: async (offsets: Array<{ offset: string }>) =>
      void commits.push(...offsets.map((o) => o.offset)),
    disconnect: async () => void (seen.disconnected = true),
  };
  const kafka = {
    consumer: (c: { groupId: string }) => ((seen.groupId = c.groupId), consumer),
    producer: () => {
      throw new Error('dead letters must go through the injected publisher');
    },
  } as unknown as Kafka;
  let offset = 0;
  const deliver = (values: Array<object | string>) => {
    const messages = values.map((v) => ({
      offset: String(offset++),
      key: Buffer.from('k'),
      value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
      headers: {},
      timestamp: '0',
      attributes: 0,
    }));
    return run.eachBatch!({
      batch: { topic: 'song.released', partition: 0, messages } as EachBatchPayload['batch'],
      resolveOffset: () => {},
      heartbeat: async () => {},
      pause: () => () => {},
      commitOffsetsIfNecessary: async () => {},
      uncommittedOffsets: () => ({ topics: [] }),
      isRunning: () => true,
      isStale: () => false,
    });
  };
  return { kafka, deliver, commits, seen };
}

async function setUp() {
  const catalog = new InMemoryCatalog();
  catalog.addVersion('i2i-1', 'i2i', true);
  catalog.addVersion('dssm-1', 'dssm', true);
  catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0, 1, 0, 0] }, ['i2i-1', 'dssm-1']);
  catalog.addPlay('ua', 'w1', 'favorite', 1);
  catalog.addPlay('ub', 'w1', 'play', 0.3);
  const s = await servingStack(catalog);
  const metrics = new WorkerMetrics(s.config);
  const k = fakeKafka();
  const stores = [s.dataSource, s.songs, s.embeddings, s.audiences, s.processed] as const;
  const consumer = new ReleaseConsumer(
    s.config,
    k.kafka,
    topicNames(''),
    ...stores,
    s.runtime,
    s.audience,
    s.publisher.asPublisher,
    metrics,
  );
  await consumer.onApplicationBootstrap();
  return { catalog, config: s.config, publisher: s.publisher, metrics, consumer, ...k };
}

describe('ReleaseConsumer', () => {
  beforeEach(() => {
    // TopicConsumer reports dead letters and retries on the console.
    jest.spyOn(console, 'log').mockImplementation(() => {});
    jest.spyOn(console, 'warn').mockImplementation(() => {});
  });
  afterEach(() => jest.restoreAllMocks());

  it('consumes song.released in its own consumer group', async () => {
    const { seen, consumer } = await setUp();
    expect(seen.groupId).toBe('debut-worker.song.released');
    expect(seen.subscribed).toEqual({ topics: ['song.released'], fromBeginning: true });
    await consumer.beforeApplicationShutdown();
  });

  it('dead-letters malformed records with their reason, once, and commits past them; the good release goes through', async () => {
    const { deliver, publisher, commits, consumer } = await setUp();
    const short = releaseEvent('bad', [1, 0, 0, 0], { eventId: 'bad-1' });
    short.features.audio = [1, 2, 3];
    await deliver([releaseEvent('n1', [1, 0, 0, 0]), short, 'not json at all']);

    const dlq = publisher.on('song.released.dlq');
    expect(dlq.map((d) => d.headers?.[DLQ_HEADERS.reason])).toEqual([
      'features.audio: length 3, expected 32',
      expect.stringMatching(/^invalid JSON: /),
    ]);
    expect(parseDlqEnvelope(dlq[0].value as string)).toMatchObject({
      reason: 'features.audio: length 3, expected 32',
      topic: 'song.released',
      partition: 0,
      offset: '1',
      value: JSON.stringify(short),
    });
    expect(publisher.on('song.audience.selected').map((p) => p.key)).toEqual(['n1']);
    expect(commits).toEqual(['3']);
    // Permanent failures are not retried.
    expect(consumer.counters).toMatchObject({ processed: 1, dlq: 2, retries: 0 });
    await consumer.beforeApplicationShutdown();
  });

  it('retries a chunk when the database fails (never dead-lettered, committed after the write)', async () => {
    const { deliver, publisher, commits, consumer, catalog } = await setUp();
    catalog.failNext('transaction', new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    await deliver([releaseEvent('n1', [1, 0, 0, 0])]);
    expect(consumer.counters).toMatchObject({ processed: 1, dlq: 0, retries: 1 });
    expect(publisher.on('song.released.dlq')).toEqual([]);
    expect(catalog.s.audiences.map((a) => a.songId)).toEqual(['n1']);
    expect(commits).toEqual(['1']);
    await consumer.beforeApplicationShutdown();
  });

  it('commits a redelivered chunk without publishing its audiences again', async () => {
    const { deliver, publisher, commits, consumer } = await setUp();
    const e = releaseEvent('n1', [1, 0, 0, 0]);
    await deliver([e]);
    await deliver([e]);
    expect(publisher.on('song.audience.selected')).toHaveLength(1);
    expect(commits).toEqual(['1', '2']);
    expect(consumer.counters).toMatchObject({ processed: 2, dlq: 0 });
    await consumer.beforeApplicationShutdown();
  });

  it('counts the audiences it published and their sizes', async () => {
    const { deliver, metrics, consumer } = await setUp();
    await deliver([releaseEvent('n1', [1, 0, 0, 0]), releaseEvent('n2', [0, 1, 0, 0], { eventId: 'e2' })]);
    expect((await metrics.audiencesSelected.get()).values[0].value).toBe(2);
    const size = await metrics.audienceSize.get();
    // n1's neighbour w1 has two listeners; n2's neighbour w2 has none.
    expect(size.values.find((v) => v.metricName === 'debut_audience_size_sum')?.value).toBe(2);
    expect(size.values.find((v) => v.metricName === 'debut_audience_size_count')?.value).toBe(2);
    await consumer.beforeApplicationShutdown();
  });

  it('leaves the group and saves its pools on shutdown, so a restart does not rebuild them', async () => {
    const { deliver, consumer, seen, config } = await setUp();
    await deliver([releaseEvent('n1', [1, 0, 0, 0])]);
    await consumer.beforeApplicationShutdown();
    expect(seen.disconnected).toBe(true);
    expect(VectorIndex.exists(path.join(config.index.dir, 'i2i-1', 'warm'))).toBe(true);
    const cold = VectorIndex.load(path.join(config.index.dir, 'dssm-1', 'cold'));
    expect(cold.ids()).toEqual(['n1']);
  });
});
