/** Capped exponential backoff for transient failures (retry the same message, never skip it). */
export interface BackoffOptions {
  /** First delay, ms (default 100). */
  initialMs: number;
  /** Upper bound of any delay, ms (default 5000). */
  maxMs: number;
  /** Growth factor per attempt (default 2). */
  factor: number;
  /** Random spread as a fraction of the delay, 0..1 (default 0.2 → ±10 %). 0 = deterministic. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5000, factor: 2, jitter: 0.2 };

/**
 * Delay before retry number `attempt` (1 = first retry): initialMs·factor^(attempt-1), capped
 * at maxMs, then spread by ±jitter/2 (still capped, never negative).
 */
export function backoffDelay(
  attempt: number,
  options: Partial<BackoffOptions> = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const n = Math.max(1, Math.floor(attempt));
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, n - 1));
  if (!o.jitter) return Math.round(base);
  const spread = base * o.jitter * (random() - 0.5);
  return Math.round(Math.max(0, Math.min(o.maxMs, base + spread)));
}

/** The first `n` delays without jitter (for logs and tests). */
export function backoffSchedule(n: number, options: Partial<BackoffOptions> = {}): number[] {
  return Array.from({ length: n }, (_, i) => backoffDelay(i + 1, { ...options, jitter: 0 }));
}

/** Sleeps `ms`, resolving early (with false) when `signal` aborts; true when the full time passed. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
