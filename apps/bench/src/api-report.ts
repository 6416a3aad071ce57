/**
 * bench:api's JSON (DESIGN.md §7): one row per route from autocannon's result, and the verdicts
 * against issue 13's targets. Pure, so the shape is unit-tested.
 */

/** The routes of a bench:api run, in the order they are measured. */
export const API_ROUTES = ['cold-gate', 'reference-fastify-gate', 'audience', 'similar'] as const;
export type ApiRoute = (typeof API_ROUTES)[number];

/** What is read of autocannon's result (it ships no types). */
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { average: number; p50: number; p90: number; p99: number; max: number };
  /** Responses outside 2xx. */
  non2xx: number;
  /** Socket errors, timeouts included. */
  errors: number;
  timeouts: number;
  duration: number;
  statusCodeStats?: Record<string, { count: number }>;
}

export interface ApiRow {
  route: ApiRoute;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** non-2xx responses + socket errors + timeouts. */
  errors: number;
  method: string;
  path: string;
  requests: number;
  seconds: number;
  p90Ms: number;
  maxMs: number;
  non2xx: number;
  socketErrors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
}

export function apiRow(route: ApiRoute, method: string, path: string, r: AutocannonResult): ApiRow {
  // autocannon counts a timeout both in `errors` and in `timeouts`.
  const socketErrors = r.errors - r.timeouts;
  return {
    route,
    reqPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.non2xx + r.errors,
    method,
    path,
    requests: r.requests.total,
    seconds: r.duration,
    p90Ms: r.latency.p90,
    maxMs: r.latency.max,
    non2xx: r.non2xx,
    socketErrors,
    timeouts: r.timeouts,
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([c, s]) => [c, s.count])),
  };
}

/** Issue 13's targets per route (the reference has none: it is the yardstick). */
export const API_TARGETS: Partial<Record<ApiRoute, { reqPerSec: number; p99Ms?: number }>> = {
  'cold-gate': { reqPerSec: 5000, p99Ms: 10 },
  audience: { reqPerSec: 10_000 },
  similar: { reqPerSec: 5000 },
};

/** The gate must reach this share of the bare-Fastify reference's req/s in the same run. */
export const GATE_TO_REFERENCE_TARGET = 0.6;

export interface Verdict {
  target: string;
  measured: string;
  met: boolean;
}

/** One verdict per target of the route, or none. Errors must be 0 for any throughput target. */
export function routeVerdicts(row: ApiRow): Verdict[] {
  const t = API_TARGETS[row.route];
  if (!t) return [];
  const out: Verdict[] = [
    {
      target: `${row.route} ≥ ${t.reqPerSec} req/s with 0 errors`,
      measured: `${row.reqPerSec} req/s, ${row.errors} errors`,
      met: row.reqPerSec >= t.reqPerSec && row.errors === 0,
    },
  ];
  if (t.p99Ms !== undefined)
    out.push({
      target: `${row.route} p99 ≤ ${t.p99Ms} ms`,
      measured: `p99 ${row.p99Ms} ms`,
      met: row.p99Ms <= t.p99Ms,
    });
  return out;
}

/** cold-gate req/s ÷ reference-fastify-gate req/s (null when either row is missing or the reference served nothing). */
export function gateToReference(rows: readonly ApiRow[]): number | null {
  const gate = rows.find((r) => r.route === 'cold-gate');
  const ref = rows.find((r) => r.route === 'reference-fastify-gate');
  if (!gate || !ref || ref.reqPerSec <= 0) return null;
  return Math.round((gate.reqPerSec / ref.reqPerSec) * 1000) / 1000;
}
