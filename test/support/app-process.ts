/**
 * The built applications as real processes, for the end-to-end tests that are about processes
 * (several api processes on one port, workers joining and dying in a consumer group):
 * `node dist/apps/<app>/src/main.js`, rebuilt first when a source is newer than the build (the
 * rule of scripts/run-app.sh).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { projectRoot } from '@debut/config';

const mainOf = (app: string) => path.join(projectRoot, 'dist', 'apps', app, 'src', 'main.js');

/** Builds dist/ when an app's main.js is missing or older than any source (`npm run build`). */
export function ensureBuilt(apps: string[]): void {
  const stale = apps.some((app) => {
    const main = mainOf(app);
    if (!fs.existsSync(main)) return true;
    const newer = execFileSync(
      'find',
      ['apps', 'libs', 'migrations', '-name', '*.ts', '-newer', main, '-print', '-quit'],
      { cwd: projectRoot, encoding: 'utf8' },
    );
    return newer.trim() !== '';
  });
  if (stale) execFileSync('npm', ['run', '-s', 'build'], { cwd: projectRoot, stdio: 'inherit' });
}

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Pids of a process's children (Linux /proc), e.g. the api processes a cluster primary forked. */
export function childPids(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether a process of that pid exists (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One app as a child process; its output is kept (and shown when a test fails to wait for it). */
export class AppProcess {
  private child: ChildProcess | null = null;
  private exitedAs: { code: number | null; signal: string | null } | null = null;
  private exitWaiters: Array<() => void> = [];
  output = '';

  constructor(
    readonly label: string,
    private readonly app: 'api' | 'worker',
    private readonly env: Record<string, string> = {},
  ) {}

  get pid(): number {
    if (!this.child?.pid) throw new Error(`${this.label} was not started`);
    return this.child.pid;
  }

  get exit(): { code: number | null; signal: string | null } | null {
    return this.exitedAs;
  }

  start(): this {
    const child = spawn(process.execPath, [mainOf(this.app)], {
      cwd: projectRoot,
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => (this.output += d.toString());
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (code, signal) => {
      this.exitedAs = { code, signal };
      this.exitWaiters.splice(0).forEach((w) => w());
    });
    this.child = child;
    return this;
  }

  /** The last lines of its output, for failure messages. */
  tail(lines = 30): string {
    return `--- ${this.label} (pid ${this.child?.pid}) ---\n${this.output.split('\n').slice(-lines).join('\n')}`;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  async kill(
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs = 30_000,
  ): Promise<{ code: number | null; signal: string | null }> {
    if (this.child && !this.exitedAs) {
      const exited = new Promise<void>((r) => this.exitWaiters.push(r));
      this.child.kill(signal);
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    return this.exitedAs ?? { code: null, signal: null };
  }
}
