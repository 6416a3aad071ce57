import * as fs from 'node:fs';
/**
 * bench:api (DESIGN.md §7, issue 13): autocannon against the real api process on loopback, every
 * run measuring every route — the cold gate (100 candidate cold songs, a different user per
 * request), a released song's audience (default query, gate verdicts included), /similar on
 * warm songs — and, in the same run with the same connections and duration, a bare Fastify
 * server doing the gate's arithmetic (reference-gate-server.ts) as the yardstick for the gate.
 *
 * From a fresh clone it makes its own preconditions: the bench catalogue, an active DSSM
 * (trained and activated when missing) and released cold songs with stored audiences (through
 * the real worker when there are too few). Only HTTP routes, Kafka topics and the tables below
 * are used, never the api's or the worker's internals.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import {
  AudienceRepository,
  EmbeddingRepository,
  ModelVersionRepository,
  SongRepository,
  UserRepository,
  openDatabase,
} from '@debut/catalog';
import {
  API_ROUTES,
  GATE_TO_REFERENCE_TARGET,
  apiRow,
  gateToReference,
  routeVerdicts,
  type ApiRoute,
  type ApiRow,
  type AutocannonResult,
  type Verdict,
} from './api-report';
import {
  RSS_TARGET_MB,
  describeTreeMemory,
  treeMemory,
  withinRssTarget,
  type TreeMemory,
} from './process-rss';
import {
  BenchBroker,
  BenchKafka,
  DEFAULT_CATALOGUE,
  ReleaseSource,
  ServiceProcess,
  benchEnv,
  describeData,
  ensureCatalogue,
  loadLine,
  log,
  machineLine,
  machineReport,
  offerReleases,
  trainer,
  verdict,
  waitUntil,
  writeJsonReport,
  type MachineReport,
  type SeenRecord,
} from './services';

type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as Autocannon;

export interface ApiBenchOptions {
  seconds: number;
  connections: number;
  candidates: number;
  epochs: number;
  /** API_PROCESSES for the api under test (production's `auto` is one per core). */
  apiProcesses: number;
  /** Writes ApiBenchReport as JSON here. */
  out?: string;
}

/** What `bench:api --out F` writes (DESIGN.md §7: machine, data, rows; the rest added). */
export interface ApiBenchReport {
  machine: MachineReport;
  data: string;
  dssmVersion: string;
  apiProcesses: number;
  connections: number;
  seconds: number;
  candidates: number;
  rows: ApiRow[];
  /** cold-gate req/s ÷ reference-fastify-gate req/s in this run. */
  gateToReference: number | null;
  memory: { api: TreeMemory; reference: TreeMemory; worker: TreeMemory | null };
  verdicts: Verdict[];
}

/** Released songs with a stored audience the audience route cycles over (released when fewer). */
const MIN_AUDIENCE_SONGS = 100;
const SAMPLE = 2000;
const WARM_UP_SECONDS = 3;

interface RouteLoad {
  route: ApiRoute;
  base: string;
  method: 'GET' | 'POST';
  /** What the row and the printed line call the path. */
  path: string;
  /** How many distinct ids the requests cycle through: the warm-up asks for each at least once. */
  distinct?: number;
  what: string;
  request: (i: number) => { path: string; body?: string };
}

async function load(
  label: string,
  r: RouteLoad,
  o: { connections: number; seconds: number; amount?: number },
): Promise<AutocannonResult> {
  let i = 0;
  const result = await autocannon({
    url: r.base,
    connections: o.connections,
    ...(o.amount ? { amount: o.amount } : { duration: o.seconds }),
    requests: [
      {
        method: r.method,
        headers: { 'content-type': 'application/json' },
        // A different user / song per request, so no single cached answer is measured.
        setupRequest: (req: Record<string, unknown>) => ({ ...req, ...r.request(i++) }),
      },
    ],
  });
  const codes = Object.entries(result.statusCodeStats ?? {})
    .map(([c, s]) => `${c}×${s.count}`)
    .join(' ');
  console.log(
    `${label}: ${Math.round(result.requests.average).toLocaleString('en')} req/s (${result.requests.total.toLocaleString('en')} requests in ${o.seconds} s, ` +
      `${o.connections} connections), latency ms p50 ${result.latency.p50} p90 ${result.latency.p90} p99 ${result.latency.p99} max ${result.latency.max}; ` +
      `status ${codes}; non-2xx ${result.non2xx}, errors ${result.errors}, timeouts ${result.timeouts}`,
  );
  return result;
}

/** Waits until GET `url` answers 2xx; throws when the process exits or after `timeoutMs`. */
async function waitForHttp(url: string, proc: ServiceProcess, timeoutMs = 120_000): Promise<void> {
  const ok = await waitUntil(
    async () => {
      if (!proc.running) throw new Error(`${proc.name} exited; see ${proc.logFile}`);
      return fetch(url).then(
        (r) => r.ok,
        () => false,
      );
    },
    timeoutMs,
    500,
  );
  if (!ok)
    throw new Error(`${proc.name} not answering ${url} after ${timeoutMs / 1000} s; see ${proc.logFile}`);
}

/**
 * Releases `count` cold songs through the real worker (song.released → DSSM vector + audience),
 * so the gate has candidates and the audience route has stored audiences. Returns the worker's
 * memory just before it is stopped.
 */
async function releaseThroughWorker(env: ReturnType<typeof benchEnv>, count: number): Promise<TreeMemory> {
  log(`releasing ${count} cold songs through the worker first (gate candidates and stored audiences)`);
  const worker = new ServiceProcess('worker', env.vars);
  const k = new BenchKafka(env.config);
  try {
    await k.connect();
    const arrived = new Map<string, SeenRecord>();
    await k.read(k.topics.songAudienceSelected, arrived);
    worker.start();
    const sent = new Map<string, number>();
    await offerReleases(k, new ReleaseSource(`${env.runId}-gate`), count, 100, sent);
    const seen = () => new Set([...arrived.values()].map((r) => r.key));
    if (!(await waitUntil(() => [...sent.keys()].every((id) => seen().has(id)), 240_000, 500)))
      throw new Error(`the worker did not select audiences for the released songs; see ${worker.logFile}`);
    return treeMemory(worker.pid);
  } finally {
    await worker.stop();
    await k.close();
  }
}

/** The active DSSM, trained on the synthetic catalogue and activated when there is none. */
async function ensureDssm(env: ReturnType<typeof benchEnv>): Promise<{ version: string }> {
  const active = async () => {
    const ds = await openDatabase(env.config.db, { migrate: false });
    try {
      return await new ModelVersionRepository(ds).active('dssm');
    } finally {
      await ds.destroy();
    }
  };
  const found = await active();
  // One whose artifact is gone (another checkout's models directory) is replaced, as ensureCatalogue does.
  if (found && fs.existsSync(path.join(found.artifactPath, 'manifest.json'))) return found;
  log('no active DSSM in the bench database; training one (`trainer train dssm`) and activating it');
  const out = await trainer(['train', 'dssm', '--dataset', 'synthetic', '--seed', '42'], env.vars);
  const version = /registered (dssm-\S+)/.exec(out)?.[1];
  if (!version) throw new Error('`trainer train dssm` registered no version');
  await trainer(['activate', version], env.vars);
  const now = await active();
  if (!now) throw new Error(`${version} was activated but no DSSM is active`);
  return now;
}

interface Inputs {
  users: string[];
  warmSongs: string[];
  withAudience: string[];
  cold: string[];
}

/** Users with stored (u, b) vectors, warm songs, songs with an audience, and the gate's candidates. */
async function readInputs(
  env: ReturnType<typeof benchEnv>,
  version: string,
  candidates: number,
): Promise<Inputs> {
  const ds = await openDatabase(env.config.db, { migrate: false });
  try {
    const embeddings = new EmbeddingRepository(ds);
    const sample = await new UserRepository(ds).sample(SAMPLE);
    // Known users with vectors: the gate's common case (the reference holds exactly these).
    const stored = await embeddings.userVectors(version, sample);
    return {
      users: sample.filter((u) => stored.has(u)),
      warmSongs: await new SongRepository(ds).sampleIds('warm', SAMPLE),
      withAudience: await new AudienceRepository(ds).sampleSongIds(SAMPLE),
      cold: await embeddings.embeddedSongIds(version, 'cold', candidates),
    };
  } finally {
    await ds.destroy();
  }
}

export async function runApiBench(o: ApiBenchOptions): Promise<void> {
  const loadBefore = os.loadavg();
  const env = benchEnv('api', { LOG_LEVEL: 'warn', API_PROCESSES: String(o.apiProcesses) });
  const broker = new BenchBroker(); // the api's own consumers/producers need a broker to start
  const api = new ServiceProcess('api', env.vars);
  const referencePort = Number(process.env.BENCH_REFERENCE_PORT ?? env.config.http.port + 1);
  let reference: ServiceProcess | null = null;
  try {
    await broker.start();
    await ensureCatalogue(env.config, env.vars, { ...DEFAULT_CATALOGUE, epochs: o.epochs });
    const dssm = await ensureDssm(env);
    let inputs = await readInputs(env, dssm.version, o.candidates);
    const release = Math.max(
      inputs.cold.length < o.candidates ? o.candidates - inputs.cold.length + 20 : 0,
      MIN_AUDIENCE_SONGS - inputs.withAudience.length,
    );
    let worker: TreeMemory | null = null;
    if (release > 0) {
      worker = await releaseThroughWorker(env, release);
      inputs = await readInputs(env, dssm.version, o.candidates);
    }
    const { users, warmSongs, withAudience, cold } = inputs;
    if (cold.length < o.candidates)
      throw new Error(`only ${cold.length} cold songs have ${dssm.version} vectors (need ${o.candidates})`);
    if (!users.length) throw new Error(`no sampled user has ${dssm.version} vectors`);
    if (!withAudience.length)
      throw new Error('no song has a stored audience after releasing through the worker');

    api.start();
    reference = new ServiceProcess('reference-gate', env.vars, [
      path.join('dist', 'apps', 'bench', 'src', 'reference-gate-server.js'),
      '--version',
      dssm.version,
      '--port',
      String(referencePort),
    ]);
    reference.start();
    const base = `http://127.0.0.1:${env.config.http.port}`;
    const referenceBase = `http://127.0.0.1:${referencePort}`;
    await waitForHttp(`${base}/health`, api, 120_000);
    await waitForHttp(`${referenceBase}/health`, reference, 120_000);

    const data = `${await describeData(env.config)}; DSSM ${dssm.version}; ${users.length} users with vectors, ${cold.length} candidate cold songs, ${withAudience.length} songs with an audience, ${warmSongs.length} warm songs`;
    console.log('\n=== bench:api ===');
    console.log(`machine: ${machineLine()} — autocannon, the api and the reference share these cores`);
    console.log(`data: ${data}`);
    console.log(
      `api: real process (node dist/apps/api/src/main.js, API_PROCESSES=${o.apiProcesses}) on ${base}; reference-fastify-gate: one bare Fastify process on ${referenceBase} (same vectors in Float32Arrays); loopback, HTTP/1.1 keep-alive, ${o.connections} connections, ${o.seconds} s per route after a ${WARM_UP_SECONDS} s warm-up`,
    );

    const gateBody = JSON.stringify({ songIds: cold });
    const gatePath = (i: number) => `/v1/users/${encodeURIComponent(users[i % users.length])}/cold-gate`;
    const loads: Record<ApiRoute, RouteLoad> = {
      'cold-gate': {
        route: 'cold-gate',
        base,
        method: 'POST',
        path: '/v1/users/:id/cold-gate',
        what: `${o.candidates} candidate cold songs, a different user per request`,
        request: (i) => ({ path: gatePath(i), body: gateBody }),
      },
      'reference-fastify-gate': {
        route: 'reference-fastify-gate',
        base: referenceBase,
        method: 'POST',
        path: '/v1/users/:id/cold-gate',
        what: `bare Fastify, the gate's arithmetic on the same users and ${o.candidates} songs`,
        request: (i) => ({ path: gatePath(i), body: gateBody }),
      },
      audience: {
        route: 'audience',
        base,
        method: 'GET',
        path: '/v1/songs/:id/audience',
        what: 'released songs, default query (gate verdicts included)',
        distinct: withAudience.length,
        request: (i) => ({
          path: `/v1/songs/${encodeURIComponent(withAudience[i % withAudience.length])}/audience`,
        }),
      },
      similar: {
        route: 'similar',
        base,
        method: 'GET',
        path: '/v1/songs/:id/similar?limit=10',
        what: 'warm songs, FAISS search',
        request: (i) => ({
          path: `/v1/songs/${encodeURIComponent(warmSongs[i % warmSongs.length])}/similar?limit=10`,
        }),
      },
    };

    const rows: ApiRow[] = [];
    for (const route of API_ROUTES) {
      const r = loads[route];
      const first = r.request(0);
      const probe = await fetch(`${r.base}${first.path}`, {
        method: r.method,
        headers: { 'content-type': 'application/json' },
        body: first.body,
      });
      if (!probe.ok)
        console.log(
          `WARNING ${route}: the probe answered ${probe.status}: ${(await probe.text()).slice(0, 200)} — measured anyway, the row counts the errors`,
        );
      await load(`${route} warm-up`, r, {
        connections: o.connections,
        seconds: Math.min(WARM_UP_SECONDS, o.seconds),
      });
      // A process-local cache (audiences) is measured warm, as it runs in production: every id once more.
      if (r.distinct)
        await load(`${route} warm-up (each of ${r.distinct} ids once)`, r, {
          connections: o.connections,
          seconds: o.seconds,
          amount: r.distinct * Math.max(1, o.apiProcesses),
        });
      const result = await load(`${route}: ${r.method} ${r.path} (${r.what})`, r, o);
      const row = apiRow(route, r.method, r.path, result);
      rows.push(row);
      for (const v of routeVerdicts(row))
        console.log(`  target ${v.target}: ${v.measured} → ${verdict(v.met)}`);
    }

    const memory = { api: treeMemory(api.pid), reference: treeMemory(reference.pid), worker };
    const machine = machineReport(loadBefore);
    const ratio = gateToReference(rows);
    const verdicts = rows.flatMap(routeVerdicts);
    verdicts.push({
      target: `cold-gate ≥ ${GATE_TO_REFERENCE_TARGET * 100}% of reference-fastify-gate req/s (same run)`,
      measured: ratio === null ? 'no reference measured' : `${(ratio * 100).toFixed(1)}%`,
      met: ratio !== null && ratio >= GATE_TO_REFERENCE_TARGET,
    });
    verdicts.push({
      target: `api ≤ ${RSS_TARGET_MB} MiB RSS per process`,
      measured: `peak ${Math.max(0, ...memory.api.processes.map((p) => p.peakRssMb))} MiB`,
      met: withinRssTarget(memory.api),
    });
    if (worker)
      verdicts.push({
        target: `worker ≤ ${RSS_TARGET_MB} MiB RSS per process`,
        measured: `peak ${Math.max(0, ...worker.processes.map((p) => p.peakRssMb))} MiB`,
        met: withinRssTarget(worker),
      });

    console.log('\n--- summary ---');
    console.log(`machine: ${loadLine(machine)}`);
    console.log(describeTreeMemory('api', memory.api));
    console.log(describeTreeMemory('reference-fastify-gate', memory.reference));
    console.log(
      worker
        ? describeTreeMemory('worker (while releasing the cold songs, before the api routes)', worker)
        : 'worker: not run (cold songs and audiences were already there)',
    );
    const gate = rows.find((r) => r.route === 'cold-gate')!;
    const ref = rows.find((r) => r.route === 'reference-fastify-gate')!;
    if (ref.errors)
      console.log(`WARNING: the reference answered ${ref.errors} errors; the ratio is not meaningful`);
    console.log(
      `gate / reference-fastify-gate: ${gate.reqPerSec} / ${ref.reqPerSec} req/s = ${ratio === null ? '—' : `${(ratio * 100).toFixed(1)}%`}`,
    );
    for (const v of verdicts) console.log(`target ${v.target}: ${v.measured} → ${verdict(v.met)}`);
    console.log(`api crashes: ${api.crashes.length}`);

    if (o.out) {
      const report: ApiBenchReport = {
        machine,
        data,
        dssmVersion: dssm.version,
        apiProcesses: o.apiProcesses,
        connections: o.connections,
        seconds: o.seconds,
        candidates: o.candidates,
        rows,
        gateToReference: ratio,
        memory,
        verdicts,
      };
      writeJsonReport(o.out, report);
    }
  } finally {
    await reference?.stop();
    await api.stop();
    await broker.release();
  }
}
