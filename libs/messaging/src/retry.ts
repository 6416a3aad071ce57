import { backoffDelay, sleep, type BackoffOptions } from './backoff';
import type { ConsumerCounters } from './consumer-options';
import { isMalformedEventError } from './dlq';
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
   * `run` for a handler: a `MalformedEventError` is the handler's verdict on the record, so it
   * ends the loop with the reason instead of being retried; anything else is transient.
   */
  runHandler<T>(label: string, heartbeat: Heartbeat, call: () => Promise<T>): Promise<HandlerOutcome<T>> {
    return this.run(label, heartbeat, async (): Promise<HandlerOutcome<T>> => {
      try {
        return { done: await call() };
      } catch (e) {
        if (isMalformedEventError(e)) return { malformed: e.reason };
        throw e;
      }
    });
  }
}
