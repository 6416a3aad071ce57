import { Log } from '@debut/config';

/**
 * A refresh that runs on a timer and on demand, one at a time (concurrent callers share the
 * running one); timer errors are logged, never thrown.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly run: () => Promise<void>,
    private readonly log: Log,
    private readonly what: string,
  ) {}

  refresh(): Promise<void> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  start(ms: number): void {
    this.timer = setInterval(() => {
      this.refresh().catch((e: unknown) => this.log.warn(`${this.what} failed`, { error: String(e) }));
    }, ms);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
