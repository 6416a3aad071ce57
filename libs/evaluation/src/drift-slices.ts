import type { DriftTruth, Interaction, Metrics } from './types';
import { mean, recallAtK } from './metrics';

/**
 * synthetic-drift slices of u2i.recall@20, fed one user's cold-test ranking at a time:
 *  - `.drifted` / `.steady`: users whose taste moved vs taste users whose did not;
 *  - `.recent`: the truth restricted to cold test songs the user last played in the recent part
 *    of the year (what "next intent" should find).
 */
export class DriftSlices {
  private readonly recentByUser = new Map<string, Set<string>>();
  private readonly drifted: number[] = [];
  private readonly steady: number[] = [];
  private readonly recent: number[] = [];

  constructor(
    private readonly drift: DriftTruth,
    coldTest: readonly Interaction[],
    private readonly hitsOnly: ReadonlySet<string> = new Set(),
  ) {
    for (const it of coldTest) {
      if ((it.at ?? -Infinity) < drift.recentSince) continue;
      let s = this.recentByUser.get(it.userId);
      if (!s) this.recentByUser.set(it.userId, (s = new Set()));
      s.add(it.itemId);
    }
  }

  add(user: string, ranked: string[], rel: Set<string>): void {
    const r = recallAtK(ranked, rel, 20)!;
    if (this.drift.driftedUsers.has(user)) this.drifted.push(r);
    else if (!this.hitsOnly.has(user)) this.steady.push(r);
    const recent = this.recentByUser.get(user);
    if (recent) this.recent.push(recallAtK(ranked, recent, 20)!);
  }

  metrics(): Metrics {
    const m: Metrics = {};
    const put = (name: string, xs: number[]) => {
      const v = mean(xs);
      if (v !== undefined) m[name] = v;
    };
    put('u2i.recall@20.drifted', this.drifted);
    put('u2i.recall@20.steady', this.steady);
    put('u2i.recall@20.recent', this.recent);
    return m;
  }
}
