import { ApiCluster, type ApiProcess, type ClusterPolicy } from './api-cluster';

/** A forked process the test drives: it "listens" and "exits" when told to. */
class FakeProcess implements ApiProcess {
  private listening: Array<() => void> = [];
  private exit: Array<(code: number | null, signal: string | null) => void> = [];
  readonly signals: NodeJS.Signals[] = [];
  alive = true;

  constructor(
    readonly pid: number,
    readonly env: Record<string, string>,
  ) {}

  onListening(cb: () => void): void {
    this.listening.push(cb);
  }
  onExit(cb: (code: number | null, signal: string | null) => void): void {
    this.exit.push(cb);
  }
  kill(signal: NodeJS.Signals): void {
    this.signals.push(signal);
  }
  listen(): void {
    this.listening.forEach((cb) => cb());
  }
  die(code: number | null, signal: string | null = null): void {
    this.alive = false;
    this.exit.forEach((cb) => cb(code, signal));
  }
}

const policy: ClusterPolicy = {
  maxStartFailures: 3,
  stableAfterMs: 10_000,
  backoff: { initialMs: 100, maxMs: 1000, factor: 2, jitter: 0 },
  stopTimeoutMs: 5000,
};

function setUp(count: number) {
  const forked: FakeProcess[] = [];
  let pid = 100;
  const apiCluster = new ApiCluster(
    count,
    (env) => {
      const p = new FakeProcess(pid++, env);
      forked.push(p);
      return p;
    },
    policy,
  );
  let exitCode: number | null = null;
  void apiCluster.run().then((c) => (exitCode = c));
  const alive = () => forked.filter((p) => p.alive);
  return { apiCluster, forked, alive, exitCode: () => exitCode };
}

const flush = () =>
  new Promise<void>((r) => jest.requireActual<typeof import('timers')>('timers').setImmediate(r));

beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate'] }));
afterEach(() => jest.useRealTimers());

it('starts the processes one after the other, each with its slot', () => {
  const { forked } = setUp(2);
  expect(forked.map((p) => p.env.API_PROCESS_SLOT)).toEqual(['0']);
  forked[0].listen();
  expect(forked.map((p) => p.env.API_PROCESS_SLOT)).toEqual(['0', '1']);
  forked[1].listen();
  expect(forked).toHaveLength(2);
});

it('restarts a process that died, in its slot, after a back-off that grows while it keeps dying', () => {
  const { forked, apiCluster } = setUp(2);
  forked[0].listen();
  forked[1].listen();
  forked[1].die(null, 'SIGKILL');
  jest.advanceTimersByTime(99);
  expect(forked).toHaveLength(2);
  jest.advanceTimersByTime(1);
  expect(forked).toHaveLength(3);
  expect(forked[2].env.API_PROCESS_SLOT).toBe('1');
  forked[2].listen();
  forked[2].die(1);
  jest.advanceTimersByTime(199);
  expect(forked).toHaveLength(3);
  jest.advanceTimersByTime(1);
  expect(forked).toHaveLength(4);
  expect(apiCluster.pids).toEqual([forked[0].pid, forked[3].pid]);
});

it('starts the back-off over once a restarted process has served a while', () => {
  const { forked } = setUp(1);
  forked[0].listen();
  forked[0].die(1);
  jest.advanceTimersByTime(100);
  forked[1].listen();
  jest.advanceTimersByTime(policy.stableAfterMs);
  forked[1].die(1);
  jest.advanceTimersByTime(100);
  expect(forked).toHaveLength(3);
});

it('gives up with exit code 1 when a process keeps failing before it listens', async () => {
  const { forked, alive, exitCode } = setUp(2);
  forked[0].listen();
  forked[1].die(1);
  jest.advanceTimersByTime(100);
  forked[2].die(1);
  jest.advanceTimersByTime(200);
  expect(forked).toHaveLength(4);
  forked[3].die(1);
  // The third failure in a row: no restart, the healthy process is asked to stop.
  jest.advanceTimersByTime(policy.stopTimeoutMs - 1);
  expect(forked).toHaveLength(4);
  expect(forked[0].signals).toEqual(['SIGTERM']);
  expect(exitCode()).toBeNull();
  alive()[0].die(0);
  await flush();
  expect(exitCode()).toBe(1);
});

it('passes a stop signal on, restarts nothing afterwards, and exits 0 once all have exited', async () => {
  const { forked, apiCluster, exitCode } = setUp(2);
  forked[0].listen();
  forked[1].listen();
  void apiCluster.stop('SIGINT');
  expect(forked.map((p) => p.signals)).toEqual([['SIGINT'], ['SIGINT']]);
  forked[0].die(0);
  jest.advanceTimersByTime(60_000);
  await flush();
  // The other did not exit in time: killed, and only then is the stop over.
  expect(forked[1].signals).toEqual(['SIGINT', 'SIGKILL']);
  expect(exitCode()).toBeNull();
  forked[1].die(null, 'SIGKILL');
  await flush();
  expect(exitCode()).toBe(0);
  expect(forked).toHaveLength(2);
});

it('cancels a pending restart on stop', async () => {
  const { forked, apiCluster, exitCode } = setUp(1);
  forked[0].listen();
  forked[0].die(1);
  void apiCluster.stop();
  jest.advanceTimersByTime(10_000);
  await flush();
  expect(forked).toHaveLength(1);
  expect(exitCode()).toBe(0);
});
