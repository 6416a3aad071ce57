/**
 * Semantic IDs end to end on real Kafka, PostgreSQL and FAISS: a small I2I encoder trained with
 * a 3×8 RQ-KMeans codebook saved beside its artifact is activated (every established song gets
 * its SID), then a release through the worker gets its SID in the database, in
 * song.audience.selected and in the api's audience answer, and GET /v1/songs/{id}/sid-neighbours
 * lists the songs that share its prefix.
 */
import 'reflect-metadata';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { EmbeddingRepository, InteractionRepository, SongRepository, openDatabase } from '@debut/catalog';
import { coldSplit, generateSynthetic, toSongReleasedEvents, type Item } from '@debut/evaluation';
import { EventPublisher, KAFKA, TOPICS, type ConsumedMessage, type TopicNames } from '@debut/messaging';
import { initTf, loadSemanticIds } from '@debut/models';
import { ModelActivation, importWarm, tfModelLoaders } from '@debut/serving';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createApp } from '../apps/api/src/main';
import type { AudienceDto, SidNeighboursDto } from '../apps/api/src/common/dto';
import { isolatedEnv, topicReader, waitFor } from './support';
import { trainSmallI2I } from './model-support';

jest.setTimeout(180_000);

const SHAPE = { levels: 3, codes: 8 };
const SID = /^[0-7]-[0-7]-[0-7]$/;

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let worker: INestApplicationContext;
let api: INestApplication;
let publisher: EventPublisher;
let topics: TopicNames;
let version: string;
let artifactDir: string;
let coldItems: Item[];
let warmIds: string[];
let audienceEvents: { records: ConsumedMessage[]; stop: () => Promise<void> };

const http = () => request(api.getHttpServer() as Server);
const storedSids = async (ids: string[]) =>
  new Map(
    (
      await ds.query<Array<{ song_id: string; sid: string | null }>>(
        'SELECT song_id, sid FROM song_embeddings WHERE model_version = $1 AND song_id = ANY($2)',
        [version, ids],
      )
    ).map((r) => [r.song_id, r.sid] as const),
  );

beforeAll(async () => {
  env = await isolatedEnv('sids');
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const catalogue = generateSynthetic({ seed: 13, songs: 600, users: 300, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 13 });
  await importWarm(ds, catalogue, split);
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  coldItems = split.coldTestItems.map((id) => byId.get(id)!);
  warmIds = split.warmItems;
  const trained = await trainSmallI2I(ds, env, catalogue, split, 13, SHAPE);
  ({ version, dir: artifactDir } = trained);
  const activation = new ModelActivation(
    env,
    trained.versions,
    new SongRepository(ds),
    new EmbeddingRepository(ds),
    new InteractionRepository(ds),
    tfModelLoaders('auto'),
  );
  const report = await activation.activate(version);
  expect(report.sids).toEqual({ songs: report.songsEmbedded, shape: '3x8' });

  worker = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  api = await createApp();
  publisher = worker.get(EventPublisher);
  topics = worker.get(TOPICS);
  audienceEvents = await topicReader(worker.get(KAFKA), topics.songAudienceSelected);
});

afterAll(async () => {
  await audienceEvents?.stop();
  await api?.close();
  await worker?.close();
  await ds?.destroy();
});

it('activation stores every established song a SID of its own vector under the version', async () => {
  const sids = await storedSids(warmIds);
  expect(sids.size).toBe(warmIds.length);
  for (const sid of sids.values()) expect(sid).toMatch(SID);
  // The stored code is the saved codebook's code of the stored vector, not something else.
  const codebook = (await loadSemanticIds(artifactDir, { modelVersion: version, dim: 16 }))!;
  const { ids, vectors } = await new EmbeddingRepository(ds).songVectors(version, 'warm');
  const encoded = codebook.encode(vectors);
  expect(ids.map((id) => sids.get(id))).toEqual(encoded);
  // Songs spread over codes: more than one level-1 cluster in use.
  expect(new Set([...sids.values()].map((s) => s!.split('-')[0])).size).toBeGreaterThan(2);
});

it('a release gets its SID when it is encoded: in song_embeddings, audiences, the event and the api', async () => {
  const [release] = toSongReleasedEvents([coldItems[0]], { seed: 1, start: new Date().toISOString() });
  await publisher.publish(topics.songReleased, release.songId, release);
  const event = await waitFor('audience event', () => {
    const r = audienceEvents.records.find((m) => m.key === release.songId);
    return r ? (JSON.parse(r.value!.toString()) as { modelVersion: string; sid?: string }) : null;
  });
  expect(event.modelVersion).toBe(version);
  expect(event.sid).toMatch(SID);
  expect((await storedSids([release.songId])).get(release.songId)).toBe(event.sid);
  const [row] = await ds.query<Array<{ sid: string | null }>>(
    'SELECT sid FROM audiences WHERE song_id = $1 AND model_version = $2',
    [release.songId, version],
  );
  expect(row.sid).toBe(event.sid);
  const answer = (await http().get(`/v1/songs/${release.songId}/audience?limit=3`).expect(200))
    .body as AudienceDto;
  expect(answer.sid).toBe(event.sid);
});

it('GET /v1/songs/{id}/sid-neighbours lists the songs sharing the first `level` codes, and refuses bad queries with reasons', async () => {
  const [songId] = warmIds;
  const sid = (await storedSids([songId])).get(songId)!;
  const all = await storedSids(warmIds);
  const sharing = (level: number) =>
    [...all]
      .filter(
        ([id, s]) =>
          id !== songId &&
          s!.split('-').slice(0, level).join('-') === sid.split('-').slice(0, level).join('-'),
      )
      .map(([id]) => id)
      .sort();
  const l1 = (await http().get(`/v1/songs/${songId}/sid-neighbours?level=1&limit=1000`).expect(200))
    .body as SidNeighboursDto;
  expect(l1).toMatchObject({ songId, modelVersion: version, sid, level: 1, prefix: sid.split('-')[0] });
  // Every warm song of that level-1 cluster (cold releases may share it too).
  const warmSet = new Set(warmIds);
  // Sorted here: the database orders ids by its collation, not by UTF-16 code units.
  const warmOf = (r: SidNeighboursDto) =>
    r.songs
      .filter((s) => warmSet.has(s.songId))
      .map((s) => s.songId)
      .sort();
  expect(warmOf(l1)).toEqual(sharing(1));
  expect(sharing(1).length).toBeGreaterThan(0);
  for (const s of l1.songs) expect(s.sid.split('-')[0]).toBe(sid.split('-')[0]);
  const dflt = (await http().get(`/v1/songs/${songId}/sid-neighbours`).expect(200)).body as SidNeighboursDto;
  expect(dflt.level).toBe(2);
  expect(sharing(2).length).toBeLessThan(100); // so the default limit cuts nothing
  expect(warmOf(dflt)).toEqual(sharing(2));
  const limited = (await http().get(`/v1/songs/${songId}/sid-neighbours?level=1&limit=2`).expect(200))
    .body as SidNeighboursDto;
  expect(limited.songs).toHaveLength(Math.min(2, l1.songs.length));

  const reason = async (url: string, status: number) =>
    JSON.stringify((await http().get(url).expect(status)).body as unknown);
  expect(await reason(`/v1/songs/${songId}/sid-neighbours?level=4`, 400)).toMatch(/level must be 1..3/);
  expect(await reason(`/v1/songs/${songId}/sid-neighbours?level=0`, 400)).toMatch(/level/);
  expect(await reason(`/v1/songs/${songId}/sid-neighbours?level=abc`, 400)).toMatch(/level/);
  expect(await reason(`/v1/songs/${songId}/sid-neighbours?limit=0`, 400)).toMatch(/limit/);
  expect(await reason(`/v1/songs/${songId}/sid-neighbours?mood=1`, 400)).toMatch(/mood/);
  expect(await reason('/v1/songs/no-such-song/sid-neighbours', 404)).toMatch(/unknown song: no-such-song/);
});

it("the console's release page shows the song's SID and the songs sharing its prefix", async () => {
  const [songId] = warmIds;
  const sid = (await storedSids([songId])).get(songId)!;
  const api2 = (await http().get(`/v1/songs/${songId}/sid-neighbours?limit=10`).expect(200))
    .body as SidNeighboursDto;
  const html = (await http().get(`/console/releases/${songId}`).expect(200)).text;
  expect(html).toContain(`<code>${sid}</code> under <code>${version}</code>`);
  expect(html).toContain('Songs sharing the semantic-ID prefix');
  for (const s of api2.songs) expect(html).toContain(`<code>${s.songId}</code>`);
});
