/**
 * Releases handled while no I2I model is active are not done without an audience: on real
 * PostgreSQL, the release pipeline stores and queues them, and once a model is activated the
 * worker selects their audience and publishes `song.audience.selected` for each exactly once.
 */
import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import {
  AudienceRepository,
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  ProcessedEventRepository,
  SongRepository,
  openDatabase,
} from '@debut/catalog';
import type { DebutConfig } from '@debut/config';
import { AudienceService, ModelActivation, ModelRuntime, loadDeploymentSchema } from '@debut/serving';
import { ReleasePipeline } from '../apps/worker/src/release-pipeline';
import {
  FakeLoaders,
  FakePublisher,
  contentFor,
  releaseEvent,
  versionRow,
} from '../libs/serving/src/testing/fakes';
import { isolatedEnv, waitFor } from './support';

jest.setTimeout(120_000);

const TOPIC = 'song.audience.selected';
let config: DebutConfig;
let ds: DataSource;

beforeAll(async () => {
  config = await isolatedEnv('serving_state_pending');
  ds = await openDatabase(config.db);
});

afterAll(async () => {
  await ds?.destroy();
});

it('a release stored before any I2I model is active gets its audience published once one is', async () => {
  const songs = new SongRepository(ds);
  const embeddings = new EmbeddingRepository(ds);
  const audiences = new AudienceRepository(ds);
  const interactions = new InteractionRepository(ds);
  const versions = new ModelVersionRepository(ds);
  await songs.insertMany(
    (['w-1', 'w-2'] as const).map((id, i) => ({
      id,
      title: id,
      artistId: 'a-1',
      releasedAt: new Date('2024-01-01T00:00:00Z'),
      pool: 'warm' as const,
      ...contentFor(i ? [0, 1, 0, 0] : [1, 0, 0, 0]),
    })),
  );
  await interactions.insertMany([
    { eventId: 'p-1', userId: 'u-1', songId: 'w-1', kind: 'favorite', weight: 1, occurredAt: new Date() },
    { eventId: 'p-2', userId: 'u-2', songId: 'w-2', kind: 'play', weight: 0.3, occurredAt: new Date() },
  ]);
  await versions.register(versionRow('i2i-1', 'i2i'));

  const runtime = new ModelRuntime(config, versions, embeddings, new FakeLoaders());
  await runtime.refresh();
  const publisher = new FakePublisher();
  const audienceService = new AudienceService(runtime, interactions, config.audience);
  const pipeline = new ReleasePipeline(
    ds,
    songs,
    embeddings,
    audiences,
    new ProcessedEventRepository(),
    runtime,
    audienceService,
    publisher.asPublisher,
    TOPIC,
    loadDeploymentSchema(),
    publisher,
  );

  const outcome = await pipeline.processMany([releaseEvent('c-new', [0.9, 0.1, 0, 0])], 'song.released');
  expect(outcome.storedWithoutModel).toBe(1);
  expect(publisher.on(TOPIC)).toEqual([]);
  expect(await audiences.pending(10)).toEqual([{ songId: 'c-new', eventId: 'evt-c-new' }]);

  await new ModelActivation(config, versions, songs, embeddings, interactions, new FakeLoaders()).activate(
    'i2i-1',
  );
  await runtime.refresh(); // the switch replays the queue
  await waitFor('the queued release to be published', () => publisher.on(TOPIC).length > 0);
  await runtime.refresh();
  await pipeline.processMany([releaseEvent('c-other', [0, 1, 0, 0])], 'song.released'); // drains nothing more

  const sent = publisher.on(TOPIC).filter((p) => p.key === 'c-new');
  expect(sent).toHaveLength(1);
  expect(sent[0].value).toMatchObject({
    songId: 'c-new',
    modelVersion: 'i2i-1',
    audience: [{ userId: 'u-1' }, { userId: 'u-2' }],
  });
  expect(await audiences.pending(10)).toEqual([]);
  expect((await audiences.find('c-new', 'i2i-1'))?.publishedAt).toBeInstanceOf(Date);
  expect((await audiences.find('c-new', 'i2i-1'))?.eventId).toBe('evt-c-new');

  // An activation that flips while the worker still serves the old version: the chunk written
  // with i2i-1 is refused, the pipeline follows the switch and writes it with i2i-2 instead.
  await versions.register(versionRow('i2i-2', 'i2i'));
  await new ModelActivation(config, versions, songs, embeddings, interactions, new FakeLoaders()).activate(
    'i2i-2',
  );
  expect(runtime.state.i2i?.version).toBe('i2i-1'); // not polled yet
  const switched = await pipeline.processMany([releaseEvent('c-switch', [1, 0, 0, 0])], 'song.released');
  expect(switched.selected).toBe(1);
  expect(runtime.state.i2i?.version).toBe('i2i-2');
  expect(await audiences.find('c-switch', 'i2i-2')).not.toBeNull();
  expect(await audiences.find('c-switch', 'i2i-1')).toBeNull();
  expect((await embeddings.songVectorsFor('i2i-1', ['c-switch'])).size).toBe(0);
  expect(runtime.require('i2i').warm.has('w-1')).toBe(true);
});
