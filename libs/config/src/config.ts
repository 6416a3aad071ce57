import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';

/**
 * Every setting Debut reads comes from environment variables, validated once at start. The
 * defaults work on a developer machine (PostgreSQL on 127.0.0.1:5432 with trust auth, the
 * project's local Kafka broker on 127.0.0.1:9092).
 */
const root = path.resolve(__dirname, '..', '..', '..').replace(/[\\/]dist$/, '');

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');
const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

/**
 * Each api process holds its own model state (vectors, FAISS indexes) and database pool, so
 * memory and connections grow with the count: `auto` stops here even on a large machine.
 */
export const MAX_API_PROCESSES = 16;

/**
 * How many api processes to run: as configured, else one per core in production (the issue's
 * "use both cores") and one on a developer machine or in tests, where a single process is
 * easier to debug and the tests start their own.
 */
function apiProcesses(value: number | 'auto' | undefined, env: string): number {
  const wanted = value ?? (env === 'production' ? 'auto' : 1);
  return wanted === 'auto' ? Math.min(os.availableParallelism(), MAX_API_PROCESSES) : wanted;
}

/** The public development key: fine on a laptop, refused in production (assertSafeForProduction). */
export const DEFAULT_API_KEY = 'debut-local-dev-key';

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),
  API_KEY: z.string().min(8, 'must be at least 8 characters').default(DEFAULT_API_KEY),
  RATE_LIMIT_PER_MINUTE: positiveInt.default(12_000),
  /** api processes sharing HTTP_PORT (node:cluster); `auto` = one per core. Unset: see apiProcesses. */
  API_PROCESSES: z
    .union([z.literal('auto'), z.coerce.number().int().min(1).max(MAX_API_PROCESSES)])
    .optional(),
  /** Where the api's cluster primary serves every api process's metrics in one scrape (API_PROCESSES > 1). */
  API_METRICS_PORT: port.default(9465),
  PGHOST: z.string().min(1).default('127.0.0.1'),
  PGPORT: port.default(5432),
  PGUSER: z.string().min(1).default('postgres'),
  PGPASSWORD: z.string().default(''),
  PGDATABASE: z
    .string()
    .regex(/^[a-z_][a-z0-9_]*$/, 'lower-case letters, digits and _ only')
    .default('debut'),
  DB_POOL_SIZE: positiveInt.default(10),
  KAFKA_BROKERS: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) =>
      s
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port')).min(1)),
  KAFKA_CLIENT_ID: z.string().min(1).default('debut'),
  KAFKA_GROUP_ID: z.string().min(1).default('debut-worker'),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, . _ - only')
    .default(''),
  KAFKA_PARTITIONS: positiveInt.default(4),
  // 1 suits the single local broker; a cluster needs 3 and 2 so that acks=all survives a broker loss.
  KAFKA_REPLICATION_FACTOR: positiveInt.max(32).default(1),
  KAFKA_MIN_INSYNC_REPLICAS: positiveInt.max(32).default(1),
  INDEX_DIR: z
    .string()
    .min(1)
    .default(path.join(root, '.data', 'index')),
  INDEX_KIND: z.enum(['flat', 'hnsw']).default('hnsw'),
  INDEX_EF_SEARCH: z.coerce.number().int().min(1).max(10_000).default(128),
  MODELS_DIR: z
    .string()
    .min(1)
    .default(path.join(root, '.data', 'models')),
  LASTFM_DIR: z
    .string()
    .min(1)
    .default(path.join(root, '..', 'shared', 'datasets', 'lastfm-hetrec2011')),
  AUDIENCE_NEIGHBOURS: positiveInt.default(50),
  AUDIENCE_SIZE: positiveInt.default(200),
  /** Largest audience one request (GET /v1/songs/{id}/audience?limit=) or release budget may ask for. */
  AUDIENCE_MAX_LIMIT: positiveInt.max(1_000_000).default(50_000),
  /** Share of a release's audience given to users outside its nearest audience, unless the release says. */
  AUDIENCE_EXPLORATION_SHARE: z.coerce.number().min(0).max(1).default(0),
  /** Candidates fetched per wanted member before the audience rules (region, explicit, exposed, played) filter them. */
  AUDIENCE_OVERFETCH_FACTOR: z.coerce.number().min(1.1).max(100).default(2),
  /** Retrieval rounds (each growing the fetch) before a short audience is returned as short. */
  AUDIENCE_OVERFETCH_ROUNDS: z.coerce.number().int().min(1).max(20).default(6),
  /** λ of the dual-memory gate mix u = (1 − λ)·u_gen + λ·u_next (issue 16); 0 = long-term memory only. */
  DSSM_NEXT_MIX: z.coerce.number().min(0).max(1).default(0),
  /** Most recent songs pooled (recency-weighted) into a user's next-intent vectors. */
  DSSM_NEXT_RECENT: z.coerce.number().int().min(1).max(50).default(10),
  /** Served audience method; `auto` = the best on cold validation recorded with the active audience model. */
  AUDIENCE_METHOD: z
    .enum(['auto', 'i2i2u', 'content-ridge', 'u2i-audience', 'cat', 'fusion'])
    .default('auto'),
  GRADUATE_AFTER_LISTENERS: positiveInt.default(20),
  TF_BACKEND: z.enum(['auto', 'tensorflow', 'wasm']).default('auto'),
  METRICS_ENABLED: bool.default('true'),
  WORKER_METRICS_PORT: port.default(9464),
  /** How long a failure of unknown kind is retried before its record is dead-lettered as poison, ms. */
  POISON_BUDGET_MS: z.coerce.number().int().min(0).max(4000).default(3000),
  /** Largest record sent to a DLQ topic; bigger dead letters go truncated (full bytes in dead_letters). */
  DLQ_MAX_RECORD_BYTES: z.coerce.number().int().min(16_384).max(10_000_000).default(262_144),
});

export interface DebutConfig {
  env: 'development' | 'test' | 'production';
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  http: {
    host: string;
    port: number;
    apiKey: string;
    rateLimitPerMinute: number;
    /** api processes sharing the port (1: no cluster, the process serves alone). */
    processes: number;
    /** Port of the cluster primary's aggregated /metrics (only when processes > 1). */
    clusterMetricsPort: number;
  };
  /** Connections per process (each api process and each worker has its own pool). */
  db: { host: string; port: number; user: string; password: string; database: string; poolSize: number };
  kafka: {
    brokers: string[];
    clientId: string;
    groupId: string;
    topicPrefix: string;
    partitions: number;
    /** Replication factor of created topics, and the least an existing topic must have. */
    replicationFactor: number;
    /** min.insync.replicas of created topics, and the least an existing topic must have. */
    minInsyncReplicas: number;
  };
  index: { dir: string; kind: 'flat' | 'hnsw'; efSearch: number };
  models: {
    dir: string;
    tfBackend: 'auto' | 'tensorflow' | 'wasm';
    /** Dual-memory users: λ of the gate mix and the recent length of h_next. */
    nextMemory: { mix: number; recent: number };
  };
  audience: {
    neighbours: number;
    size: number;
    graduateAfterListeners: number;
    method: 'auto' | 'i2i2u' | 'content-ridge' | 'u2i-audience' | 'cat' | 'fusion';
    /** Largest audience a request or a release budget may ask for. */
    maxLimit: number;
    /** Default share of a release's audience for exploration (users outside the nearest audience). */
    explorationShare: number;
    /** Over-fetch before the audience rules: first fetch = factor × wanted, grown for at most `rounds` rounds. */
    overFetch: { factor: number; rounds: number };
  };
  datasets: { lastfmDir: string };
  metricsEnabled: boolean;
  /** Where the worker serves Prometheus metrics (/metrics) when metrics are enabled. */
  workerMetricsPort: number;
  poison: { budgetMs: number; dlqMaxRecordBytes: number };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): DebutConfig {
  // Empty strings mean "unset" so that `FOO= cmd` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`,
      ),
    );
  }
  const e = parsed.data;
  if (e.KAFKA_MIN_INSYNC_REPLICAS > e.KAFKA_REPLICATION_FACTOR) {
    throw new ConfigError([
      `KAFKA_MIN_INSYNC_REPLICAS=${JSON.stringify(env.KAFKA_MIN_INSYNC_REPLICAS)}: must not exceed KAFKA_REPLICATION_FACTOR (${e.KAFKA_REPLICATION_FACTOR}), or no acks=all write could ever succeed`,
    ]);
  }
  if (e.AUDIENCE_SIZE > e.AUDIENCE_MAX_LIMIT) {
    throw new ConfigError([
      `AUDIENCE_SIZE=${JSON.stringify(env.AUDIENCE_SIZE)}: must not exceed AUDIENCE_MAX_LIMIT (${e.AUDIENCE_MAX_LIMIT})`,
    ]);
  }
  return {
    env: e.NODE_ENV,
    logLevel: e.LOG_LEVEL,
    http: {
      host: e.HTTP_HOST,
      port: e.HTTP_PORT,
      apiKey: e.API_KEY,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      processes: apiProcesses(e.API_PROCESSES, e.NODE_ENV),
      clusterMetricsPort: e.API_METRICS_PORT,
    },
    db: {
      host: e.PGHOST,
      port: e.PGPORT,
      user: e.PGUSER,
      password: e.PGPASSWORD,
      database: e.PGDATABASE,
      poolSize: e.DB_POOL_SIZE,
    },
    kafka: {
      brokers: e.KAFKA_BROKERS,
      clientId: e.KAFKA_CLIENT_ID,
      groupId: e.KAFKA_GROUP_ID,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      partitions: e.KAFKA_PARTITIONS,
      replicationFactor: e.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: e.KAFKA_MIN_INSYNC_REPLICAS,
    },
    index: { dir: e.INDEX_DIR, kind: e.INDEX_KIND, efSearch: e.INDEX_EF_SEARCH },
    models: {
      dir: e.MODELS_DIR,
      tfBackend: e.TF_BACKEND,
      nextMemory: { mix: e.DSSM_NEXT_MIX, recent: e.DSSM_NEXT_RECENT },
    },
    audience: {
      neighbours: e.AUDIENCE_NEIGHBOURS,
      size: e.AUDIENCE_SIZE,
      method: e.AUDIENCE_METHOD,
      graduateAfterListeners: e.GRADUATE_AFTER_LISTENERS,
      maxLimit: e.AUDIENCE_MAX_LIMIT,
      explorationShare: e.AUDIENCE_EXPLORATION_SHARE,
      overFetch: { factor: e.AUDIENCE_OVERFETCH_FACTOR, rounds: e.AUDIENCE_OVERFETCH_ROUNDS },
    },
    datasets: { lastfmDir: e.LASTFM_DIR },
    metricsEnabled: e.METRICS_ENABLED,
    workerMetricsPort: e.WORKER_METRICS_PORT,
    poison: { budgetMs: e.POISON_BUDGET_MS, dlqMaxRecordBytes: e.DLQ_MAX_RECORD_BYTES },
  };
}

/**
 * The api and the worker call this before they start: in production the public default API key
 * would let anyone publish releases and recompute audiences, so they refuse it and say what to set.
 */
export function assertSafeForProduction(config: Pick<DebutConfig, 'env' | 'http' | 'db'>): void {
  if (config.env !== 'production') return;
  const problems: string[] = [];
  if (config.http.apiKey === DEFAULT_API_KEY) {
    problems.push(
      'API_KEY is the public default while NODE_ENV=production: set API_KEY to a secret of at least 8 characters',
    );
  }
  // The local default is PostgreSQL's superuser with no password (trust auth on a laptop).
  if (config.db.password === '') {
    problems.push(
      'PGPASSWORD is empty while NODE_ENV=production: set PGPASSWORD (and PGUSER to a non-superuser role)',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

export const projectRoot = root;
