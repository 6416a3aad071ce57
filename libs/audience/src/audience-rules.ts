/**
 * Business rules applied to an audience AFTER retrieval (STARS' second serving stage), pure
 * domain logic: retrieval ranks users for a song, then users the song must not reach are
 * dropped — outside the requested market or the song's markets, opted out of explicit content,
 * already sent the song, already played it. Since the rules drop an unknown share, retrieval is
 * over-fetched and grown round by round until the wanted size is met or the candidates run out.
 * What the rules need to know of users arrives through `RuleFacts` (storage is the caller's).
 */
import type { AudienceMember } from './audience-selector';

export type RuleName = 'region' | 'explicit' | 'exposed' | 'played';

/** The order rules are checked in: a refused user is counted once, under the first rule it fails. */
export const RULE_ORDER: readonly RuleName[] = ['region', 'explicit', 'exposed', 'played'];

export type FilteredCounts = Record<RuleName, number>;

export interface AudienceRules {
  /** Only users whose profile says this market (a campaign's target); users of unknown market fail. */
  region?: string | null;
  /** The song's markets (null/absent = everywhere); users of unknown market fail when it is set. */
  availability?: readonly string[] | null;
  /** The song is explicit: users who opted out fail. */
  explicit?: boolean;
  /** Users already sent the song (the exposure log) fail. */
  excludeExposed?: boolean;
  /** Users who already have the song (any interaction with it) fail. Default true. */
  excludePlayed?: boolean;
}

export interface ListenerFacts {
  region: string | null;
  explicitOptOut: boolean;
}

/** What the rules read about candidate users, for one song. */
export interface RuleFacts {
  /** Profiles of those users that have one (absent: unknown market, no opt-out). */
  profiles(userIds: readonly string[]): Promise<ReadonlyMap<string, ListenerFacts>>;
  /** Which of them were already sent the song. */
  exposed(userIds: readonly string[]): Promise<ReadonlySet<string>>;
  /** Which of them already have the song. */
  played(userIds: readonly string[]): Promise<ReadonlySet<string>>;
}

export interface OverFetch {
  /** First fetch = factor × wanted; each later round at least factor × the previous fetch. */
  factor: number;
  /** Retrieval rounds at most. */
  rounds: number;
}

export interface RuledSelection {
  members: AudienceMember[];
  /** Users refused by each rule among those ranked above the selection's last member. */
  filtered: FilteredCounts;
  /** The wanted size was met. */
  sizeMet: boolean;
  /** Retrieval had no more candidates: every eligible user it can rank is in `members`. */
  exhausted: boolean;
  /** Candidates retrieval returned in the last round, and rounds used. */
  candidates: number;
  rounds: number;
}

export const noneFiltered = (): FilteredCounts => ({ region: 0, explicit: 0, exposed: 0, played: 0 });

/** Retrieval: the best `n` candidates, best first (fewer when it has no more). */
export type Retrieve = (n: number) => Promise<readonly AudienceMember[]>;

/** Whether any rule can refuse anyone (no rule: retrieval's own top-N is the answer). */
export function anyRule(rules: AudienceRules): boolean {
  return (
    !!rules.region ||
    !!rules.availability ||
    !!rules.explicit ||
    !!rules.excludeExposed ||
    rules.excludePlayed !== false
  );
}

/** The first rule each user fails (null: eligible), reading only the facts the rules need. */
export async function judge(
  userIds: readonly string[],
  rules: AudienceRules,
  facts: RuleFacts,
): Promise<Map<string, RuleName | null>> {
  const needProfiles = !!rules.region || !!rules.availability || !!rules.explicit;
  const [profiles, exposed, played] = await Promise.all([
    needProfiles ? facts.profiles(userIds) : new Map<string, ListenerFacts>(),
    rules.excludeExposed ? facts.exposed(userIds) : new Set<string>(),
    rules.excludePlayed !== false ? facts.played(userIds) : new Set<string>(),
  ]);
  const markets = rules.availability ? new Set(rules.availability) : null;
  const out = new Map<string, RuleName | null>();
  for (const u of userIds) {
    const p = profiles.get(u);
    const region = p?.region ?? null;
    let failed: RuleName | null = null;
    if ((rules.region && region !== rules.region) || (markets && (region === null || !markets.has(region))))
      failed = 'region';
    else if (rules.explicit && p?.explicitOptOut) failed = 'explicit';
    else if (exposed.has(u)) failed = 'exposed';
    else if (played.has(u)) failed = 'played';
    out.set(u, failed);
  }
  return out;
}

/**
 * The `size` best eligible candidates. Round 1 fetches `factor × size`; while the eligible
 * users found fall short and retrieval returned all it was asked for (it may have more), the
 * next round fetches more: the larger of `factor ×` the last fetch and what the pass rate seen
 * so far says is needed (with 20% to spare). Users are judged once across rounds. `skip`:
 * users never taken and not counted (already chosen elsewhere).
 */
export async function selectWithRules(
  retrieve: Retrieve,
  size: number,
  rules: AudienceRules,
  facts: RuleFacts,
  overFetch: OverFetch,
  skip: ReadonlySet<string> = new Set(),
): Promise<RuledSelection> {
  if (size <= 0) {
    return {
      members: [],
      filtered: noneFiltered(),
      sizeMet: true,
      exhausted: false,
      candidates: 0,
      rounds: 0,
    };
  }
  const ruled = anyRule(rules);
  const verdicts = new Map<string, RuleName | null>();
  let fetch = ruled || skip.size ? Math.ceil(size * overFetch.factor) + skip.size : size;
  for (let round = 1; ; round++) {
    const ranked = await retrieve(fetch);
    const fresh = ranked.map((m) => m.userId).filter((u) => !verdicts.has(u) && !skip.has(u));
    if (ruled) for (const [u, v] of await judge(fresh, rules, facts)) verdicts.set(u, v);
    else for (const u of fresh) verdicts.set(u, null);
    const members: AudienceMember[] = [];
    const filtered = noneFiltered();
    for (const m of ranked) {
      if (members.length >= size) break;
      if (skip.has(m.userId)) continue;
      const failed = verdicts.get(m.userId);
      if (failed) filtered[failed]++;
      else members.push(m);
    }
    const exhausted = ranked.length < fetch;
    const sizeMet = members.length >= size;
    if (sizeMet || exhausted || round >= overFetch.rounds) {
      return {
        members,
        filtered,
        sizeMet,
        exhausted: exhausted && !sizeMet,
        candidates: ranked.length,
        rounds: round,
      };
    }
    let eligible = 0;
    for (const v of verdicts.values()) if (v === null) eligible++;
    const passRate = Math.max(eligible / Math.max(verdicts.size, 1), 1e-3);
    fetch = Math.max(Math.ceil(fetch * overFetch.factor), Math.ceil((size / passRate) * 1.2) + skip.size);
  }
}

/** How a budget splits: `round(share × size)` users for exploration, the rest from the nearest audience. */
export function explorationSplit(size: number, share: number): { nearest: number; explore: number } {
  const explore = Math.min(size, Math.max(0, Math.round(size * share)));
  return { nearest: size - explore, explore };
}

/**
 * A budgeted audience: the nearest audience (retrieval's best eligible users) keeps
 * `size − explore` members; `explore = round(share × size)` members come from `explorePool`
 * (e.g. all users in an order shuffled by the song's id), skipping every member of the full
 * nearest audience of `size`, so they are users retrieval would not have chosen. The same rules
 * apply to both; exploration members have score 0, no explanation, and `explore: true`.
 */
export async function selectBudgeted(
  nearest: Retrieve,
  explorePool: Retrieve,
  size: number,
  share: number,
  rules: AudienceRules,
  facts: RuleFacts,
  overFetch: OverFetch,
): Promise<RuledSelection & { explored: number }> {
  const split = explorationSplit(size, share);
  const near = await selectWithRules(nearest, size, rules, facts, overFetch);
  if (!split.explore) return { ...near, explored: 0 };
  const taken = near.members.slice(0, split.nearest);
  const far = await selectWithRules(
    explorePool,
    split.explore,
    rules,
    facts,
    overFetch,
    new Set(near.members.map((m) => m.userId)),
  );
  const explored = far.members.map((m) => ({ userId: m.userId, score: 0, because: [], explore: true }));
  const filtered = noneFiltered();
  for (const r of RULE_ORDER) filtered[r] = near.filtered[r] + far.filtered[r];
  const members = [...taken, ...explored];
  return {
    members,
    filtered,
    sizeMet: members.length >= size,
    exhausted: members.length < size && (far.exhausted || near.exhausted),
    candidates: near.candidates + far.candidates,
    rounds: near.rounds + far.rounds,
    explored: explored.length,
  };
}
