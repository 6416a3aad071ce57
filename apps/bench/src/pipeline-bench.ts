/**
 * bench:pipeline (DESIGN.md §7): song.released → song.audience.selected through the real broker
 * and the real worker process, at a fixed offered rate, with 100k established songs and 1M
 * interactions. Latency is publish call → audience record read back by this process (one clock).
 */
import {
  BenchBroker,
  BenchKafka,
  DEFAULT_CATALOGUE,
  ReleaseSource,
  ServiceProcess,
  benchEnv,
  describeData,
  ensureCatalogue,
  log,
  machineLine,
  offerReleases,
  percentile,
  verdict,
  waitUntil,
  type SeenRecord,
} from './services';

export interface PipelineBenchOptions {
  rate: number;
  seconds: number;
  epochs: number;
  indexKind: 'flat' | 'hnsw';
}

const P99_TARGET_MS = 50;

export async function runPipelineBench(o: PipelineBenchOptions): Promise<void> {
  const env = benchEnv('pipeline', {
    INDEX_KIND: o.indexKind,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
  });
  const broker = new BenchBroker();
  const worker = new ServiceProcess('worker', env.vars);
  const k = new BenchKafka(env.config);
  try {
    await broker.start();
    await ensureCatalogue(env.config, env.vars, { ...DEFAULT_CATALOGUE, epochs: o.epochs });
    await k.connect();
    const arrived = new Map<string, number>();
    const records = new Map<string, SeenRecord>();
    await k.read(k.topics.songAudienceSelected, records, (r) => {
      if (!arrived.has(r.key)) arrived.set(r.key, r.at);
    });
    const releases = new ReleaseSource(env.runId);
    worker.start();

    // Warm-up: the worker loads the model and the 100k index and joins its group; the first
    // events also warm PostgreSQL's caches. None of it is measured.
    const t0 = Date.now();
    const warm = new Map<string, number>();
    await offerReleases(k, releases, 1, 1, warm);
    if (!(await waitUntil(() => arrived.size >= 1, 180_000)))
      throw new Error(`worker produced no audience in 180 s; see ${worker.logFile}`);
    log(
      `worker ready (first audience after ${((Date.now() - t0) / 1000).toFixed(1)} s); warming up with 200 events at 50/s`,
    );
    await offerReleases(k, releases, 200, 50, warm);
    await waitUntil(() => [...warm.keys()].every((s) => arrived.has(s)), 60_000);

    const count = Math.round(o.rate * o.seconds);
    log(`measuring: ${count} releases offered at ${o.rate}/s`);
    const sent = new Map<string, number>();
    const offer = await offerReleases(k, releases, count, o.rate, sent);
    await waitUntil(() => [...sent.keys()].every((s) => arrived.has(s)), 60_000);

    const lat = [...sent]
      .filter(([s]) => arrived.has(s))
      .map(([s, at]) => arrived.get(s)! - at)
      .sort((a, b) => a - b);
    const missing = count - lat.length;
    const first = Math.min(...sent.values());
    const last = Math.max(...[...sent.keys()].filter((s) => arrived.has(s)).map((s) => arrived.get(s)!));
    const p99 = percentile(lat, 99);
    const backend =
      worker
        .grepLog(/worker started/)
        .pop()
        ?.match(/"tfBackend":"([^"]+)"/)?.[1] ?? '?';

    console.log('\n=== bench:pipeline ===');
    console.log(
      `machine: ${machineLine()} (the producer, broker, worker, PostgreSQL and consumer share these cores)`,
    );
    console.log(`data: ${await describeData(env.config)}`);
    console.log(
      `path: bench producer → Kafka (own KRaft broker 127.0.0.1:${broker.port}, 4 partitions, acks=all) → worker process (tf ${backend}) → PostgreSQL → song.audience.selected → bench consumer`,
    );
    console.log(
      `offered: ${count} releases at ${o.rate}/s over ${offer.seconds.toFixed(1)} s (max schedule slip ${offer.maxLateMs.toFixed(1)} ms)`,
    );
    console.log(`completed: ${lat.length}/${count} (${missing} without an audience after 60 s)`);
    console.log(
      `throughput: ${(lat.length / ((last - first) / 1000)).toFixed(1)} audiences/s (first publish → last audience)`,
    );
    console.log(
      `latency ms: mean ${(lat.reduce((a, b) => a + b, 0) / lat.length).toFixed(1)}, p50 ${percentile(lat, 50)}, p95 ${percentile(lat, 95)}, ` +
        `p99 ${p99}, max ${lat[lat.length - 1]}`,
    );
    console.log(
      `target: p99 ≤ ${P99_TARGET_MS} ms at ${o.rate} events/s → ${verdict(p99 <= P99_TARGET_MS && missing === 0)}`,
    );
  } finally {
    await worker.stop();
    await k.close();
    await broker.release();
  }
}
