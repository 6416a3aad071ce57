import { Featurizer } from '@debut/features';
import type { FeatureSchema as FeatureSchemaLike } from '@debut/features';
import type { ColdSplit, Item, ItemEncoder, U2IModel } from './types';
import { deriveSeed, gaussian, mulberry32 } from './random';
import { normaliseRows } from './vectors';
import { popularityU2IModel, warmU2IMetrics } from './warm-holdout';
import type { ColdStartEvaluator, Metrics } from './evaluate';

/**
 * Raw-content encoder: the featurizer's flat input vector (dense modalities as they come,
 * one-hot / multi-hot categories), L2-normalised, so inner product = cosine. The content-KNN
 * baseline is this encoder fed through the same neighbour search and AudienceSelector as models.
 */
export function rawContentEncoder(schema: FeatureSchemaLike): ItemEncoder {
  const f = new Featurizer(schema);
  return {
    dim: f.inputDim,
    embed: (items: Item[]) => normaliseRows(f.encodeBatch(items.map((i) => i.content)), f.inputDim),
  };
}

function hashVector(seed: number, id: string, dim: number): Float32Array {
  const rng = mulberry32(deriveSeed(seed, id));
  const v = new Float32Array(dim);
  for (let j = 0; j < dim; j++) v[j] = gaussian(rng);
  return v;
}

/** U2I floor: seeded random user and item vectors (no boundary). */
export function randomU2IModel(seed: number, dim = 16): U2IModel {
  const embed = (label: string) => (ids: string[]) => {
    const out = new Float32Array(ids.length * dim);
    ids.forEach((id, r) => out.set(hashVector(deriveSeed(seed, label), id, dim), r * dim));
    return out;
  };
  const items = embed('random-u2i-item');
  return {
    dim,
    embedItems: (xs: Item[]) => items(xs.map((i) => i.id)),
    embedUsers: embed('random-u2i-user'),
  };
}

/**
 * Content-mean U2I: a user is the mean of the raw (normalised) content of the warm items they
 * listened to in training; score = cosine with the cold item's raw content. No boundary.
 */
export function contentMeanU2IModel(
  schema: FeatureSchemaLike,
  split: ColdSplit,
  itemById: Map<string, Item>,
): U2IModel {
  const enc = rawContentEncoder(schema);
  const dim = enc.dim;
  const byUser = new Map<string, string[]>();
  for (const it of split.train) {
    let l = byUser.get(it.userId);
    if (!l) byUser.set(it.userId, (l = []));
    l.push(it.itemId);
  }
  const warmIds = [...new Set(split.train.map((i) => i.itemId))];
  const warmRow = new Map(warmIds.map((id, r) => [id, r]));
  const warmVecs = enc.embed(warmIds.map((id) => itemById.get(id)!));
  return {
    dim,
    embedItems: (items) => enc.embed(items),
    embedUsers: (userIds) => {
      const out = new Float32Array(userIds.length * dim);
      userIds.forEach((u, r) => {
        const o = r * dim;
        for (const id of byUser.get(u) ?? []) {
          const w = warmRow.get(id)! * dim;
          for (let j = 0; j < dim; j++) out[o + j] += warmVecs[w + j];
        }
      });
      return normaliseRows(out, dim);
    },
  };
}

export interface BaselineRow {
  method: string;
  metrics: Metrics;
  trainSeconds: number;
  notes?: string;
}

const since = (t0: number) => (Date.now() - t0) / 1000;

/** u2i.*.warm of a U2I baseline; nothing unless the split has a warm holdout (opt-in). */
const warmMetrics = (ev: ColdStartEvaluator, model: U2IModel) =>
  warmU2IMetrics(ev.split, ev.warm, ev.dataset.users, model);

/**
 * Every baseline on the evaluator's split, through the same AudienceSelector path:
 * `random` (uniform random audience; random U2I vectors), `popularity` (heaviest listeners
 * overall), `content-knn` (raw-content cosine neighbours), `content-mean` (U2I floor) and
 * `oracle-cf` (neighbours from the cold item's HIDDEN listeners — cheats by construction).
 */
export async function runBaselines(
  ev: ColdStartEvaluator,
  log: (m: string) => void = () => undefined,
): Promise<BaselineRow[]> {
  const rows: BaselineRow[] = [];
  let t0 = Date.now();
  const randomU2I = randomU2IModel(ev.seed);
  const random = {
    ...(await ev.randomAudienceMetrics()),
    ...ev.evaluateU2I(randomU2I),
    ...warmMetrics(ev, randomU2I),
  };
  rows.push({
    method: 'random',
    metrics: random,
    trainSeconds: 0,
    notes: `evaluated in ${since(t0).toFixed(1)} s`,
  });
  log(`random: ${since(t0).toFixed(1)} s`);

  t0 = Date.now();
  rows.push({
    method: 'popularity',
    metrics: { ...(await ev.popularAudienceMetrics()), ...warmMetrics(ev, popularityU2IModel(ev.split)) },
    trainSeconds: 0,
  });
  log(`popularity: ${since(t0).toFixed(1)} s`);

  t0 = Date.now();
  const enc = rawContentEncoder(ev.dataset.schema);
  rows.push({ method: 'content-knn', metrics: await ev.evaluateI2I(enc), trainSeconds: 0 });
  log(`content-knn: ${since(t0).toFixed(1)} s`);

  t0 = Date.now();
  const cm = contentMeanU2IModel(ev.dataset.schema, ev.split, ev.itemById);
  rows.push({
    method: 'content-mean',
    metrics: { ...ev.evaluateU2I(cm), ...warmMetrics(ev, cm) },
    trainSeconds: since(t0),
  });
  log(`content-mean: ${since(t0).toFixed(1)} s`);

  t0 = Date.now();
  rows.push({
    method: 'oracle-cf',
    metrics: await ev.evaluateNeighbours(ev.oracleNeighbours('test')),
    trainSeconds: 0,
    notes: 'cheats: neighbours chosen with the hidden listeners',
  });
  log(`oracle-cf: ${since(t0).toFixed(1)} s`);
  return rows;
}
