import { classifyFailure } from './failure';
import { errorMessage, type MessagingLogger } from './logger';

/**
 * Runs a start-up step that needs the broker (topic check, producer connect) until it succeeds,
 * for as long as its failures are transient (broker down, restarting, electing leaders): a
 * process started during a broker restart waits for it instead of exiting. A warning goes out
 * at the first failure and every `warnEveryMs` after; anything not transient (a durability
 * check that refuses, bad config) is thrown at once.
 */
export async function untilBrokerAnswers<T>(
  what: string,
  step: () => Promise<T>,
  logger: MessagingLogger,
  options: { initialMs?: number; maxMs?: number; warnEveryMs?: number } = {},
): Promise<T> {
  const started = Date.now();
  let delay = options.initialMs ?? 200;
  let warnedAt = 0;
  for (;;) {
    try {
      return await step();
    } catch (e) {
      const failure = classifyFailure(e);
      if (failure.kind !== 'transient') throw e;
      if (!warnedAt || Date.now() - warnedAt >= (options.warnEveryMs ?? 30_000)) {
        warnedAt = Date.now();
        logger.warn(
          `${what}: broker not answering (${errorMessage(e)}); waiting for it, ${Math.round((Date.now() - started) / 1000)} s so far`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(options.maxMs ?? 5000, delay * 2);
    }
  }
}
