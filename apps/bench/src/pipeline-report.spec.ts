import { summarisePipeline } from './pipeline-report';

/** `n` releases published every `gapMs` from t=0, each answered `latency(i)` ms later. */
function run(n: number, gapMs: number, latency: (i: number) => number | null) {
  const published = new Map<string, number>();
  const arrivals = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    published.set(`s${i}`, i * gapMs);
    const l = latency(i);
    if (l !== null) arrivals.set(`s${i}`, [i * gapMs + l]);
  }
  return { published, arrivals, offerEnd: (n - 1) * gapMs };
}

describe('bench:pipeline figures', () => {
  it('shows about the offered rate for a worker that keeps up', () => {
    const r = run(1000, 5, () => 20); // 200/s for 5 s, 20 ms each
    const s = summarisePipeline(r.published, r.arrivals, r.offerEnd);
    expect(s).toMatchObject({ offered: 1000, completed: 1000, lost: 0, duplicated: 0, p50Ms: 20, p99Ms: 20 });
    expect(s.sustainedPerSec).toBeGreaterThan(199);
    expect(s.sustainedPerSec).toBeLessThanOrEqual(201);
  });

  it("shows the worker's own rate, not the offered one, when it falls behind", () => {
    // Offered 200/s for 5 s; the worker completes one every 10 ms (100/s) from t=10 ms.
    const r = run(1000, 5, (i) => (i + 1) * 10 - i * 5);
    const s = summarisePipeline(r.published, r.arrivals, r.offerEnd);
    expect(s.sustainedPerSec).toBeCloseTo(100, 0);
    expect(s.completedDuringOfferPerSec).toBeCloseTo(100, -1);
    expect(s.p99Ms).toBeGreaterThan(4900);
  });

  it('counts releases without an audience as lost and extra records as duplicates', () => {
    const r = run(100, 10, (i) => (i % 10 === 0 ? null : 30));
    r.arrivals.get('s1')!.push(500, 900);
    const s = summarisePipeline(r.published, r.arrivals, r.offerEnd);
    expect(s).toMatchObject({ offered: 100, completed: 90, lost: 10, duplicated: 2 });
    expect(s.p50Ms).toBe(30); // a duplicate's later arrival is not a latency
  });

  it('reports nothing completed without inventing a rate', () => {
    const r = run(10, 10, () => null);
    const s = summarisePipeline(r.published, r.arrivals, r.offerEnd);
    expect(s).toMatchObject({ completed: 0, lost: 10, sustainedPerSec: 0 });
    expect(Number.isNaN(s.p99Ms)).toBe(true);
  });
});
