import type { AudienceRules, FilteredCounts, RuleFacts } from '@debut/audience';
import type { DebutConfig } from '@debut/config';
import type { ExposureRepository, UserRepository } from '@debut/catalog';

/** What a release asks of its audience (song.released, or the stored song). */
export interface ReleaseRules {
  availability?: readonly string[] | null;
  explicit?: boolean;
  audienceBudget?: { size?: number; explorationShare?: number } | null;
}

/** One audience selection under the rules: its size, exploration share and rules. */
export interface AudienceRequest {
  size: number;
  explorationShare: number;
  rules: AudienceRules;
}

/** How a ruled selection went (absent on the plain top-N path). */
export interface RuleOutcome {
  requested: number;
  filtered: FilteredCounts;
  sizeMet: boolean;
  /** The active method had no more candidates: every eligible user it can rank was taken. */
  exhausted: boolean;
  explored: number;
}

/**
 * The request a release's rules make, or null when none applies and no exploration is
 * configured: such releases keep the plain top-N path (users who have the song excluded at
 * retrieval), so today's audiences and figures do not move. A new song has no exposures, but a
 * re-release or a replay may, so exposed users are excluded too.
 */
export function releaseRequest(
  release: ReleaseRules,
  options: DebutConfig['audience'],
): AudienceRequest | null {
  const budget = release.audienceBudget ?? {};
  const explorationShare = budget.explorationShare ?? options.explorationShare;
  const ruled =
    !!release.availability || !!release.explicit || budget.size !== undefined || explorationShare > 0;
  if (!ruled) return null;
  return {
    size: budget.size ?? options.size,
    explorationShare,
    rules: {
      availability: release.availability ?? null,
      explicit: release.explicit ?? false,
      excludeExposed: true,
      excludePlayed: true,
    },
  };
}

/** The repositories the rules read. */
export interface RuleRepositories {
  users: Pick<UserRepository, 'profilesOf' | 'shuffled'>;
  exposures: Pick<ExposureRepository, 'exposedAmong'>;
}

/** RuleFacts of one song from the repositories; `played`: the users who already have it. */
export function ruleFacts(repos: RuleRepositories, songId: string, played: ReadonlySet<string>): RuleFacts {
  return {
    profiles: (ids) => repos.users.profilesOf(ids),
    exposed: (ids) => repos.exposures.exposedAmong(songId, ids),
    played: (ids) => Promise.resolve(new Set(ids.filter((u) => played.has(u)))),
  };
}
