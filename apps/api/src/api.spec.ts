import { expect } from '@jest/globals';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { Kafka } from 'kafkajs';
import fc from 'fast-check';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  AudienceFeedRepository,
  AudienceRepository,
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  ProcessedEventRepository,
  SongRepository,
} from '@debut/catalog';
import { DEBUT_CONFIG } from '@debut/config';
import { EventPublisher, KAFKA } from '@debut/messaging';
import { ModelRuntime } from '@debut/serving';
import {
  FakePublisher,
  InMemoryCatalog,
  releaseEvent,
  testConfig,
} from '../../../libs/serving/src/testing/fakes';
import { AppModule } from './app.module';
import type { AudienceDto, ColdGateDto, SimilarDto } from './common/dto';
import { MAX_PARAM_LENGTH } from './common/request-guard';
import { createApp } from './main';
import { RESPONSE_SCHEMAS } from './common/response-schemas';

const KEY = 'unit-test-api-key';

/** The body of every error answer (DomainErrorFilter, ValidationPipe). */
interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

/**
 * The real AppModule (controllers, ApiKeyGuard, DomainErrorFilter, throttler, metrics
 * interceptor, SongsService, GateService, AudienceService, ModelRuntime with real FAISS pools)
 * over in-memory repositories, a fake broker and fake models. main.ts's createApp() builds the
 * app on Fastify from this testing module instead of NestFactory.create(AppModule), so the
 * parsers, guards, ValidationPipe and Swagger set-up under test are main.ts's own, not a copy.
 */
async function startApi(
  catalog: InMemoryCatalog,
  opts: { brokerDown?: boolean; env?: Record<string, string> } = {},
) {
  const config = testConfig(opts.env);
  const publisher = new FakePublisher();
  const kafka = {
    admin: () => ({
      connect: async () => {
        if (opts.brokerDown) throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
      },
      describeCluster: async () => ({ brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }] }),
      disconnect: async () => {},
    }),
  } as unknown as Kafka;
  const r = catalog.repos;
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(DEBUT_CONFIG)
    .useValue(config)
    .overrideProvider(DataSource)
    .useValue(r.dataSource)
    .overrideProvider(SongRepository)
    .useValue(r.songs)
    .overrideProvider(AudienceRepository)
    .useValue(r.audiences)
    .overrideProvider(AudienceFeedRepository)
    .useValue(r.audienceFeed)
    .overrideProvider(EmbeddingRepository)
    .useValue(r.embeddings)
    .overrideProvider(InteractionRepository)
    .useValue(r.interactions)
    .overrideProvider(ModelVersionRepository)
    .useValue(r.versions)
    .overrideProvider(ProcessedEventRepository)
    .useValue(r.processed)
    .overrideProvider(KAFKA)
    .useValue(kafka)
    .overrideProvider(EventPublisher)
    .useValue(publisher.asPublisher)
    .overrideProvider(ModelRuntime)
    .useValue(catalog.runtime(config, undefined, { vectorsInMemory: true })) // as the api's ServingModule does
    .compile();
  const app = await createApp((adapter, options) =>
    Promise.resolve(
      moduleRef.createNestApplication<NestFastifyApplication>(adapter, { ...options, logger: false }),
    ),
  ); // ServingModule loads the active models at init
  const http = () => request(app.getHttpServer());
  return {
    app,
    publisher,
    http,
    /** POST /v1/users/:id/cold-gate (a read endpoint: no key). */
    coldGate: (userId: string, songIds: unknown) =>
      http().post(`/v1/users/${userId}/cold-gate`).send({ songIds }),
    /** POST /v1/releases with the API key, or with `headers` instead. */
    release: (body: object, headers: Record<string, string> = { 'x-api-key': KEY }) =>
      http().post('/v1/releases').set(headers).send(body),
  };
}

/**
 * Established w1 (1, 0, 0, 0), w2 (0.8, 0.6, 0, 0), w3 (0, 0, 1, 0) and cold c1 (0.6, 0.8, 0, 0),
 * c2 (0, 0, 1, 0), with the same vectors under both models. u1's boundary is 0.5 (u = (1, 0, 0, 0),
 * b = (0.5, 0.5, 0, 0)), so c1 (score 0.6) passes and c2 (0) does not. c1 has a stored audience.
 */
function catalogue(models = true): InMemoryCatalog {
  const catalog = new InMemoryCatalog();
  if (models) {
    catalog.addVersion('i2i-1', 'i2i', true);
    catalog.addVersion('dssm-1', 'dssm', true);
  }
  catalog.addSongs('warm', { w1: [1, 0, 0, 0], w2: [0.8, 0.6, 0, 0], w3: [0, 0, 1, 0] }, ['i2i-1', 'dssm-1']);
  catalog.addSongs('cold', { c1: [0.6, 0.8, 0, 0], c2: [0, 0, 1, 0] }, ['i2i-1', 'dssm-1']);
  catalog.addSong('c3', 'cold', [0, 0, 1, 0]); // stored before any model was active: no vectors
  catalog.addPlay('ua', 'w1', 'favorite', 1);
  catalog.addPlay('ub', 'w2', 'play', 0.3);
  catalog.setUserVectors('dssm-1', 'u1', [1, 0, 0, 0], [0.5, 0.5, 0, 0]);
  catalog.addUser('fresh');
  catalog.addAudience({
    songId: 'c1',
    modelVersion: 'i2i-1',
    members: [
      { userId: 'ub', score: 0.9, because: ['w2', 'w1'] },
      { userId: 'ua', score: 0.4, because: ['w1'] },
    ],
    neighbours: [
      { songId: 'w2', similarity: 0.96 },
      { songId: 'w1', similarity: 0.6 },
    ],
    eventId: 'evt-c1',
    selectedAt: new Date('2024-05-01T12:00:00Z'),
    publishedAt: new Date('2024-05-01T12:00:01Z'),
  });
  return catalog;
}

describe('api over the real app module', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  let catalog: InMemoryCatalog;
  beforeAll(async () => {
    catalog = catalogue();
    api = await startApi(catalog);
  });
  afterAll(() => api.app.close());

  it('serves the hot routes from memory: a known user, song or audience costs no read', async () => {
    await api.http().get('/v1/songs/c1/audience').expect(200); // fills the audience cache
    const before = catalog.reads.length;
    await api.coldGate('u1', ['c1', 'c2']).expect(200);
    await api.http().get('/v1/songs/c1/similar?limit=2').expect(200);
    await api.http().get('/v1/songs/c1/audience').expect(200);
    expect(catalog.reads.slice(before)).toEqual([]);
  });

  describe('GET /v1/songs/:id/audience', () => {
    it('answers the stored audience, each member with the neighbour songs that explain it', async () => {
      const res = await api.http().get('/v1/songs/c1/audience').expect(200);
      expect(res.body).toEqual({
        songId: 'c1',
        modelVersion: 'i2i-1',
        method: 'i2i2u',
        sid: null, // the fake I2I version has no codebook
        selectedAt: '2024-05-01T12:00:00.000Z',
        // No DSSM is active in this app: the gate has no verdict to give.
        gatePassShare: null,
        audience: [
          { userId: 'ub', score: 0.9, because: ['w2', 'w1'], gatePass: null },
          { userId: 'ua', score: 0.4, because: ['w1'], gatePass: null },
        ],
        neighbours: [
          { songId: 'w2', similarity: 0.96 },
          { songId: 'w1', similarity: 0.6 },
        ],
      });
    });

    it('cuts the audience (not the neighbours) at ?limit', async () => {
      const res = await api.http().get('/v1/songs/c1/audience?limit=1').expect(200);
      const body = res.body as AudienceDto;
      expect(body.audience.map((m) => m.userId)).toEqual(['ub']);
      expect(body.neighbours).toHaveLength(2);
    });

    it('404s an unknown song and a song without an audience yet, saying which', async () => {
      await api
        .http()
        .get('/v1/songs/nope/audience')
        .expect(404, { statusCode: 404, error: 'Not Found', message: 'unknown song: nope' });
      await api.http().get('/v1/songs/c2/audience').expect(404, {
        statusCode: 404,
        error: 'Not Found',
        message: 'no audience selected yet for song c2',
      });
    });

    it.each([
      ['0', 'limit must not be less than 1'],
      ['50001', 'limit must not be greater than 50000 (AUDIENCE_MAX_LIMIT)'],
      ['2.5', 'limit must be an integer number'],
      ['ten', 'limit must be an integer number'],
    ])('400s ?limit=%s with the reason', async (limit, reason) => {
      const res = await api.http().get(`/v1/songs/c1/audience?limit=${limit}`).expect(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect((res.body as ErrorBody).message).toContain(reason);
    });

    it('400s an unknown query parameter rather than ignoring it', async () => {
      const res = await api.http().get('/v1/songs/c1/audience?limt=5').expect(400);
      expect((res.body as ErrorBody).message).toEqual(['property limt should not exist']);
    });
  });

  describe('GET /v1/admin/pools/check', () => {
    it('needs the key, and reports each pool in step with the database, then the drift when a song goes missing', async () => {
      await api.http().get('/v1/admin/pools/check').expect(401);
      const ok = await api.http().get('/v1/admin/pools/check').set('x-api-key', KEY).expect(200);
      expect(ok.body).toMatchObject({
        ok: true,
        pools: [
          {
            version: 'i2i-1',
            pool: 'warm',
            inProcess: 3,
            inDatabase: 3,
            missing: { count: 0 },
            extra: { count: 0 },
          },
          {
            version: 'dssm-1',
            pool: 'cold',
            inProcess: 2,
            inDatabase: 2,
            missing: { count: 0 },
            extra: { count: 0 },
          },
        ],
      });
      const runtime = api.app.get(ModelRuntime);
      runtime.require('dssm').cold.remove(['c2']);
      const drift = await api.http().get('/v1/admin/pools/check').set('x-api-key', KEY).expect(200);
      expect(drift.body).toMatchObject({
        ok: false,
        pools: [{ pool: 'warm' }, { pool: 'cold', inProcess: 1, missing: { count: 1, sample: ['c2'] } }],
      });
      runtime.require('dssm').cold.add(['c2'], new Float32Array([0, 0, 1, 0]));
    });
  });

  describe('GET /v1/songs/:id/similar', () => {
    it('lists the nearest established songs in the active I2I space, best first, never the song itself', async () => {
      const res = await api.http().get('/v1/songs/c1/similar?limit=2').expect(200);
      expect(res.body).toEqual({
        songId: 'c1',
        modelVersion: 'i2i-1',
        similar: [
          { songId: 'w2', similarity: expect.closeTo(0.96, 5) },
          { songId: 'w1', similarity: expect.closeTo(0.6, 5) },
        ],
      });
      const own = await api.http().get('/v1/songs/w1/similar?limit=5').expect(200);
      expect((own.body as SimilarDto).similar.map((s) => s.songId)).toEqual(['w2', 'w3']);
    });

    it('encodes a song on the spot when it has no stored vector under the active version', async () => {
      const res = await api.http().get('/v1/songs/c3/similar?limit=1').expect(200);
      expect((res.body as SimilarDto).similar).toEqual([{ songId: 'w3', similarity: expect.closeTo(1, 5) }]);
    });

    it('404s an unknown song', async () => {
      await api
        .http()
        .get('/v1/songs/nope/similar')
        .expect(404, { statusCode: 404, error: 'Not Found', message: 'unknown song: nope' });
    });
  });

  describe('POST /v1/users/:id/cold-gate', () => {
    it('answers per song the score u·i, the boundary u·b and pass = score > boundary', async () => {
      const res = await api.coldGate('u1', ['c1', 'c2']).expect(200);
      expect(res.body).toEqual({
        userId: 'u1',
        modelVersion: 'dssm-1',
        basis: 'model',
        decisions: [
          { songId: 'c1', score: expect.closeTo(0.6, 5), boundary: expect.closeTo(0.5, 5), pass: true },
          { songId: 'c2', score: 0, boundary: expect.closeTo(0.5, 5), pass: false },
        ],
      });
    });

    it('refuses every song for a user without history, with basis "no-history"', async () => {
      const res = await api.coldGate('fresh', ['c1', 'c2']).expect(200);
      expect(res.body).toEqual({
        userId: 'fresh',
        modelVersion: 'dssm-1',
        basis: 'no-history',
        decisions: [
          { songId: 'c1', score: 0, boundary: 0, pass: false },
          { songId: 'c2', score: 0, boundary: 0, pass: false },
        ],
      });
    });

    it('takes an optional time `at` and says which month it gated in (the fake model has no offsets)', async () => {
      for (const at of ['2026-12-24T18:00:00Z', '2026-12-24T23:30:00-02:00', '2026-12-24']) {
        const res = await api
          .http()
          .post('/v1/users/u1/cold-gate')
          .send({ songIds: ['c1'], at })
          .expect(200);
        const plain = (await api.coldGate('u1', ['c1']).expect(200)).body as ColdGateDto;
        expect(res.body).toEqual({
          ...plain,
          context: { at: new Date(at).toISOString(), month: expect.any(Number), applied: false },
        });
      }
      // 23:30 at −02:00 on 31 December is already January in UTC: the month is the UTC one.
      const res = await api
        .http()
        .post('/v1/users/u1/cold-gate')
        .send({ songIds: ['c1'], at: '2026-12-31T23:30:00-02:00' })
        .expect(200);
      expect((res.body as ColdGateDto).context).toEqual({
        at: '2027-01-01T01:30:00.000Z',
        month: 1,
        applied: false,
      });
      await api.http().get('/v1/users/u1/cold-recommendations?at=2026-12-24').expect(200);
      const bad = await api.http().get('/v1/users/u1/cold-recommendations?at=yesterday').expect(400);
      expect((bad.body as { message: string[] }).message).toEqual([
        'at must be an ISO 8601 date or date-time with a zone, e.g. 2026-12-24T18:00:00Z',
      ]);
    });

    it('accepts 500 song ids', async () => {
      const res = await api.coldGate('u1', new Array(500).fill('c1')).expect(200);
      expect((res.body as ColdGateDto).decisions).toHaveLength(500);
    });

    it.each([
      [
        'more than 500 ids',
        { songIds: new Array(501).fill('c1') },
        ['songIds must contain no more than 500 elements'],
      ],
      ['no ids', { songIds: [] }, ['songIds must contain at least 1 elements']],
      [
        'non-string ids',
        { songIds: ['c1', 42] },
        expect.arrayContaining(['each value in songIds must be a string']),
      ],
      [
        'an empty id',
        { songIds: [''] },
        [
          'each value in songIds must be longer than or equal to 1 and shorter than or equal to 128 characters',
        ],
      ],
      [
        'an id of 129 characters',
        { songIds: ['x'.repeat(129)] },
        [
          'each value in songIds must be longer than or equal to 1 and shorter than or equal to 128 characters',
        ],
      ],
      [
        'songIds that is not an array',
        { songIds: 'c1' },
        expect.arrayContaining(['songIds must be an array']),
      ],
      ['a missing songIds', {}, expect.arrayContaining(['songIds must be an array'])],
      ['an unknown field', { songIds: ['c1'], userId: 'u2' }, ['property userId should not exist']],
    ])('400s %s with the reason', async (_what, body, message) => {
      const res = await api.http().post('/v1/users/u1/cold-gate').send(body).expect(400);
      expect(res.body).toEqual({ statusCode: 400, error: 'Bad Request', message });
    });

    it.each([
      ['not a time', 'not a time'],
      ['a time without a zone', '2026-12-24T18:00:00'],
      ['an impossible date', '2026-02-30'],
      ['another date format', '24/12/2026'],
      ['an empty string', ''],
      ['a number', 1766599200000],
    ])('400s an at that is %s, with the reason', async (_what, at) => {
      const res = await api
        .http()
        .post('/v1/users/u1/cold-gate')
        .send({ songIds: ['c1'], at })
        .expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: ['at must be an ISO 8601 date or date-time with a zone, e.g. 2026-12-24T18:00:00Z'],
      });
    });

    it('400s a body that is not JSON', async () => {
      const res = await api
        .http()
        .post('/v1/users/u1/cold-gate')
        .set('content-type', 'application/json')
        .send('{"songIds": [')
        .expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: expect.stringContaining('JSON'),
      });
    });

    it('404s an unknown user, and names the unknown songs', async () => {
      await api
        .coldGate('ghost', ['c1'])
        .expect(404, { statusCode: 404, error: 'Not Found', message: 'unknown user: ghost' });
      await api
        .coldGate('u1', ['c1', 'nope', 'gone'])
        .expect(404, { statusCode: 404, error: 'Not Found', message: 'unknown songs: nope, gone' });
    });

    it('needs no API key (a read endpoint)', async () => {
      await api.coldGate('u1', ['c1']).expect(200);
    });

    it('counts its decisions by outcome in /metrics', async () => {
      const count = async (outcome: string) => {
        const text = (await api.http().get('/metrics').expect(200)).text;
        const m = new RegExp(`^debut_gate_decisions_total\\{outcome="${outcome}"\\} (\\d+)$`, 'm').exec(text);
        return m ? Number(m[1]) : 0;
      };
      const [pass, refuse] = [await count('pass'), await count('refuse')];
      await api.coldGate('u1', ['c1', 'c2', 'c2']).expect(200);
      expect(await count('pass')).toBe(pass + 1);
      expect(await count('refuse')).toBe(refuse + 2);
      // Latency is labelled by route pattern, not raw URL (bounded label values).
      expect((await api.http().get('/metrics')).text).toMatch(
        /^debut_http_request_duration_seconds_count\{method="POST",route="\/v1\/users\/:id\/cold-gate",status="200"\} \d+$/m,
      );
    });

    // Domain errors carry no `status`: the metric must record what the error filter answered,
    // or 5xx dashboards fire on ordinary lookups of missing songs and users.
    it('records a 404 for an unknown user as status 404 in the latency metric', async () => {
      await api.coldGate('ghost', ['c1']).expect(404);
      const text = (await api.http().get('/metrics')).text;
      expect(text).toMatch(
        /^debut_http_request_duration_seconds_count\{method="POST",route="\/v1\/users\/:id\/cold-gate",status="404"\} \d+$/m,
      );
      expect(text).not.toMatch(/route="\/v1\/users\/:id\/cold-gate",status="500"/);
    });

    it('reports what the process holds in /metrics: tensors, pool vectors, cache entries', async () => {
      await api.coldGate('u1', ['c1', 'c2']).expect(200);
      const text = (await api.http().get('/metrics')).text;
      const gauge = (name: string, label = '') =>
        Number(new RegExp(`^${name}${label.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);
      expect(gauge('debut_tf_tensors')).toBeGreaterThanOrEqual(0);
      expect(gauge('debut_pool_vectors', '{pool="warm"}')).toBe(3);
      expect(gauge('debut_pool_vectors', '{pool="cold"}')).toBe(2);
      expect(gauge('debut_memory_vectors', '{table="dssm_users"}')).toBe(1);
      expect(gauge('debut_memory_vectors', '{table="dssm_songs"}')).toBe(5);
      expect(gauge('debut_memory_vectors', '{table="i2i_songs"}')).toBe(5);
      expect(gauge('debut_memory_vector_bytes')).toBeGreaterThan(0);
      // Only what memory does not hold is cached: the user without history asked for above, and
      // the audiences read by the earlier tests.
      expect(gauge('debut_cache_entries', '{cache="gate_users"}')).toBeGreaterThanOrEqual(1);
      expect(gauge('debut_cache_entries', '{cache="audiences"}')).toBeGreaterThanOrEqual(1);
      expect(gauge('debut_cache_entries', '{cache="listener_entries"}')).toBeGreaterThanOrEqual(0);
    });
  });

  describe('GET /v1/users/:id/cold-recommendations', () => {
    it('lists cold songs above the user’s boundary, best first', async () => {
      const res = await api.http().get('/v1/users/u1/cold-recommendations').expect(200);
      expect(res.body).toEqual({
        userId: 'u1',
        modelVersion: 'dssm-1',
        basis: 'model',
        songs: [
          { songId: 'c1', score: expect.closeTo(0.6, 5), boundary: expect.closeTo(0.5, 5), pass: true },
        ],
      });
    });

    it('recommends nothing to a user without history, and 404s an unknown user', async () => {
      await api
        .http()
        .get('/v1/users/fresh/cold-recommendations')
        .expect(200, { userId: 'fresh', modelVersion: 'dssm-1', basis: 'no-history', songs: [] });
      await api.http().get('/v1/users/ghost/cold-recommendations').expect(404);
    });
  });

  describe('POST /v1/releases', () => {
    it('401s without an API key and with a wrong one, and publishes nothing', async () => {
      const body = releaseEvent('n1', [1, 0, 0, 0]);
      await api.release(body, {}).expect(401, {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'missing API key: send it in the x-api-key header',
      });
      await api
        .release(body, { 'x-api-key': 'not-the-key' })
        .expect(401, { statusCode: 401, error: 'Unauthorized', message: 'invalid API key' });
      expect(api.publisher.sent).toEqual([]);
    });

    it('validates the release and publishes it to song.released keyed by song id (202)', async () => {
      const body = releaseEvent('n1', [1, 0, 0, 0], {
        eventId: 'e-202',
        genres: undefined,
        title: undefined,
      });
      const res = await api.release(body).expect(202);
      expect(res.body).toEqual({ eventId: 'e-202', songId: 'n1', topic: 'song.released' });
      // Published as the validator normalised it (defaults filled in), which is what the worker reads.
      expect(api.publisher.on('song.released')).toEqual([
        {
          topic: 'song.released',
          key: 'n1',
          headers: undefined,
          value: { ...(JSON.parse(JSON.stringify(body)) as object), title: '', genres: [] },
        },
      ]);
    });

    it('accepts the key as a bearer token too', async () => {
      await api
        .release(releaseEvent('n2', [1, 0, 0, 0], { eventId: 'e-bearer' }), {
          authorization: `Bearer ${KEY}`,
        })
        .expect(202);
    });

    it('400s a release that does not match the feature schema, with the reason, and publishes nothing', async () => {
      const sent = api.publisher.sent.length;
      const bad = releaseEvent('n3', [1, 0, 0, 0], { eventId: 'e-bad' });
      bad.features.audio = [1, 2];
      await api.release(bad).expect(400, {
        statusCode: 400,
        error: 'Bad Request',
        message: 'features.audio: length 2, expected 32',
      });
      await api
        .release({ songId: 'n4' })
        .expect(400, { statusCode: 400, error: 'Bad Request', message: 'eventId: Required' });
      expect(api.publisher.sent).toHaveLength(sent);
    });
  });

  describe('PUT /v1/users/:id/profile and POST /v1/songs/:id/exposures', () => {
    it('need the API key', async () => {
      await api.http().put('/v1/users/ua/profile').send({ region: 'SE', explicitOptOut: false }).expect(401);
      await api
        .http()
        .post('/v1/songs/c1/exposures')
        .send({ userIds: ['ua'] })
        .expect(401);
    });

    it('publish a validated profile to user.profile keyed by user (202)', async () => {
      const body = { region: 'SE', explicitOptOut: true, updatedAt: '2026-12-01T12:00:00Z' };
      const res = await api.http().put('/v1/users/ua/profile').set('x-api-key', KEY).send(body).expect(202);
      expect(res.body).toEqual({ topic: 'user.profile', event: { userId: 'ua', ...body } });
      expect(api.publisher.on('user.profile').at(-1)).toMatchObject({
        key: 'ua',
        value: { userId: 'ua', ...body },
      });
    });

    it.each([
      [{ region: 'se', explicitOptOut: false }, /region must be an ISO 3166-1 alpha-2 market code/],
      [{ region: 'SE' }, /explicitOptOut must be a boolean/],
      [{ region: null, explicitOptOut: false, updatedAt: 'soon' }, /updatedAt/],
    ])('400 a bad profile %j with the reason', async (body, reason) => {
      const res = await api.http().put('/v1/users/ua/profile').set('x-api-key', KEY).send(body).expect(400);
      expect(JSON.stringify(res.body)).toMatch(reason);
    });

    it('publish an exposure of a known song to song.exposed keyed by song (202), 404 an unknown song', async () => {
      const res = await api
        .http()
        .post('/v1/songs/c1/exposures')
        .set('x-api-key', KEY)
        .send({ userIds: ['ua', 'ub'], exposureId: 'x-1', at: '2026-12-01T12:00:00Z' })
        .expect(202);
      const event = { exposureId: 'x-1', songId: 'c1', userIds: ['ua', 'ub'], at: '2026-12-01T12:00:00Z' };
      expect(res.body).toEqual({ topic: 'song.exposed', event });
      expect(api.publisher.on('song.exposed').at(-1)).toMatchObject({ key: 'c1', value: event });
      await api
        .http()
        .post('/v1/songs/nope/exposures')
        .set('x-api-key', KEY)
        .send({ userIds: ['ua'] })
        .expect(404);
      await api.http().post('/v1/songs/c1/exposures').set('x-api-key', KEY).send({ userIds: [] }).expect(400);
    });
  });

  describe('POST /v1/songs/:id/audience/recompute', () => {
    it('401s without the API key', async () => {
      await api.http().post('/v1/songs/c1/audience/recompute').expect(401);
    });

    it('selects again from the current plays, replaces the stored audience and answers it', async () => {
      const res = await api.http().post('/v1/songs/c1/audience/recompute').set('x-api-key', KEY).expect(200);
      // c1 along (0.6, 0.8, 0, 0): neighbours w2 (0.96) and w1 (0.6); ua favourited w1, ub played w2 (0.3).
      expect(res.body).toEqual({
        songId: 'c1',
        modelVersion: 'i2i-1',
        method: 'i2i2u',
        sid: null,
        selectedAt: expect.any(String),
        gatePassShare: null,
        audience: [
          { userId: 'ua', score: expect.closeTo(0.6 * Math.log1p(1), 5), because: ['w1'], gatePass: null },
          { userId: 'ub', score: expect.closeTo(0.96 * Math.log1p(0.3), 5), because: ['w2'], gatePass: null },
        ],
        neighbours: [
          { songId: 'w2', similarity: expect.closeTo(0.96, 5) },
          { songId: 'w1', similarity: expect.closeTo(0.6, 5) },
        ],
      });
      expect(new Date((res.body as AudienceDto).selectedAt).getTime()).toBeGreaterThan(
        Date.parse('2024-05-01T12:00:00Z'),
      );
      expect(catalog.s.audiences.filter((a) => a.songId === 'c1')).toHaveLength(1);
      await api.http().get('/v1/songs/c1/audience').expect(200, res.body);
    });

    it('404s an unknown song', async () => {
      await api.http().post('/v1/songs/nope/audience/recompute').set('x-api-key', KEY).expect(404);
    });
  });

  it('answers 500 without details when something unexpected breaks', async () => {
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true); // the filter logs the stack
    try {
      catalog.failNext('audiences.latest', new Error('relation "audiences" does not exist'));
      // A song nobody asked for yet, so no cached audience stands between the request and the failure.
      const res = await api.http().get('/v1/songs/c2/audience').expect(500);
      expect(res.body).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'internal error',
      });
    } finally {
      jest.restoreAllMocks();
    }
  });

  it('serves its OpenAPI description with the write endpoints marked as needing the key', async () => {
    const res = await api.http().get('/docs/openapi.json').expect(200);
    const doc = res.body as { paths: Record<string, Record<string, { security?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/songs/{id}/audience',
        '/v1/users/{id}/cold-gate',
        '/v1/releases',
        '/v1/songs/{id}/audience/recompute',
      ]),
    );
    expect(doc.paths['/v1/releases'].post.security).toEqual([{ 'api-key': [] }]);
  });

  it('serialises the hot routes with schemas that name exactly the properties of their DTOs', async () => {
    type Node = {
      $ref?: string;
      allOf?: Node[];
      type?: unknown;
      items?: Node;
      properties?: Record<string, Node>;
    };
    const doc = (await api.http().get('/docs/openapi.json').expect(200)).body as {
      components: { schemas: Record<string, Node> };
    };
    // A described DTO-typed property is `allOf: [{ $ref }]` in the document.
    const resolve = (n: Node): Node =>
      n.$ref
        ? doc.components.schemas[n.$ref.split('/').pop()!]
        : n.allOf?.length === 1
          ? resolve(n.allOf[0])
          : n;
    // The property tree of a schema, as nested key lists (arrays by their items).
    const shape = (n: Node | undefined): unknown => {
      const r = n && resolve(n);
      if (!r) return null;
      if (r.items) return [shape(r.items)];
      if (!r.properties) return 'leaf';
      return Object.fromEntries(
        Object.keys(r.properties)
          .sort()
          .map((k) => [k, shape(r.properties![k])]),
      );
    };
    for (const [dto, schema] of Object.entries(RESPONSE_SCHEMAS)) {
      expect([dto, shape(schema as Node)]).toEqual([dto, shape(doc.components.schemas[dto])]);
    }
  });

  it('reports healthy dependencies on /health', async () => {
    const res = await api.http().get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      checks: {
        database: { ok: true, detail: 'in-memory reachable' },
        broker: { ok: true, detail: '1 broker(s)' },
        index: { ok: true, detail: 'warm pool 3 songs (i2i i2i-1); cold pool 2 songs (dssm dssm-1)' },
      },
    });
  });
});

describe('api without an active model', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    api = await startApi(catalogue(false), { brokerDown: true });
  });
  afterAll(() => api.app.close());

  it.each([
    ['get', '/v1/songs/c1/similar', 'i2i'],
    ['post', '/v1/users/u1/cold-gate', 'dssm'],
    ['get', '/v1/users/u1/cold-recommendations', 'dssm'],
  ] as const)('503s %s %s, naming the missing %s model', async (method, url, kind) => {
    const req = method === 'get' ? api.http().get(url) : api.coldGate('u1', ['c1']);
    await req.expect(503, {
      statusCode: 503,
      error: 'Service Unavailable',
      message: `no active ${kind} model: train one and run \`trainer activate <version>\``,
    });
  });

  it('503s a recompute (admin) too', async () => {
    await api.http().post('/v1/songs/c1/audience/recompute').set('x-api-key', KEY).expect(503);
  });

  it('still 404s an unknown song before looking for a model', async () => {
    await api.http().get('/v1/songs/nope/similar').expect(404);
  });

  it('still takes releases, validated against the deployment schema', async () => {
    await api.release(releaseEvent('n1', [1, 0, 0, 0])).expect(202);
    const bad = releaseEvent('n2', [1, 0, 0, 0], { eventId: 'e-2' });
    bad.features.text = [];
    await api.release(bad).expect(400, {
      statusCode: 400,
      error: 'Bad Request',
      message: 'features.text: length 0, expected 16',
    });
  });

  it('reports 503 "degraded" on /health while the broker is down', async () => {
    const res = await api.http().get('/health').expect(503);
    expect(res.body).toMatchObject({
      status: 'degraded',
      checks: {
        database: { ok: true },
        broker: { ok: false, detail: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' },
        index: { ok: true, detail: 'no active model yet (train and activate one)' },
      },
    });
  });
});

describe('api rate limit', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeEach(async () => {
    api = await startApi(catalogue(), { env: { RATE_LIMIT_PER_MINUTE: '2' } });
  });
  afterEach(() => api.app.close());

  it('answers 429 beyond RATE_LIMIT_PER_MINUTE requests from one client', async () => {
    await api.http().get('/v1/songs/c1/audience').expect(200);
    await api.http().get('/v1/songs/c1/audience').expect(200);
    const res = await api.http().get('/v1/songs/c1/audience').expect(429);
    expect(res.text).toContain('Too Many Requests');
  });

  // The throttler's exception is built from a bare string; its body must still be the
  // { statusCode, error, message } object every other error answers.
  it('answers 429 in the same error shape as every other error', async () => {
    await api.http().get('/v1/songs/c1/audience').expect(200);
    await api.http().get('/v1/songs/c1/audience').expect(200);
    const res = await api.http().get('/v1/songs/c1/audience').expect(429);
    expect(res.body).toMatchObject({ statusCode: 429, message: 'ThrottlerException: Too Many Requests' });
  });
});

/**
 * Malformed input of every kind against every route: whatever arrives, the answer is a 4xx with
 * the usual error body (or a 2xx), never a 500.
 */
describe('api under malformed input', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  beforeAll(async () => {
    api = await startApi(catalogue());
  });
  afterAll(() => api.app.close());

  const ROUTES: Array<{
    method: 'get' | 'post';
    path: (id: string) => string;
    key?: boolean;
    body?: boolean;
  }> = [
    { method: 'get', path: (id) => `/v1/songs/${id}/audience` },
    { method: 'get', path: (id) => `/v1/songs/${id}/similar` },
    { method: 'post', path: (id) => `/v1/songs/${id}/audience/recompute`, key: true },
    { method: 'post', path: (id) => `/v1/users/${id}/cold-gate`, body: true },
    { method: 'get', path: (id) => `/v1/users/${id}/cold-recommendations` },
    { method: 'post', path: () => '/v1/releases', key: true, body: true },
  ];

  const expectNo500 = (what: string, res: { status: number; body: unknown; text: string }) => {
    expect({ what, status: res.status >= 500 ? res.status : 'ok' }).toEqual({ what, status: 'ok' });
    if (res.status >= 400) {
      expect({ what, body: res.body as ErrorBody }).toMatchObject({
        what,
        body: { statusCode: res.status, message: expect.anything() as unknown },
      });
    }
  };

  it.each([
    ['NUL in a path id', '%00'],
    ['NUL inside a path id', 'a%00b'],
    ['a lone surrogate (CESU-8) in a path id', '%ED%A0%80'],
    ['a broken percent-encoding', '%E0%A4%A'],
    ['an invalid UTF-8 byte', '%FF'],
    ['a huge id', 'x'.repeat(5000)],
  ])('path ids: %s', async (_name, id) => {
    for (const r of ROUTES) {
      const req = api.http()[r.method](r.path(id)).set('x-api-key', KEY);
      const res = r.body ? await req.send({ songIds: ['c1'] }) : await req;
      expectNo500(`${r.method} ${r.path(id).slice(0, 60)}`, res);
      // Longer than any path parameter may be: Fastify's router answers 414 URI Too Long itself.
      if (r.path(id) !== r.path('x')) expect(res.status).toBe(id.length > MAX_PARAM_LENGTH ? 414 : 400);
    }
  });

  it.each([
    ['invalid JSON', 'application/json', '{"songIds": [', 400],
    ['deep nesting', 'application/json', `{"songIds": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 400],
    ['an oversized body', 'application/json', `{"songIds": ["${'x'.repeat(2_000_000)}"]}`, 413],
    ['a wrong content type', 'text/plain', 'songIds=c1', 415],
    ['an unsupported charset', 'application/json; charset=ebcdic', '{"songIds":["c1"]}', 415],
    ['NUL in a body string', 'application/json', '{"songIds": ["c\\u0000"]}', 400],
    ['a lone surrogate in a body string', 'application/json', '{"songIds": ["c\\ud800"]}', 400],
  ])('bodies: %s', async (_name, type, body, status) => {
    for (const path of ['/v1/users/u1/cold-gate', '/v1/releases']) {
      const res = await api.http().post(path).set('x-api-key', KEY).set('content-type', type).send(body);
      expectNo500(`${path} ${_name}`, res);
      expect({ path, status: res.status }).toEqual({ path, status });
    }
  });

  it.each([['-1'], ['1e309'], ['99999999999999999999'], ['NaN'], ['%00'], ['1.5'], ['']])(
    'out-of-range query numbers: limit=%s',
    async (limit) => {
      for (const r of ROUTES.filter((x) => !x.body)) {
        const http = api.http();
        const res = await http[r.method](`${r.path('c1')}?limit=${limit}`).set('x-api-key', KEY);
        expectNo500(`${r.path('c1')}?limit=${limit}`, res);
      }
    },
  );

  it('says why, and sends security headers', async () => {
    const nul = await api.http().get('/v1/songs/a%00b/audience');
    expect(nul.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/path segment "a%00b": contains a NUL character/) as unknown,
    });
    const body = await api
      .http()
      .post('/v1/users/u1/cold-gate')
      .set('content-type', 'application/json')
      .send('{"songIds": ["c\\u0000"]}');
    expect(body.body).toMatchObject({ statusCode: 400, message: expect.stringMatching(/NUL/) });
    const type = await api.http().post('/v1/users/u1/cold-gate').set('content-type', 'text/plain').send('x');
    expect(type.body).toMatchObject({
      statusCode: 415,
      message: expect.stringMatching(/application\/json/),
    });
    const big = await api
      .http()
      .post('/v1/users/u1/cold-gate')
      .set('content-type', 'application/json')
      .send(`{"songIds": ["${'x'.repeat(2_000_000)}"]}`);
    expect(big.body).toMatchObject({ statusCode: 413, error: 'Payload Too Large' });
    const ok = await api.http().get('/v1/songs/c1/audience').expect(200);
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
    expect(ok.headers['content-security-policy']).toBeDefined();
    expect(ok.headers['x-powered-by']).toBeUndefined();
  });

  it('answers every route of arbitrary ids, queries and bodies without a 500 (property-based)', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 40 });
    const json = fc.jsonValue({ maxDepth: 4 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        text,
        fc.option(fc.oneof(text, fc.integer().map(String), fc.double().map(String))),
        fc.oneof(
          json,
          fc.record({ songIds: fc.array(fc.oneof(text, json), { maxLength: 5 }) }),
          json.map((v) => ({ ...sampleRelease(), x: v })),
          fc.record({ ...releaseShape() }),
          text,
        ),
        fc.boolean(),
        async (route, id, limit, body, withKey) => {
          const query = limit === null ? '' : `?limit=${encodeURIComponentLoose(limit)}`;
          const http = api.http();
          let req = http[route.method](`${route.path(encodeURIComponentLoose(id))}${query}`);
          if (withKey) req = req.set('x-api-key', KEY);
          const raw = typeof body === 'string' ? body : JSON.stringify(body);
          const res = await (route.method === 'post'
            ? req.set('content-type', 'application/json').send(raw)
            : req);
          expectNo500(`${route.method} ${route.path(id)}`, res);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});

/** encodeURIComponent that also accepts lone surrogates (sent as their raw CESU-8 bytes). */
function encodeURIComponentLoose(s: string): string {
  return Array.from(s)
    .map((c) => {
      try {
        return encodeURIComponent(c);
      } catch {
        const u = c.charCodeAt(0);
        const bytes = [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)];
        return bytes.map((b) => `%${b.toString(16).toUpperCase()}`).join('');
      }
    })
    .join('');
}

function sampleRelease() {
  const e = releaseEvent('fz', [1, 0, 0, 0]);
  return { ...e };
}

/** A release whose every field is arbitrary text, number or JSON (in range or not). */
function releaseShape() {
  const any = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.double(),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const base = sampleRelease();
  return Object.fromEntries(
    Object.keys(base).map((k) => [k, fc.oneof(fc.constant(base[k as keyof typeof base]), any)]),
  );
}
