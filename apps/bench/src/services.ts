/**
 * What the operational benchmarks (pipeline, faults, api) share: an isolated environment (own
 * database, own broker on its own port, own topics per run), the real api / worker processes as
 * children, and a synthetic catalogue of established songs with an active I2I model.
 *
 * Isolation is deliberate: bench:faults kills and restarts the broker, and other people's tests
 * and demos use the project's broker on 9092 and the `debut` / `test` databases.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { logLevel, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { loadConfig, projectRoot, type DebutConfig } from '@debut/config';
import {
  InteractionRepository,
  ModelVersionRepository,
  SongRepository,
  StatsRepository,
  openDatabase,
  withDatabaseAdmin,
} from '@debut/catalog';
import { playRows, warmSongRows } from '@debut/serving';
import type { SongReleasedEvent } from '@debut/features';
import { createKafka, ensureTopics, topicNames, type TopicNames } from '@debut/messaging';
import { generateSynthetic, toSongReleasedEvents, type Item } from '@debut/evaluation';

const run = promisify(execFile);
export const BENCH_DIR = path.join(projectRoot, '.data', 'bench');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const log = (m: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`);

/**
 * Environment of a benchmark run, applied to this process (so loadConfig() sees it) and passed
 * to every child. Topics and consumer group are fresh per run so that old records never count.
 */
export function benchEnv(
  name: string,
  extra: Record<string, string> = {},
): { config: DebutConfig; vars: Record<string, string>; runId: string } {
  const runId = `${name}-${Date.now().toString(36)}`;
  const vars: Record<string, string> = {
    PGDATABASE: process.env.BENCH_PGDATABASE ?? 'debut_bench',
    KAFKA_BROKERS: `127.0.0.1:${process.env.BENCH_KAFKA_PORT ?? '19092'}`,
    KAFKA_TOPIC_PREFIX: `bench-${runId}`,
    KAFKA_GROUP_ID: `bench-${runId}`,
    KAFKA_PARTITIONS: '4',
    INDEX_DIR: path.join(BENCH_DIR, 'index'),
    MODELS_DIR: path.join(BENCH_DIR, 'models'),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: process.env.BENCH_HTTP_PORT ?? '3917',
    LOG_LEVEL: 'warn',
    // The gate benchmark offers far more than the production default per minute.
    RATE_LIMIT_PER_MINUTE: '1000000000',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
    ...extra,
  };
  Object.assign(process.env, vars);
  return { config: loadConfig(), vars, runId };
}

/** Machine facts printed with every result: the numbers mean little without them. */
export function machineLine(): string {
  const [l1, l5] = os.loadavg();
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${l1.toFixed(2)} / ${l5.toFixed(2)} (1/5 min), Node ${process.version}`;
}

/** The machine in a benchmark's JSON: what machineLine() prints, with the load before and after the run. */
export interface MachineReport {
  cores: number;
  cpu: string;
  node: string;
  /** os.loadavg() (1, 5, 15 min) when the benchmark started. */
  loadBefore: number[];
  /** os.loadavg() when it finished. */
  loadAfter: number[];
  line: string;
}

/** Call at the end of a run with the loadavg taken at its start. */
export function machineReport(loadBefore: number[]): MachineReport {
  const round = (l: number[]) => l.map((v) => Math.round(v * 100) / 100);
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? '?',
    node: process.version,
    loadBefore: round(loadBefore),
    loadAfter: round(os.loadavg()),
    line: machineLine(),
  };
}

/** `load average 1.20 → 1.85 (1 min, before → after)`. */
export function loadLine(m: MachineReport): string {
  return `load average ${m.loadBefore[0].toFixed(2)} → ${m.loadAfter[0].toFixed(2)} (1 min, start → end of the run; 5 min ${m.loadAfter[1].toFixed(2)}) on ${m.cores} cores`;
}

/** Writes a benchmark's `--out` JSON (directories created). */
export function writeJsonReport(file: string, report: unknown): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * A single-node KRaft broker of our own (the project's jars and server template, resolved by
 * docker/kafka/start.sh), on BENCH_KAFKA_PORT with its data under .data/bench/kafka.
 */
export class BenchBroker {
  readonly port: number;
  private readonly dir = path.join(BENCH_DIR, 'kafka');
  private readonly pidFile = path.join(this.dir, 'kafka.pid');
  private readonly logFile = path.join(this.dir, 'kafka.log');
  private startedHere = false;

  constructor(port = Number(process.env.BENCH_KAFKA_PORT ?? 19092)) {
    this.port = port;
  }

  private get pid(): number | null {
    const pid = fs.existsSync(this.pidFile) ? Number(fs.readFileSync(this.pidFile, 'utf8')) : NaN;
    if (!pid) return null;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka') ? pid : null;
    } catch {
      return null;
    }
  }

  async start(): Promise<void> {
    if (await portOpen(this.port)) {
      if (!this.pid) throw new Error(`port ${this.port} is taken by something else; set BENCH_KAFKA_PORT`);
      log(`broker already running on 127.0.0.1:${this.port} (pid ${this.pid})`);
      return;
    }
    const libs = path.join(projectRoot, '.cache', 'kafka', 'libs');
    if (!fs.existsSync(libs))
      await run('bash', [path.join(projectRoot, 'docker', 'kafka', 'start.sh'), '--jars-only']); // resolves the jars once
    fs.mkdirSync(this.dir, { recursive: true });
    const props = path.join(this.dir, 'server.properties');
    const template = fs.readFileSync(
      path.join(projectRoot, 'docker', 'kafka', 'server.properties.template'),
      'utf8',
    );
    fs.writeFileSync(
      props,
      template
        .replace(/@HOST@/g, '127.0.0.1')
        .replace(/@PORT@/g, String(this.port))
        .replace(/@CONTROLLER_PORT@/g, String(this.port + 1))
        .replace(/@LOG_DIRS@/g, path.join(this.dir, 'logs'))
        .replace(/@META_DIR@/g, path.join(this.dir, 'metadata')),
    );
    const jvm = [
      '-Djava.awt.headless=true',
      `-Dlog4j.configuration=file:${path.join(projectRoot, 'docker', 'kafka', 'log4j.properties')}`,
      `-Dkafka.logs.dir=${this.dir}`,
    ];
    const cp = `${libs}/*`;
    if (!fs.existsSync(path.join(this.dir, 'logs', 'meta.properties'))) {
      const { stdout } = await run('java', ['-cp', cp, ...jvm, 'kafka.tools.StorageTool', 'random-uuid']);
      await run('java', [
        '-cp',
        cp,
        ...jvm,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        stdout.trim().split('\n').pop()!,
        '-c',
        props,
      ]);
    }
    const offset = fs.existsSync(this.logFile) ? fs.statSync(this.logFile).size : 0;
    const out = fs.openSync(this.logFile, 'a');
    const child = spawn(
      'java',
      ['-Xms256m', '-Xmx512m', '-XX:+UseG1GC', ...jvm, '-cp', cp, 'kafka.Kafka', props],
      {
        detached: true,
        stdio: ['ignore', out, out],
      },
    );
    child.unref();
    fs.closeSync(out);
    fs.writeFileSync(this.pidFile, String(child.pid));
    this.startedHere = true;
    const t0 = Date.now();
    while (Date.now() - t0 < 90_000) {
      const tail = fs.readFileSync(this.logFile).subarray(offset).toString();
      if (tail.includes('Kafka Server started') && (await portOpen(this.port))) {
        log(
          `broker up on 127.0.0.1:${this.port} (pid ${child.pid}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`,
        );
        return;
      }
      if (!this.pid) throw new Error(`broker exited during start; see ${this.logFile}`);
      await sleep(250);
    }
    throw new Error(`broker not ready after 90 s; see ${this.logFile}`);
  }

  /** Clean stop (TERM, KILL after 30 s). Only ever touches the pid this class started. */
  async stop(): Promise<void> {
    const pid = this.pid;
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    const t0 = Date.now();
    while (this.pid && Date.now() - t0 < 30_000) await sleep(200);
    if (this.pid) process.kill(pid, 'SIGKILL');
    while (this.pid) await sleep(100);
    fs.rmSync(this.pidFile, { force: true });
    log(`broker stopped (pid ${pid}, ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }

  /** Stops the broker at the end when this run started it (BENCH_KEEP_BROKER=1 keeps it for the next bench). */
  async release(): Promise<void> {
    if (this.startedHere && process.env.BENCH_KEEP_BROKER !== '1') await this.stop();
  }
}

/** `node dist/apps/<name>/src/main.js` (or another script) as a child with the bench environment; logs under .data/bench/logs. */
export class ServiceProcess {
  private child: ChildProcess | null = null;
  private expectExit = false;
  /** Exits nobody asked for (crashes). */
  readonly crashes: Array<{ code: number | null; signal: string | null }> = [];
  readonly logFile: string;

  constructor(
    readonly name: 'api' | 'worker' | 'reference-gate',
    private readonly vars: Record<string, string>,
    /** Script (relative to the project root) and its arguments; default the app's dist main.js. */
    private readonly entry: string[] = [path.join('dist', 'apps', name, 'src', 'main.js')],
  ) {
    fs.mkdirSync(path.join(BENCH_DIR, 'logs'), { recursive: true });
    this.logFile = path.join(BENCH_DIR, 'logs', `${name}.log`);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const out = fs.openSync(this.logFile, 'a');
    fs.writeSync(out, `\n===== ${new Date().toISOString()} bench starts ${this.name} =====\n`);
    this.expectExit = false;
    const child = spawn(process.execPath, [path.join(projectRoot, this.entry[0]), ...this.entry.slice(1)], {
      env: { ...process.env, ...this.vars },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    child.on('exit', (code, signal) => {
      if (!this.expectExit) this.crashes.push({ code, signal });
    });
    this.child = child;
  }

  /** kill -9: the process gets no chance to finish its event or commit. */
  async kill9(): Promise<void> {
    await this.signal('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM', 30_000);
  }

  private async signal(sig: NodeJS.Signals, graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectExit = true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(sig);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
  }

  /** Lines of this process's log that match (e.g. the tf backend it reported). */
  grepLog(re: RegExp): string[] {
    return fs.existsSync(this.logFile)
      ? fs
          .readFileSync(this.logFile, 'utf8')
          .split('\n')
          .filter((l) => re.test(l))
      : [];
  }
}

/** Runs a trainer command as a child (same code path as `npm run trainer`), output streamed and returned. */
export async function trainer(args: string[], vars: Record<string, string>): Promise<string> {
  const child = spawn(
    process.execPath,
    [path.join(projectRoot, 'dist', 'apps', 'trainer', 'src', 'main.js'), ...args],
    {
      env: { ...process.env, ...vars },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  if (code !== 0) throw new Error(`trainer ${args.join(' ')} exited with ${code}`);
  return out;
}

/** The machine's PostgreSQL cluster, restarted the way an operator would. */
export async function restartPostgres(): Promise<number> {
  const t0 = Date.now();
  const version = fs.readdirSync('/etc/postgresql')[0];
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart']);
  return Date.now() - t0;
}

export interface CatalogueSpec {
  songs: number;
  interactions: number;
  /** Songs generated beyond `songs` whose content the benchmarks release as new songs. */
  releasePool: number;
  seed: number;
  epochs: number;
}

export const DEFAULT_CATALOGUE: CatalogueSpec = {
  songs: 100_000,
  interactions: 1_000_000,
  releasePool: 5_000,
  seed: 42,
  epochs: 2,
};

/**
 * The bench database with `songs` established songs, about `interactions` plays and an active
 * I2I model; built once (about 2-4 minutes) and reused while its counts match.
 *
 * The I2I encoder is trained by `trainer train i2i` on the default-size synthetic catalogue of
 * the same seed: the generator draws its content→style projections before any song, so that
 * catalogue and this 100k one share the content space, and training stays a minute or two
 * instead of an hour. `trainer activate` then embeds all 100k songs and builds the warm index.
 */
export async function ensureCatalogue(
  config: DebutConfig,
  vars: Record<string, string>,
  spec: CatalogueSpec = DEFAULT_CATALOGUE,
): Promise<void> {
  const ds = await openDatabase(config.db);
  try {
    const { warm, plays } = await new StatsRepository(ds).catalogueSize();
    const active = await new ModelVersionRepository(ds).active('i2i');
    // A catalogue whose model artifact is gone (another checkout's models directory) is rebuilt.
    const artifactThere = active && fs.existsSync(path.join(active.artifactPath, 'manifest.json'));
    if (!artifactThere && active)
      log(`the active I2I's artifact ${active.artifactPath} is missing: rebuilding`);
    if (
      warm === spec.songs &&
      Math.abs(plays - spec.interactions) < spec.interactions * 0.02 &&
      artifactThere
    ) {
      log(
        `catalogue reused: ${config.db.database} has ${warm} established songs, ${plays} interactions, active ${active.version}`,
      );
      return;
    }
    if (warm !== spec.songs || Math.abs(plays - spec.interactions) >= spec.interactions * 0.02) {
      await ds.destroy();
      await recreateDatabase(config);
      await importCatalogue(config, spec);
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
  const t0 = Date.now();
  const out = await trainer(
    ['train', 'i2i', '--dataset', 'synthetic', '--seed', String(spec.seed), '--epochs', String(spec.epochs)],
    vars,
  );
  const version = /registered (i2i-\S+)/.exec(out)?.[1];
  if (!version) throw new Error('train i2i registered no version');
  await trainer(['activate', version], vars);
  log(
    `model ${version} trained (${spec.epochs} epoch(s), default synthetic catalogue seed ${spec.seed}) and activated on ${spec.songs} songs in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
}

async function recreateDatabase(config: DebutConfig): Promise<void> {
  const db = config.db.database;
  if (!db.includes('bench'))
    throw new Error(`refusing to drop ${db}: the bench database name must contain "bench"`);
  await withDatabaseAdmin(config.db, (admin) => admin.dropDatabase(db));
}

async function importCatalogue(config: DebutConfig, spec: CatalogueSpec): Promise<void> {
  const t0 = Date.now();
  // Users until the played (user, song) pairs on established songs reach the target.
  const cat = generateSynthetic({
    seed: spec.seed,
    songs: spec.songs + spec.releasePool,
    users: Math.ceil(spec.interactions / 68),
    interactionsPerUser: 100,
  });
  const established = new Set(cat.items.slice(0, spec.songs).map((it) => it.id));
  const kept = cat.interactions.filter((it) => established.has(it.itemId));
  let end = Math.min(kept.length, spec.interactions);
  while (end < kept.length && end > 0 && kept[end].userId === kept[end - 1].userId) end++;
  const plays = kept.slice(0, end);
  log(
    `generated ${cat.items.length} songs and ${plays.length} interactions of ${new Set(plays.map((p) => p.userId)).size} users in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  const ds: DataSource = await openDatabase(config.db);
  try {
    const now = Date.now();
    await new SongRepository(ds).insertMany(warmSongRows(cat.items.slice(0, spec.songs), now));
    await new InteractionRepository(ds).insertMany(playRows(plays, 'bench', now), undefined, 20_000);
    await new SongRepository(ds).analyze();
  } finally {
    await ds.destroy();
  }
  log(`imported into ${config.db.database} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

/**
 * New releases: content of the catalogue's held-back songs (never imported), each under a fresh
 * song id and event id, so every run and every benchmark can release as many as it likes.
 */
export class ReleaseSource {
  private readonly pool: Item[];
  private next = 0;

  constructor(
    private readonly runId: string,
    spec: CatalogueSpec = DEFAULT_CATALOGUE,
  ) {
    // users: 0 skips the expensive listening simulation; song content depends only on seed and size.
    this.pool = generateSynthetic({
      seed: spec.seed,
      songs: spec.songs + spec.releasePool,
      users: 0,
    }).items.slice(spec.songs);
  }

  take(): SongReleasedEvent {
    const i = this.next++;
    const [e] = toSongReleasedEvents([this.pool[i % this.pool.length]], { seed: i });
    return {
      ...e,
      eventId: randomUUID(),
      songId: `r-${this.runId}-${i}`,
      title: `Bench release ${i}`,
      releasedAt: new Date().toISOString(),
    };
  }
}

/** One record seen on an output topic; (partition, offset) identifies it across reader restarts. */
export interface SeenRecord {
  key: string;
  partition: number;
  offset: string;
  at: number;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * The bench's own Kafka side: creates the run's topics, publishes releases (retrying through
 * broker outages, as a label's system would) and reads song.audience.selected / the DLQ.
 */
export class BenchKafka {
  readonly kafka: Kafka;
  readonly topics: TopicNames;
  private producer: Producer | null = null;
  private readonly readers: Consumer[] = [];

  constructor(private readonly config: DebutConfig) {
    this.kafka = createKafka(config, { clientIdSuffix: '-bench', logLevel: logLevel.NOTHING });
    this.topics = topicNames(config.kafka.topicPrefix);
  }

  async connect(): Promise<void> {
    await ensureTopics(this.kafka, this.config, { logger: { log: () => undefined, warn: log, error: log } });
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: false,
      retry: { retries: 3, initialRetryTime: 100 },
    });
    await this.producer.connect();
  }

  /** Sends until the broker acknowledges (acks=all); returns how many attempts it took. */
  send(topic: string, key: string | null, value: string | Buffer | null, stopAt = Infinity): Promise<number> {
    return this.sendBatch(topic, [{ key, value }], stopAt);
  }

  /** One request for several records, sent until the broker acknowledges (acks=all) or `stopAt`. */
  async sendBatch(
    topic: string,
    messages: Array<{ key: string | null; value: string | Buffer | null }>,
    stopAt = Infinity,
  ): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.producer!.send({ topic, acks: -1, messages });
        return attempt;
      } catch (e) {
        if (Date.now() > stopAt) throw e;
        await sleep(Math.min(2000, 100 * attempt));
      }
    }
  }

  /** Reads `topic` from the beginning into `into` (deduplicated by partition:offset). */
  async read(
    topic: string,
    into: Map<string, SeenRecord>,
    onRecord?: (r: SeenRecord) => void,
  ): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: `bench-reader-${randomUUID()}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const joined = new Promise<void>((r) => consumer.on(consumer.events.GROUP_JOIN, () => r()));
    await consumer.run({
      eachMessage: ({ partition, message }) => {
        const id = `${partition}:${message.offset}`;
        if (into.has(id)) return Promise.resolve();
        const headers = Object.fromEntries(
          Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
        );
        const r: SeenRecord = {
          key: message.key?.toString() ?? '',
          partition,
          offset: message.offset,
          at: Date.now(),
          value: message.value,
          headers,
        };
        into.set(id, r);
        onRecord?.(r);
        return Promise.resolve();
      },
    });
    await joined;
    this.readers.push(consumer);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.readers.map((c) => c.disconnect()));
    await this.producer?.disconnect().catch(() => undefined);
  }
}

/** Waits until `done()` or the timeout; returns whether it got there. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await done()) return true;
    await sleep(everyMs);
  }
  return done();
}

/**
 * Publishes `count` new releases at a fixed offered rate (open loop: the schedule does not wait
 * for the worker, so a slow worker shows up as latency, not as a lower offered rate). `sent`
 * gets each song's publish time; resolves when every send was acknowledged.
 */
export async function offerReleases(
  k: BenchKafka,
  releases: ReleaseSource,
  count: number,
  rate: number,
  sent: Map<string, number>,
  eventIds?: Map<string, string>,
): Promise<{ seconds: number; maxLateMs: number; attempts: number }> {
  const t0 = performance.now();
  const pending: Promise<number>[] = [];
  let maxLateMs = 0;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    maxLateMs = Math.max(maxLateMs, performance.now() - due);
    const e = releases.take();
    sent.set(e.songId, Date.now());
    eventIds?.set(e.songId, e.eventId);
    pending.push(k.send(k.topics.songReleased, e.songId, JSON.stringify(e)));
  }
  const attempts = (await Promise.all(pending)).reduce((a, b) => a + b, 0);
  return { seconds: (performance.now() - t0) / 1000, maxLateMs, attempts };
}

/** Songs, plays and model of the bench database, for the "on what data" line. */
export async function describeData(config: DebutConfig): Promise<string> {
  const ds = await openDatabase(config.db, { migrate: false });
  try {
    const c = await new StatsRepository(ds).catalogueSize();
    const m = await new ModelVersionRepository(ds).active('i2i');
    return `${config.db.database}: ${c.warm.toLocaleString('en')} established songs, ${c.plays.toLocaleString('en')} interactions of ${c.users.toLocaleString('en')} users; I2I ${m?.version ?? 'none'} (dim ${m?.dim ?? '?'}), warm index ${config.index.kind}`;
  } finally {
    await ds.destroy();
  }
}
