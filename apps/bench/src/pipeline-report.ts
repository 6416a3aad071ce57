/**
 * bench:pipeline's figures from what the bench saw: each measured release's publish time and
 * every song.audience.selected record that came back for it. Pure, so the definitions are
 * unit-tested: `sustainedPerSec` is what the worker completed, never the offered rate.
 */
import { percentile } from './services';

export interface PipelineSummary {
  offered: number;
  /** Releases with at least one audience record by the end of the drain window. */
  completed: number;
  /** Released but never selected by the end of the drain window. */
  lost: number;
  /** Audience records beyond the first for a release. */
  duplicated: number;
  /**
   * Completed releases per second over the measured window: first publish → last first
   * audience. A worker that keeps up shows about the offered rate; one that falls behind shows
   * the rate it drained at.
   */
  sustainedPerSec: number;
  /** Length of that window, s. */
  windowSeconds: number;
  /** Releases completed while the offer was still running, per second of the offer. */
  completedDuringOfferPerSec: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/**
 * `published`: song id → publish time (ms); `arrivals`: song id → the arrival times (ms) of its
 * audience records; `offerEnd`: when the last release was published (ms).
 */
export function summarisePipeline(
  published: ReadonlyMap<string, number>,
  arrivals: ReadonlyMap<string, readonly number[]>,
  offerEnd: number,
): PipelineSummary {
  const latencies: number[] = [];
  let duplicated = 0;
  let firstPublish = Infinity;
  let lastCompletion = -Infinity;
  let duringOffer = 0;
  for (const [song, at] of published) {
    firstPublish = Math.min(firstPublish, at);
    const seen = arrivals.get(song);
    if (!seen?.length) continue;
    const first = Math.min(...seen);
    latencies.push(first - at);
    duplicated += seen.length - 1;
    lastCompletion = Math.max(lastCompletion, first);
    if (first <= offerEnd) duringOffer++;
  }
  latencies.sort((a, b) => a - b);
  const completed = latencies.length;
  const windowSeconds = completed ? Math.max(lastCompletion - firstPublish, 1) / 1000 : 0;
  const offerSeconds = Number.isFinite(firstPublish) ? Math.max(offerEnd - firstPublish, 1) / 1000 : 0;
  const round = (v: number, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
  return {
    offered: published.size,
    completed,
    lost: published.size - completed,
    duplicated,
    sustainedPerSec: completed ? round(completed / windowSeconds) : 0,
    windowSeconds: round(windowSeconds, 2),
    completedDuringOfferPerSec: offerSeconds ? round(duringOffer / offerSeconds) : 0,
    meanMs: completed ? round(latencies.reduce((a, b) => a + b, 0) / completed) : NaN,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    maxMs: completed ? latencies[completed - 1] : NaN,
  };
}
