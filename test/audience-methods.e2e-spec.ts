/**
 * Every audience method served end to end on real Kafka, PostgreSQL and FAISS: small I2I and
 * DSSM models and an `audience` artifact (ridge map, fusion weights, the validation winner)
 * trained and activated, then a worker started with each AUDIENCE_METHOD turns a release into
 * `song.audience.selected`, which says which method selected it.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { LinearUserScorer, topUsers } from '@debut/audience';
import { openDatabase } from '@debut/catalog';
import {
  ColdStartEvaluator,
  coldSplit,
  generateSynthetic,
  toSongReleasedEvents,
  type Item,
} from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import {
  EventPublisher,
  TOPICS,
  createKafka,
  ensureTopics,
  topicNames,
  type ConsumedMessage,
  type TopicNames,
} from '@debut/messaging';
import {
  FittedAudienceModels,
  asItemEncoder,
  fitAudienceModels,
  initTf,
  newModelVersion,
  saveAudienceArtifact,
} from '@debut/models';
import { importWarm } from '@debut/serving';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { isolatedEnv, topicReader, waitFor } from './support';
import { SmallModels, trainAndActivateSmallModels } from './model-support';

jest.setTimeout(240_000);

interface AudienceEvent {
  songId: string;
  method: string;
  audience: Array<{ userId: string; score: number }>;
}

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let models: SmallModels;
let fitted: FittedAudienceModels;
let coldItems: Item[];
let schemaFeaturizer: Featurizer;
let reader: { records: ConsumedMessage[]; stop: () => Promise<void> };
let released = 0;

beforeAll(async () => {
  env = await isolatedEnv('methods', { AUDIENCE_NEIGHBOURS: '20', AUDIENCE_SIZE: '50' });
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const catalogue = generateSynthetic({ seed: 13, songs: 800, users: 400, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 13 });
  await importWarm(ds, catalogue, split);
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  coldItems = [...split.coldTestItems, ...split.coldValItems].map((id) => byId.get(id)!);
  schemaFeaturizer = new Featurizer(catalogue.schema);
  models = await trainAndActivateSmallModels(ds, env, catalogue, split);

  // The `audience` artifact as `trainer train audience` + `trainer activate` make it.
  const ev = new ColdStartEvaluator(catalogue, split, { k: 20, seed: 13 });
  fitted = await fitAudienceModels(
    ev.trainContext(),
    ev.selector,
    { version: models.i2iVersion, encoder: asItemEncoder(models.i2iEncoder) },
    { version: models.dssmVersion, model: models.dssmModel },
  );
  const version = newModelVersion('audience');
  const dir = `${env.models.dir}/${version}`;
  await saveAudienceArtifact(dir, catalogue.schema, fitted.config, fitted.ridge, {}, version);
  await models.versions.register({
    version,
    kind: 'audience',
    artifactPath: dir,
    dim: 0,
    config: {},
    metrics: {},
  });
  await models.activation.activate(version);

  const kafka = createKafka(env);
  await ensureTopics(kafka, env);
  reader = await topicReader(kafka, topicNames(env.kafka.topicPrefix).songAudienceSelected);
});

afterAll(async () => {
  await reader?.stop();
  await ds?.destroy();
});

/** Starts a worker serving `method`, publishes one held-back song, returns its audience event. */
async function releaseWith(method: string): Promise<{ event: AudienceEvent; item: Item }> {
  process.env.AUDIENCE_METHOD = method;
  const worker: INestApplicationContext = await NestFactory.createApplicationContext(WorkerModule, {
    logger: ['error'],
  });
  try {
    const item = coldItems[released++];
    const [release] = toSongReleasedEvents([item], { seed: released, start: new Date().toISOString() });
    await worker
      .get(EventPublisher)
      .publish(worker.get<TopicNames>(TOPICS).songReleased, release.songId, release);
    const event = await waitFor(`audience of ${release.songId} by ${method}`, () => {
      const r = reader.records.find((x) => x.key === release.songId);
      return r ? (JSON.parse(r.value!.toString()) as AudienceEvent) : null;
    });
    return { event, item: { ...item, id: release.songId } };
  } finally {
    await worker.close();
  }
}

async function storedMethod(songId: string): Promise<string> {
  const [row] = await ds.query<Array<{ method: string }>>('SELECT method FROM audiences WHERE song_id = $1', [
    songId,
  ]);
  return row.method;
}

it('the audience artifact records each method on cold validation and the best of them', () => {
  const v = fitted.config.validation;
  expect(Object.keys(v).sort()).toEqual(['cat', 'content-ridge', 'fusion', 'i2i2u', 'u2i-audience']);
  for (const x of Object.values(v)) expect(x).toBeGreaterThan(0);
  expect(v[fitted.config.best]).toBe(Math.max(...Object.values(v)));
});

it.each(['i2i2u', 'content-ridge', 'u2i-audience', 'cat', 'fusion'])(
  'serves %s from song.released to song.audience.selected',
  async (method) => {
    const { event } = await releaseWith(method);
    expect(event.method).toBe(method);
    expect(event.audience.length).toBeGreaterThan(0);
    expect(event.audience.length).toBeLessThanOrEqual(50);
    const scores = event.audience.map((a) => a.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(await storedMethod(event.songId)).toBe(method);
  },
);

it('content-ridge serves exactly the ridge map of the active artifact', async () => {
  const { event, item } = await releaseWith('content-ridge');
  const scorer = new LinearUserScorer(fitted.config.userIds, fitted.config.inputDim, fitted.ridge);
  const expected = topUsers(fitted.config.userIds, scorer.score(schemaFeaturizer.encode(item.content)), 50);
  expect(event.audience.map((a) => a.userId)).toEqual(expected.map((e) => e.userId));
});

it('auto serves the method that was best on cold validation', async () => {
  const { event } = await releaseWith('auto');
  expect(event.method).toBe(fitted.config.best);
});
