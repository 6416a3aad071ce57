/**
 * The built api with API_PROCESSES=2 on the real database and broker: two processes answer on
 * one port, the primary's /metrics carries both, a SIGKILLed process leaves the other
 * answering and is replaced, and SIGTERM stops everything cleanly.
 */
import * as http from 'node:http';
import { API_PID_HEADER } from '../apps/api/src/api-cluster';
import { isolatedEnv, waitFor } from './support';
import { AppProcess, childPids, ensureBuilt, freePort, isAlive } from './support/app-process';

jest.setTimeout(150_000);

let primary: AppProcess;
let port: number;
let metricsPort: number;

/** One request on a connection of its own, so that the primary hands each to the next process. */
function get(p: number, urlPath: string): Promise<{ status: number; pid: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      { host: '127.0.0.1', port: p, path: urlPath, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, pid: Number(res.headers[API_PID_HEADER]), body }),
        );
      },
    );
    req.once('timeout', () => req.destroy(new Error('timeout')));
    req.once('error', reject);
  });
}

/** Pids seen answering /health until `count` distinct ones did. */
async function answeringPids(count: number, timeoutMs = 90_000): Promise<Set<number>> {
  const seen = new Set<number>();
  await waitFor(
    `${count} api processes answering`,
    async () => {
      const r = await get(port, '/health').catch(() => null);
      if (r?.status === 200 && r.pid) seen.add(r.pid);
      return seen.size >= count;
    },
    timeoutMs,
  ).catch((e: Error) => {
    throw new Error(`${e.message}; seen ${[...seen].join(', ')}\n${primary.tail()}`);
  });
  return seen;
}

beforeAll(async () => {
  port = await freePort();
  metricsPort = await freePort();
  await isolatedEnv('apicluster');
  ensureBuilt(['api']);
  primary = new AppProcess('api primary', 'api', {
    API_PROCESSES: '2',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(port),
    API_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  }).start();
});

afterAll(async () => {
  if (!primary) return;
  const children = primary.exit ? [] : childPids(primary.pid);
  await primary.kill('SIGKILL', 1000);
  for (const pid of children) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

it('serves from two processes on one port, each its own pid', async () => {
  const pids = await answeringPids(2);
  expect(pids.has(primary.pid)).toBe(false);
  expect(new Set(childPids(primary.pid))).toEqual(pids);
});

it("serves every process's metrics in one scrape on the primary's metrics port", async () => {
  const r = await get(metricsPort, '/metrics');
  expect(r.status).toBe(200);
  expect(r.body).toMatch(/debut_http_request_duration_seconds_count\{[^}]*api_process="0"/);
  expect(r.body).toMatch(/debut_http_request_duration_seconds_count\{[^}]*api_process="1"/);
});

it('keeps answering when a process is SIGKILLed, and replaces it', async () => {
  const [victim, survivor] = childPids(primary.pid);
  process.kill(victim, 'SIGKILL');
  await waitFor('the killed process gone', () => !childPids(primary.pid).includes(victim));
  // Straight away, before any replacement listens: every request is answered.
  for (let i = 0; i < 20; i++) {
    const r = await get(port, '/health');
    expect(r.status).toBe(200);
    expect(r.pid).not.toBe(victim);
  }
  const replacement = await waitFor('a replacement process', () =>
    childPids(primary.pid).find((p) => p !== survivor && p !== victim),
  );
  const pids = await answeringPids(2);
  expect(pids).toEqual(new Set([survivor, replacement]));
  expect(primary.output).toMatch(/api process exited; restarting it.*"signal":"SIGKILL"/);
});

it('stops every process on SIGTERM and exits 0', async () => {
  const children = childPids(primary.pid);
  expect(children).toHaveLength(2);
  const exit = await primary.kill('SIGTERM', 40_000);
  expect(exit).toEqual({ code: 0, signal: null });
  expect(children.filter(isAlive)).toEqual([]);
  expect(primary.output).toMatch(/api processes stopped/);
});
