import type { Command } from 'commander';
import { InterestBoundary } from '@debut/audience';
import { loadWithSplit, parseDataset } from '@debut/evaluation';
import { DEFAULT_DSSM_ARCH, backendName, initTf, loadDssmModel, mulberry32 } from '@debut/models';
import { positive } from './cli-args';

interface GateBenchOptions {
  model?: string;
  dim: number;
  users: number;
  candidates: number;
  calls: number;
  seed: number;
}

interface GateData {
  dim: number;
  /** Users × dim each. */
  users: Float32Array;
  boundaries: Float32Array;
  /** Pool × dim, L2-normalised. */
  items: Float32Array;
  describe: string;
}

/** Random vectors: the gate is arithmetic, its cost does not depend on the values. */
function randomData(o: GateBenchOptions): GateData {
  const rng = mulberry32(o.seed);
  const g = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  const fill = (n: number) => Float32Array.from({ length: n * o.dim }, g);
  const pool = Math.max(o.candidates * 10, 2000);
  const items = fill(pool);
  for (let r = 0; r < pool; r++) {
    let s = 0;
    for (let c = 0; c < o.dim; c++) s += items[r * o.dim + c] ** 2;
    for (let c = 0; c < o.dim; c++) items[r * o.dim + c] /= Math.sqrt(s);
  }
  return {
    dim: o.dim,
    users: fill(o.users),
    boundaries: fill(o.users),
    items,
    describe: `random Gaussian user/boundary vectors (${o.users} users) and ${pool} L2-normalised item vectors, dim ${o.dim}`,
  };
}

/** Real vectors from a DSSM artifact: cold songs of its dataset, users from their training histories. */
async function modelData(o: GateBenchOptions): Promise<GateData> {
  const { model, manifest } = await loadDssmModel(o.model!);
  const recorded = manifest.metrics.dataset; // the trainer records the dataset name as a string
  const name = parseDataset(typeof recorded === 'string' ? recorded : 'synthetic');
  const seed = Number(manifest.metrics.seed ?? 42);
  const { dataset, split } = loadWithSplit(name, seed);
  const byId = new Map(dataset.items.map((i) => [i.id, i.content]));
  const cold = [...split.coldValItems, ...split.coldTestItems];
  const items = model.embedItems(cold.map((id) => byId.get(id)!));
  const hist = new Map<string, string[]>();
  for (const it of split.train) {
    if (!hist.has(it.userId)) hist.set(it.userId, []);
    hist.get(it.userId)!.push(it.itemId);
  }
  const users = dataset.users.filter((u) => hist.has(u)).slice(0, o.users);
  const v = model.embedUsers(users.map((u) => hist.get(u)!.map((id) => byId.get(id)!)));
  return {
    dim: model.dim,
    users: v.users,
    boundaries: v.boundaries,
    items,
    describe: `DSSM ${manifest.version} on ${name} (seed ${seed}): ${users.length} users' u/b, ${cold.length} cold songs, dim ${model.dim}`,
  };
}

function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Times InterestBoundary construction (u·b) + gate over `candidates` songs, one call per user request. */
export async function runGateBench(o: GateBenchOptions): Promise<void> {
  await initTf({ log: () => undefined });
  const data = o.model ? await modelData(o) : randomData(o);
  const { dim } = data;
  const nUsers = data.users.length / dim;
  const pool = data.items.length / dim;
  const C = Math.min(o.candidates, pool);
  // Candidate sets prepared up front (packed rows, as the serving path gets them from the index).
  const rng = mulberry32(o.seed + 1);
  const sets = Array.from({ length: 64 }, () => {
    const start = Math.floor(rng() * (pool - C + 1));
    return {
      ids: Array.from({ length: C }, (_, i) => `song-${start + i}`),
      vecs: data.items.slice(start * dim, (start + C) * dim),
    };
  });
  const call = (n: number) => {
    const u = n % nUsers;
    const gate = new InterestBoundary({
      user: data.users.subarray(u * dim, (u + 1) * dim),
      boundary: data.boundaries.subarray(u * dim, (u + 1) * dim),
    });
    const set = sets[n % sets.length];
    return gate.gate(set.ids, set.vecs);
  };
  let passed = 0;
  for (let n = 0; n < Math.min(2000, o.calls); n++) call(n); // JIT warm-up
  const lat = new Float64Array(o.calls);
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < o.calls; n++) {
    const s = process.hrtime.bigint();
    const r = call(n);
    lat[n] = Number(process.hrtime.bigint() - s) / 1e6;
    if (r[0].pass) passed++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort();
  const pairs = o.calls * C;
  console.log(`bench:gate — InterestBoundary.gate (libs/audience), in process, single thread`);
  console.log(`data: ${data.describe}`);
  console.log(`tf backend (only used to produce model vectors; the gate is plain JS): ${backendName()}`);
  console.log(`calls: ${o.calls} (one per user request, ${C} candidates each, cycling over ${nUsers} users)`);
  console.log('');
  console.log(
    '| pairs | seconds | pairs/s | calls/s | p50 ms/call | p99 ms/call | target ≥ 100,000 pairs/s |',
  );
  console.log('|---|---|---|---|---|---|---|');
  const rate = pairs / seconds;
  console.log(
    `| ${pairs} | ${seconds.toFixed(3)} | ${Math.round(rate)} | ${Math.round(o.calls / seconds)} | ` +
      `${percentile(lat, 0.5).toFixed(4)} | ${percentile(lat, 0.99).toFixed(4)} | ${rate >= 100_000 ? 'met' : 'MISSED'} |`,
  );
  console.log(`(first candidate passed in ${passed} of ${o.calls} calls)`);
}

/** bench:gate (registered under `bench`). */
export function registerGateBench(bench: Command): void {
  bench
    .command('gate')
    .description('in-process gate scoring throughput (InterestBoundary.gate): pairs/s, p50/p99 per call')
    .option(
      '--model <dir>',
      'DSSM artifact to take real user/boundary/cold-song vectors from (default: random vectors)',
    )
    .option(
      '--dim <n>',
      "vector dimension without --model (default: the DSSM's dim)",
      positive,
      DEFAULT_DSSM_ARCH.dim,
    )
    .option('--users <n>', 'distinct users', positive, 10_000)
    .option('--candidates <n>', 'candidate songs per call', positive, 100)
    .option('--calls <n>', 'timed gate calls', positive, 50_000)
    .option('--seed <n>', 'vector / candidate seed', positive, 42)
    .action(async (o: GateBenchOptions) => {
      await runGateBench(o);
    });
}
