import * as os from 'node:os';
import type { Command } from 'commander';
import { DEFAULT_I2I_CONFIG } from '@debut/models';
import { runIndexBench } from './index-bench';
import { runPipelineBench } from './pipeline-bench';
import { runFaultsBench } from './faults-bench';
import { runApiBench } from './api-bench';
import { positive } from './cli-args';

const list = (v: string) =>
  v.split(',').map((s) => Number(s.trim().replace(/k$/i, '000').replace(/m$/i, '000000')));
const kind = (v: string) => {
  if (v !== 'flat' && v !== 'hnsw') throw new Error(`--index-kind must be flat or hnsw, got ${v}`);
  return v;
};

/** bench:index, bench:api, bench:pipeline, bench:faults (registered under `bench`). */
export function registerOpsBenches(bench: Command): void {
  bench
    .command('index')
    .description(
      'DESIGN.md §7: exact (flat IP) vs HNSW — build time, queries/s, recall@10 of HNSW against exact',
    )
    .option('--sizes <list>', 'comma list of index sizes (100k, 1m accepted)', list, [100_000, 1_000_000])
    .option(
      '--dim <n>',
      "vector dimension (default: the I2I encoder's output dimension)",
      positive,
      DEFAULT_I2I_CONFIG.outputDim,
    )
    .option('--queries <n>', 'held-out queries per size', positive, 1000)
    .option('--ef-search <list>', 'HNSW efSearch values to report', list, [64, 128, 256])
    .option('--seed <n>', 'vector seed', positive, 42)
    .option('--no-raw-faiss', 'skip the diagnostic row of a raw faiss HNSW built in one add() call')
    .action(
      (o: {
        sizes: number[];
        dim: number;
        queries: number;
        efSearch: number[];
        seed: number;
        rawFaiss: boolean;
      }) => {
        runIndexBench(o);
      },
    );

  bench
    .command('pipeline')
    .description(
      'DESIGN.md §7: song.released → song.audience.selected through the real broker and worker; events/s, p50/p95/p99',
    )
    .option('--rate <n>', 'offered releases per second', positive, 200)
    .option('--seconds <n>', 'measured duration', positive, 60)
    .option('--epochs <n>', 'I2I epochs when the bench catalogue needs a model', positive, 2)
    .option('--index-kind <kind>', "the worker's warm index: flat | hnsw", kind, 'hnsw')
    .option(
      '--drain-seconds <n>',
      'after the last publish, how long a release may take before it counts as lost',
      positive,
      60,
    )
    .option(
      '--out <file>',
      'JSON: { machine, data, rate, seconds, sustainedPerSec, p50Ms, p99Ms, lost, … } (DESIGN.md §7)',
    )
    .action(
      async (o: {
        rate: number;
        seconds: number;
        epochs: number;
        indexKind: 'flat' | 'hnsw';
        drainSeconds: number;
        out?: string;
      }) => {
        await runPipelineBench(o);
      },
    );

  bench
    .command('faults')
    .description(
      'DESIGN.md §7: kill -9 worker, broker restart, PostgreSQL restart mid-stream (lost / duplicated); 10,000 malformed events (crashes / DLQ)',
    )
    .option('--events <n>', 'releases in the stream', positive, 3000)
    .option('--rate <n>', 'offered releases per second', positive, 100)
    .option('--malformed <n>', 'malformed releases', positive, 10_000)
    .option('--epochs <n>', 'I2I epochs when the bench catalogue needs a model', positive, 2)
    .option(
      '--poison <n>',
      'poison records (valid JSON that storage or the DLQ refuses) interleaved with valid ones; 0 skips',
      (v) => Number(v),
      1200,
    )
    .option(
      '--out <file>',
      'JSON: { machine, poison: { sent, deadLettered, validSent, validProcessed, maxStallSeconds }, faults: { sent, lost, duplicated } }',
    )
    .action(
      async (o: {
        events: number;
        rate: number;
        malformed: number;
        epochs: number;
        poison: number;
        out?: string;
      }) => {
        await runFaultsBench(o);
      },
    );

  bench
    .command('api')
    .description(
      'DESIGN.md §7: autocannon on cold-gate (100 candidates), audience, similar and a bare-Fastify reference gate, in one run',
    )
    .option('--seconds <n>', 'duration per route', positive, 15)
    .option('--connections <n>', 'concurrent keep-alive connections', positive, 32)
    .option('--candidates <n>', 'candidate cold songs per gate request', positive, 100)
    .option('--epochs <n>', 'I2I epochs when the bench catalogue needs a model', positive, 2)
    .option(
      '--api-processes <n>',
      "the api's API_PROCESSES (default: one per core, as production's auto)",
      positive,
      os.availableParallelism(),
    )
    .option(
      '--out <file>',
      'JSON: { machine, data, rows: [{ route, reqPerSec, p50Ms, p99Ms, errors, … }], gateToReference, memory, verdicts }',
    )
    .action(
      async (o: {
        seconds: number;
        connections: number;
        candidates: number;
        epochs: number;
        apiProcesses: number;
        out?: string;
      }) => {
        await runApiBench(o);
      },
    );
}
