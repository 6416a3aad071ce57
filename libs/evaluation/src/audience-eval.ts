/**
 * Audience methods (libs/audience's AudienceMethod) scored on the cold items of a split, the
 * same way neighbour-voting rows are: every method ends in ColdStartEvaluator.audienceMetrics.
 * Also the coherence of an audience with the cold gate of a DSSM trained on the same split.
 */
import { AudienceMember, AudienceMethod, AudienceQuery, topUsers } from '@debut/audience';
import { Featurizer } from '@debut/features';
import type { ColdItemsView, Metrics, U2IModel, Which } from './types';
import { mean } from './metrics';

/** Featurized content of the cold items of `which`, one row per item (the model input). */
export function coldInputs(ev: ColdItemsView, which: Which): Float32Array[] {
  const f = new Featurizer(ev.dataset.schema);
  return ev.items(ev.coldIds[which]).map((it) => f.encode(it.content));
}

/** The method's audience (size ev.n) for every query. */
export async function audiencesOf(
  ev: ColdItemsView,
  method: AudienceMethod,
  queries: AudienceQuery[],
): Promise<AudienceMember[][]> {
  const out: AudienceMember[][] = [];
  for (const q of queries) out.push(await method.select(q, { k: ev.k, n: ev.n, explain: 0 }));
  return out;
}

/**
 * Audience Recall@100 of dense user scores (cold items of `which` × ev.dataset.users): the
 * validation score that closed-form fits (ridge λ) are chosen by.
 */
export function userScoreRecall(ev: ColdItemsView, scores: Float32Array, which: Which, k = 100): number {
  const users = ev.dataset.users;
  const u = users.length;
  const ids = ev.coldIds[which];
  const recalls: number[] = [];
  ids.forEach((id, q) => {
    const rel = ev.hidden[which].get(id);
    if (!rel || rel.size === 0) return;
    const top = topUsers(users, scores.subarray(q * u, (q + 1) * u), k);
    let hits = 0;
    for (const t of top) if (rel.has(t.userId)) hits++;
    recalls.push(hits / rel.size);
  });
  return mean(recalls) ?? 0;
}

/**
 * How far an audience and the cold gate agree, over the cold items of `which`:
 * - `audience.gatePass@100`: share of the top-100 audience members the gate lets the song reach;
 * - `audience.gatedRecall@100`: Recall@100 of the audience after the gate removed the refused.
 * A user unknown to the gate model counts as refused (the service refuses them too).
 */
export function gateCoherence(
  ev: ColdItemsView,
  audiences: AudienceMember[][],
  which: Which,
  gate: U2IModel,
): Metrics {
  if (!gate.embedBoundaries) return {};
  const d = gate.dim;
  const users = ev.dataset.users;
  const row = new Map(users.map((u, i) => [u, i]));
  const U = gate.embedUsers(users);
  const B = gate.embedBoundaries(users);
  const threshold = new Float32Array(users.length);
  for (let r = 0; r < users.length; r++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += U[r * d + j] * B[r * d + j];
    threshold[r] = s + (gate.gateOffset ?? 0);
  }
  const ids = ev.coldIds[which];
  const I = gate.embedItems(ev.items(ids));
  let shown = 0;
  let passed = 0;
  const gated: number[] = [];
  ids.forEach((id, q) => {
    const top = audiences[q].slice(0, 100);
    const rel = ev.hidden[which].get(id);
    let hits = 0;
    for (const m of top) {
      shown++;
      const r = row.get(m.userId);
      if (r === undefined) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += U[r * d + j] * I[q * d + j];
      if (s > threshold[r]) {
        passed++;
        if (rel?.has(m.userId)) hits++;
      }
    }
    if (rel && rel.size > 0) gated.push(hits / rel.size);
  });
  return {
    'audience.gatePass@100': shown > 0 ? passed / shown : 0,
    'audience.gatedRecall@100': mean(gated) ?? 0,
  };
}
