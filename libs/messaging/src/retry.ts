import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import type { ConsumerCounters } from './consumer-options';
import { classifyFailure } from './failure';
import { errorMessage, type MessagingLogger } from './logger';

/** kafkajs' heartbeat of the partition being worked on. */
export type Heartbeat = () => Promise<void>;

/**
 * Thrown out of a retry when stop() interrupts it. Whoever catches it must leave the record
 * uncommitted, so that it is redelivered after the restart instead of being skipped.
 */
export class ConsumerStopping extends Error {
  constructor() {
    super('consumer stopping');
    this.name = 'ConsumerStopping';
  }
}

/**
 * Runs `work`; true when it completed, false when stop() cut it short. Any other error goes on
 * to kafkajs, which re-fetches from the last resolved offset, so nothing is skipped either way.
 */
export async function completedUnlessStopped(work: () => Promise<void>): Promise<boolean> {
  try {
    await work();
    return true;
  } catch (e) {
    if (e instanceof ConsumerStopping) return false;
    throw e;
  }
}

export type RetryDecision = { action: 'stop' } | { action: 'retry'; delayMs: number };

/**
 * What follows transient failure number `attempt` (1 = the first). There is no attempt limit on
 * purpose: a transient failure (database or broker down) must never turn into a skipped record.
 * Only a stop ends the loop, and then nothing is committed.
 */
export function decideAfterFailure(
  attempt: number,
  stopping: boolean,
  backoff?: Partial<BackoffOptions>,
  random?: () => number,
): RetryDecision {
  if (stopping) return { action: 'stop' };
  return { action: 'retry', delayMs: backoffDelay(attempt, backoff, random) };
}

/** What a handler call ended with: done, or refused for good as malformed (never retried). */
export type HandlerOutcome<T> = { done: T } | { malformed: string };

export interface TransientRetryOptions {
  /** Aborted by stop(): cuts the backoff wait short. */
  signal: AbortSignal;
  backoff?: Partial<BackoffOptions>;
  logger: MessagingLogger;
  counters: Pick<ConsumerCounters, 'retries'>;
  /**
   * How long a handler failure that is neither permanent nor recognised as transient is retried
   * before the record is refused as poison, ms (default 3000). With the backoff and the isolation
   * that follow, one record holds its partition for well under 5 s while the dependencies are up.
   */
  poisonBudgetMs?: number;
  /**
   * Whether the database and the broker answer right now (default: assumed up). A failure that
   * outlives the poison budget is refused only when they do; otherwise it is an outage and the
   * budget starts again.
   */
  dependenciesUp?: () => Promise<boolean>;
}

export const DEFAULT_POISON_BUDGET_MS = 3000;

/** How runHandler treats failures of unknown kind: retried within `budgetMs` (0 = refuse at once if up). */
export interface HandlerRunOptions {
  budgetMs?: number;
}

/** The consumer's retry of transient failures: capped exponential backoff, forever, until stop(). */
export class TransientRetry {
  constructor(private readonly options: TransientRetryOptions) {}

  /**
   * Calls `attempt` until it returns; every throw is transient: logged, counted, retried after
   * the backoff. It heartbeats before each wait so the group keeps the partition meanwhile.
   * Throws `ConsumerStopping` when stop() interrupts.
   */
  async run<T>(label: string, heartbeat: Heartbeat, attempt: () => Promise<T>): Promise<T> {
    const { signal, backoff, logger, counters } = this.options;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (e) {
        const next = decideAfterFailure(n, signal.aborted, backoff);
        if (next.action === 'stop') throw new ConsumerStopping();
        counters.retries++;
        logger.warn(`${label}: transient failure #${n} (${errorMessage(e)}); retrying in ${next.delayMs} ms`);
        await heartbeat();
        if (!(await sleep(next.delayMs, signal))) throw new ConsumerStopping();
      }
    }
  }

  /**
   * `run` for a handler, which classifies what it throws (failure.ts): a permanent failure ends
   * the loop with its reason at once; a transient one is retried for as long as it lasts; an
   * unknown one is retried until the poison budget is spent and then, if the database and broker
   * answer, ends the loop as poison. A transient failure in between restarts the budget.
   */
  async runHandler<T>(
    label: string,
    heartbeat: Heartbeat,
    call: () => Promise<T>,
    run: HandlerRunOptions = {},
  ): Promise<HandlerOutcome<T>> {
    const { signal, backoff, logger, counters } = this.options;
    const budget = run.budgetMs ?? this.options.poisonBudgetMs ?? DEFAULT_POISON_BUDGET_MS;
    let poisonSince: number | null = null;
    for (let n = 1; ; n++) {
      let failure;
      try {
        return { done: await call() };
      } catch (e) {
        failure = classifyFailure(e);
      }
      if (failure.kind === 'permanent') return { malformed: failure.reason };
      let delayMs = backoffDelay(n, backoff);
      if (failure.kind === 'transient') {
        poisonSince = null;
      } else {
        poisonSince ??= Date.now();
        const spent = Date.now() - poisonSince;
        if (spent >= budget) {
          if (await this.dependenciesUp()) {
            return {
              malformed: `poison: kept failing for ${spent} ms with the database and broker up: ${failure.reason}`,
            };
          }
          poisonSince = null;
        } else {
          delayMs = Math.min(delayMs, budget - spent);
        }
      }
      if (signal.aborted) throw new ConsumerStopping();
      counters.retries++;
      logger.warn(`${label}: ${failure.kind} failure #${n} (${failure.reason}); retrying in ${delayMs} ms`);
      await heartbeat();
      if (!(await sleep(delayMs, signal))) throw new ConsumerStopping();
    }
  }

  private async dependenciesUp(): Promise<boolean> {
    const probe = this.options.dependenciesUp;
    if (!probe) return true;
    return probe().catch(() => false);
  }
}
