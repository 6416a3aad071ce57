import { apiRow, gateToReference, routeVerdicts, type AutocannonResult } from './api-report';

function result(over: Partial<AutocannonResult> = {}): AutocannonResult {
  return {
    requests: { average: 5234.6, total: 26173 },
    latency: { average: 6.1, p50: 5, p90: 8, p99: 11, max: 40 },
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    duration: 5.01,
    statusCodeStats: { '200': { count: 26173 } },
    ...over,
  };
}

describe('bench:api rows', () => {
  it('keeps the documented fields and names, with req/s rounded', () => {
    const row = apiRow('cold-gate', 'POST', '/v1/users/:id/cold-gate', result());
    expect(row).toMatchObject({ route: 'cold-gate', reqPerSec: 5235, p50Ms: 5, p99Ms: 11, errors: 0 });
    expect(row.statusCodes).toEqual({ '200': 26173 });
  });

  it('counts non-2xx, socket errors and timeouts as errors, a timeout once', () => {
    // autocannon counts each timeout in `errors` too.
    const row = apiRow(
      'audience',
      'GET',
      '/v1/songs/:id/audience',
      result({
        non2xx: 7,
        errors: 5,
        timeouts: 2,
        statusCodeStats: { '200': { count: 10 }, '404': { count: 7 } },
      }),
    );
    expect(row.errors).toBe(12);
    expect(row).toMatchObject({ non2xx: 7, socketErrors: 3, timeouts: 2 });
  });

  it("judges the gate's throughput, latency and errors separately", () => {
    const ok = routeVerdicts(
      apiRow('cold-gate', 'POST', 'p', result({ latency: { ...result().latency, p99: 9 } })),
    );
    expect(ok.map((v) => v.met)).toEqual([true, true]);
    const slow = routeVerdicts(apiRow('cold-gate', 'POST', 'p', result()));
    expect(slow.map((v) => v.met)).toEqual([true, false]);
    const erring = routeVerdicts(apiRow('cold-gate', 'POST', 'p', result({ non2xx: 1 })));
    expect(erring[0].met).toBe(false);
    const audience = routeVerdicts(apiRow('audience', 'GET', 'p', result()));
    expect(audience).toHaveLength(1);
    expect(audience[0].met).toBe(false); // 5,235 < 10,000
    expect(routeVerdicts(apiRow('reference-fastify-gate', 'POST', 'p', result()))).toEqual([]);
  });

  it('gives the gate-to-reference ratio only when both were measured', () => {
    const gate = apiRow('cold-gate', 'POST', 'p', result({ requests: { average: 3000, total: 1 } }));
    const ref = apiRow(
      'reference-fastify-gate',
      'POST',
      'p',
      result({ requests: { average: 9000, total: 1 } }),
    );
    expect(gateToReference([gate, ref])).toBeCloseTo(0.333, 3);
    expect(gateToReference([gate])).toBeNull();
    const dead = apiRow(
      'reference-fastify-gate',
      'POST',
      'p',
      result({ requests: { average: 0, total: 0 } }),
    );
    expect(gateToReference([gate, dead])).toBeNull();
  });
});
