import type { GateDecision } from '@debut/audience';
import { roundRobin } from '@debut/evaluation';
import { mixUserVectors } from '@debut/models';

/** Dual-memory serving (issue 16): λ of the gate mix; 0 = h_gen only (today's behaviour). */
export interface NextMemoryConfig {
  mix: number;
}

/** One memory of a user: the user vector u and the boundary vector b. */
export type Memory = { user: Float32Array; boundary: Float32Array };

/**
 * The gate's user: u = (1 − λ)·u_gen + λ·u_next, b likewise (dssm/stars.ts mixUserVectors, the
 * mix the bench chose λ for). A user without h_next (not computed yet) keeps h_gen.
 */
export function mixedMemory(gen: Memory, next: Memory | undefined, mix: number): Memory {
  if (!next || mix <= 0) return gen;
  const m = mixUserVectors(
    { users: gen.user, boundaries: gen.boundary, thresholds: new Float32Array(1), hasHistory: [true] },
    { users: next.user, boundaries: next.boundary, thresholds: new Float32Array(1), hasHistory: [true] },
    mix,
  );
  return { user: m.users, boundary: m.boundaries };
}

/** The two memories' recommendation lists interleaved round-robin, duplicates skipped, at most `limit`. */
export function interleaveDecisions(lists: GateDecision[][], limit: number): GateDecision[] {
  const bySong = new Map<string, GateDecision>();
  for (const l of lists) for (const d of l) if (!bySong.has(d.songId)) bySong.set(d.songId, d);
  return roundRobin(
    lists.map((l) => l.map((d) => d.songId)),
    limit,
  ).map((id) => bySong.get(id)!);
}
