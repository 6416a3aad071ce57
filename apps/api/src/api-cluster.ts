import cluster from 'node:cluster';
import * as http from 'node:http';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { Log } from '@debut/config';
import { backoffDelay, type BackoffOptions } from '@debut/messaging';

/**
 * Several api processes on one port (`API_PROCESSES`, node:cluster): the primary forks them,
 * serves no HTTP itself except the aggregated metrics, restarts a process that dies, and passes
 * SIGTERM/SIGINT on for a graceful stop. Each forked process is a whole api (its own model state
 * and database pool); the primary hands it connections.
 */

/** Tells a forked api process its slot (0..N-1): its metrics label, kept across restarts. */
export const API_PROCESS_SLOT = 'API_PROCESS_SLOT';

/** Response header naming the api process that answered (only when several share the port). */
export const API_PID_HEADER = 'x-api-pid';

export interface ClusterPolicy {
  /** Exits in a row before listening after which the primary stops everything and exits 1. */
  maxStartFailures: number;
  /** A process that has served this long counts as healthy again: its back-off starts over. */
  stableAfterMs: number;
  /** Delay before restarting a process that died, growing with its failures in a row. */
  backoff: Partial<BackoffOptions>;
  /** How long the processes get to finish their requests on a stop before they are killed. */
  stopTimeoutMs: number;
}

export const DEFAULT_CLUSTER_POLICY: ClusterPolicy = {
  maxStartFailures: 5,
  stableAfterMs: 30_000,
  backoff: { initialMs: 500, maxMs: 15_000, factor: 2, jitter: 0.2 },
  stopTimeoutMs: 30_000,
};

/** A forked api process, as far as the primary is concerned. */
export interface ApiProcess {
  readonly pid: number | undefined;
  onListening(cb: () => void): void;
  onExit(cb: (code: number | null, signal: string | null) => void): void;
  kill(signal: NodeJS.Signals): void;
}

/** Forks one api process with extra environment (node:cluster here, a fake in the unit spec). */
export type ApiForker = (env: Record<string, string>) => ApiProcess;

export const clusterForker: ApiForker = (env) => {
  const worker = cluster.fork(env);
  return {
    get pid() {
      return worker.process.pid;
    },
    onListening: (cb) => worker.once('listening', () => cb()),
    onExit: (cb) => worker.once('exit', (code, signal) => cb(code, signal)),
    kill: (signal) => worker.process.kill(signal),
  };
};

interface Slot {
  index: number;
  process: ApiProcess | null;
  /** Forked at least once (the staggered start forks each slot once, in order). */
  started: boolean;
  listening: boolean;
  /** Exits in a row without having served `stableAfterMs`. */
  failures: number;
  stableTimer?: NodeJS.Timeout;
  restartTimer?: NodeJS.Timeout;
}

export class ApiCluster {
  private readonly slots: Slot[];
  private readonly log = new Log('api-cluster');
  private exitCode: number | null = null;
  private killTimer?: NodeJS.Timeout;
  private resolveDone!: (code: number) => void;
  private readonly done = new Promise<number>((r) => (this.resolveDone = r));

  constructor(
    count: number,
    private readonly fork: ApiForker = clusterForker,
    private readonly policy: ClusterPolicy = DEFAULT_CLUSTER_POLICY,
  ) {
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      process: null,
      started: false,
      listening: false,
      failures: 0,
    }));
  }

  /**
   * Starts the first process, and the others once it listens: one at a time at first, so two
   * processes never apply the same database migration at once and start-up (model loading)
   * does not need every process's memory at the same moment. Resolves with the code the
   * primary exits with: 0 after a requested stop, 1 when a process kept failing to start.
   */
  run(): Promise<number> {
    this.start(this.slots[0]);
    return this.done;
  }

  /** Pids of the processes running now (for logs and tests). */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.process?.pid ? [s.process.pid] : []));
  }

  /** Graceful stop: `signal` to every process, SIGKILL to those still there after stopTimeoutMs. */
  stop(signal: NodeJS.Signals = 'SIGTERM', exitCode = 0): Promise<number> {
    if (this.exitCode !== null) return this.done;
    this.exitCode = exitCode;
    for (const s of this.slots) {
      clearTimeout(s.restartTimer);
      clearTimeout(s.stableTimer);
      s.process?.kill(signal);
    }
    this.killTimer = setTimeout(() => {
      for (const s of this.slots) s.process?.kill('SIGKILL');
    }, this.policy.stopTimeoutMs);
    this.killTimer.unref();
    this.finishIfAllExited();
    return this.done;
  }

  private start(slot: Slot): void {
    const p = this.fork({ [API_PROCESS_SLOT]: String(slot.index) });
    slot.process = p;
    slot.started = true;
    slot.listening = false;
    p.onListening(() => {
      slot.listening = true;
      slot.stableTimer = setTimeout(() => (slot.failures = 0), this.policy.stableAfterMs);
      slot.stableTimer.unref();
      this.log.info('api process listening', { slot: slot.index, pid: p.pid });
      // The staggered start: the next slot that never ran.
      const next = this.slots.find((s) => !s.started);
      if (next && this.exitCode === null) this.start(next);
    });
    p.onExit((code, signal) => this.exited(slot, p, code, signal));
  }

  private exited(slot: Slot, p: ApiProcess, code: number | null, signal: string | null): void {
    clearTimeout(slot.stableTimer);
    slot.process = null;
    if (this.exitCode !== null) {
      this.finishIfAllExited();
      return;
    }
    slot.failures++;
    if (!slot.listening && slot.failures >= this.policy.maxStartFailures) {
      this.log.error('an api process keeps failing to start; stopping', {
        slot: slot.index,
        failures: slot.failures,
        code,
        signal,
      });
      void this.stop('SIGTERM', 1);
      return;
    }
    const inMs = backoffDelay(slot.failures, this.policy.backoff);
    this.log.warn('api process exited; restarting it', {
      slot: slot.index,
      pid: p.pid,
      code,
      signal,
      beforeListening: !slot.listening,
      inMs,
    });
    slot.restartTimer = setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.exitCode === null) this.start(slot);
    }, inMs);
  }

  private finishIfAllExited(): void {
    if (this.exitCode === null || this.slots.some((s) => s.process)) return;
    clearTimeout(this.killTimer);
    this.resolveDone(this.exitCode);
  }
}

/**
 * In a forked api process: answer the primary's metrics requests from this process's registry,
 * every series labelled with the process's slot so that the aggregate keeps them apart (prom-client
 * would otherwise sum gauges such as pool sizes across processes).
 */
export function shareMetricsWithPrimary(registry: Registry, slot: string): void {
  registry.setDefaultLabels({ api_process: slot });
  AggregatorRegistry.setRegistries([registry]);
  // prom-client answers the primary's requests once an AggregatorRegistry exists in the worker.
  new AggregatorRegistry();
}

/** In the primary: every api process's metrics in one scrape, on its own port (`API_METRICS_PORT`). */
export function serveClusterMetrics(host: string, port: number): Promise<http.Server> {
  const aggregator = new AggregatorRegistry();
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end('see /metrics\n');
      return;
    }
    aggregator.clusterMetrics().then(
      (text) => res.writeHead(200, { 'content-type': aggregator.contentType }).end(text),
      (e: unknown) => res.writeHead(503).end(`metrics of the api processes: ${String(e)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
