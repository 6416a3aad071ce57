import {
  AudienceMember,
  AudienceMethod,
  AudienceQuery,
  AudienceSelector,
  InMemoryListenerSource,
  ListenerWeight,
  Neighbour,
} from '@debut/audience';
import type {
  ColdSplit,
  ColdStartDataset,
  Interaction,
  Item,
  ItemEncoder,
  TrainContext,
  U2IModel,
} from './types';
import { auc, gateScores, hitsAtK, mean, median, ndcgAtK, recallAtK } from './metrics';
import { roundRobin } from './interleave';
import { DriftSlices } from './drift-slices';
import { deriveSeed, mulberry32, randInt } from './random';
import { innerProductIndex, scoreMatrix } from './vectors';
import { audiencesOf, coldInputs, userScoreRecall } from './audience-eval';

/**
 * How a training interaction becomes an I2I2U signal weight:
 * - `log1p-user`: log1p(strength) divided by the user's largest log1p(strength), so every
 *   user's favourite item weighs 1 and heavy listeners do not drown everyone else (default);
 * - `log1p`: log1p(strength);
 * - `binary`: 1.
 */
export type ListenerWeighting = 'log1p-user' | 'log1p' | 'binary';

export interface EvaluatorOptions {
  /** Neighbours per cold item (default 50). */
  k?: number;
  /** Audience size computed (default 200, enough for Recall@200). */
  n?: number;
  weighting?: ListenerWeighting;
  seed?: number;
}

export type { Metrics, Which } from './types';
import type { Metrics, Which } from './types';

/** The I2I2U signal weight of each interaction (same order); `trainer import` stores these. */
export function listenerWeights(
  train: readonly Interaction[],
  weighting: ListenerWeighting = 'log1p-user',
): Float32Array {
  const userMax = new Map<string, number>();
  if (weighting === 'log1p-user') {
    for (const it of train)
      userMax.set(it.userId, Math.max(userMax.get(it.userId) ?? 0, Math.log1p(it.strength)));
  }
  return Float32Array.from(train, (it) =>
    weighting === 'binary'
      ? 1
      : weighting === 'log1p'
        ? Math.log1p(it.strength)
        : Math.log1p(it.strength) / (userMax.get(it.userId) || 1),
  );
}

/** Builds the in-memory listener source from training interactions. */
export function listenerSourceFrom(
  train: readonly Interaction[],
  weighting: ListenerWeighting = 'log1p-user',
): InMemoryListenerSource {
  const weights = listenerWeights(train, weighting);
  const lists = new Map<string, ListenerWeight[]>();
  train.forEach((it, i) => {
    let l = lists.get(it.itemId);
    if (!l) lists.set(it.itemId, (l = []));
    l.push({ userId: it.userId, weight: weights[i] });
  });
  const source = new InMemoryListenerSource();
  for (const [song, l] of lists) source.set(song, l);
  return source;
}

function groupBy<K extends 'itemId' | 'userId'>(
  xs: readonly Interaction[],
  key: K,
): Map<string, Set<string>> {
  const other = key === 'itemId' ? 'userId' : 'itemId';
  const m = new Map<string, Set<string>>();
  for (const x of xs) {
    let s = m.get(x[key]);
    if (!s) m.set(x[key], (s = new Set()));
    s.add(x[other]);
  }
  return m;
}

/**
 * Everything the evaluation of one (dataset, split) needs, prepared once: warm items, the
 * training listener source and the AudienceSelector over it, hidden listeners of cold items.
 * I2I methods and baselines all end in `audienceMetrics`, so they share one code path.
 */
export class ColdStartEvaluator {
  readonly k: number;
  readonly n: number;
  readonly weighting: ListenerWeighting;
  readonly seed: number;
  readonly itemById: Map<string, Item>;
  readonly warm: Item[];
  readonly source: InMemoryListenerSource;
  readonly selector: AudienceSelector;
  /** Hidden listeners per cold item. */
  readonly hidden: Record<Which, Map<string, Set<string>>>;
  readonly coldIds: Record<Which, string[]>;
  /** Training items per user. */
  readonly trainByUser: Map<string, Set<string>>;

  constructor(
    readonly dataset: ColdStartDataset,
    readonly split: ColdSplit,
    options: EvaluatorOptions = {},
  ) {
    this.k = options.k ?? 50;
    this.n = options.n ?? 200;
    this.weighting = options.weighting ?? 'log1p-user';
    this.seed = options.seed ?? split.seed;
    this.itemById = new Map(dataset.items.map((i) => [i.id, i]));
    this.warm = split.warmItems.map((id) => this.itemById.get(id)!);
    this.source = listenerSourceFrom(split.train, this.weighting);
    this.selector = new AudienceSelector(this.source, { k: this.k, n: this.n, explain: 0 });
    this.hidden = { val: groupBy(split.coldVal, 'itemId'), test: groupBy(split.coldTest, 'itemId') };
    this.coldIds = { val: split.coldValItems, test: split.coldTestItems };
    this.trainByUser = groupBy(split.train, 'userId');
  }

  items(ids: readonly string[]): Item[] {
    return ids.map((id) => this.itemById.get(id)!);
  }

  /** Top-k warm neighbours of each cold item by inner product of the encoder's vectors. */
  encoderNeighbours(encoder: ItemEncoder, which: Which, k = this.k): Neighbour[][] {
    const dim = encoder.dim;
    const warmVecs = encoder.embed(this.warm);
    const index = innerProductIndex(warmVecs, dim);
    const cold = encoder.embed(this.items(this.coldIds[which]));
    return this.coldIds[which].map((_, q) => {
      const r = index.search(cold, q * dim, k);
      return Array.from(r.index, (w, t) => ({ songId: this.warm[w].id, similarity: r.score[t] }));
    });
  }

  /** Neighbours by cosine between the cold item's hidden listener set and warm listener sets (cheats). */
  oracleNeighbours(which: Which, k = this.k): Neighbour[][] {
    const warmListeners = new Map<string, number>();
    for (const w of this.warm) warmListeners.set(w.id, this.source.listeners(w.id).length);
    return this.coldIds[which].map((id) => {
      const users = this.hidden[which].get(id) ?? new Set<string>();
      const co = new Map<string, number>();
      for (const u of users)
        for (const item of this.trainByUser.get(u) ?? []) co.set(item, (co.get(item) ?? 0) + 1);
      const sims = [...co].map(([songId, c]) => ({
        songId,
        similarity: c / Math.sqrt(users.size * (warmListeners.get(songId) || 1)),
      }));
      sims.sort((a, b) => b.similarity - a.similarity);
      return sims.slice(0, k);
    });
  }

  /** Runs the AudienceSelector for every cold item of `which` from its neighbours. */
  async audiences(neighbours: Neighbour[][], selector = this.selector): Promise<AudienceMember[][]> {
    const out: AudienceMember[][] = [];
    for (const nb of neighbours) out.push(await selector.select(nb, { k: this.k, n: this.n, explain: 0 }));
    return out;
  }

  /**
   * Audience metrics over the cold items of `which`: Recall@50/100/200 over users (hits divided
   * by the number of hidden listeners), NDCG@100, mean users found in the top 100, Recall@100
   * on long-tail items (hidden listener count below the median over these items) vs head, and
   * user coverage of the top-100 audiences.
   */
  audienceMetrics(audiences: AudienceMember[][], which: Which): Metrics {
    const ids = this.coldIds[which];
    const counts = ids.map((id) => this.hidden[which].get(id)?.size ?? 0);
    const med = median(counts);
    const r50: number[] = [];
    const r100: number[] = [];
    const r200: number[] = [];
    const nd: number[] = [];
    const found: number[] = [];
    const tail: number[] = [];
    const head: number[] = [];
    const seen = new Set<string>();
    ids.forEach((id, q) => {
      const rel = this.hidden[which].get(id);
      if (!rel || rel.size === 0) return;
      const ranked = audiences[q].map((m) => m.userId);
      for (let i = 0; i < Math.min(100, ranked.length); i++) seen.add(ranked[i]);
      const r = recallAtK(ranked, rel, 100)!;
      r50.push(recallAtK(ranked, rel, 50)!);
      r100.push(r);
      r200.push(recallAtK(ranked, rel, 200)!);
      nd.push(ndcgAtK(ranked, rel, 100)!);
      found.push(hitsAtK(ranked, rel, 100));
      (rel.size < med ? tail : head).push(r);
    });
    const m: Metrics = {};
    const put = (name: string, v: number | undefined) => {
      if (v !== undefined) m[name] = v;
    };
    put('audience.recall@50', mean(r50));
    put('audience.recall@100', mean(r100));
    put('audience.recall@200', mean(r200));
    put('audience.ndcg@100', mean(nd));
    put('audience.found@100', mean(found));
    put('audience.recall@100.tail', mean(tail));
    put('audience.recall@100.head', mean(head));
    m['audience.coverage@100'] = seen.size / Math.max(1, this.dataset.users.length);
    return m;
  }

  async evaluateNeighbours(neighbours: Neighbour[][], which: Which = 'test'): Promise<Metrics> {
    return this.audienceMetrics(await this.audiences(neighbours), which);
  }

  async evaluateI2I(encoder: ItemEncoder, which: Which = 'test'): Promise<Metrics> {
    return this.evaluateNeighbours(this.encoderNeighbours(encoder, which), which);
  }

  async validateI2I(encoder: ItemEncoder): Promise<number> {
    return (await this.evaluateI2I(encoder, 'val'))['audience.recall@100'] ?? 0;
  }

  /** Random audience: uniformly random users, through the AudienceSelector (one pseudo-neighbour). */
  async randomAudienceMetrics(which: Which = 'test'): Promise<Metrics> {
    const rng = mulberry32(deriveSeed(this.seed, 'random-audience'));
    const users = this.dataset.users;
    const audiences: AudienceMember[][] = [];
    for (let q = 0; q < this.coldIds[which].length; q++) {
      const src = new InMemoryListenerSource().set(
        '*',
        users.map((userId) => ({ userId, weight: rng() + 1e-9 })),
      );
      audiences.push(
        await new AudienceSelector(src).select([{ songId: '*', similarity: 1 }], { n: this.n, explain: 0 }),
      );
    }
    return this.audienceMetrics(audiences, which);
  }

  /** Popularity audience: the heaviest listeners overall (Σ training weight), same for every item. */
  async popularAudienceMetrics(which: Which = 'test'): Promise<Metrics> {
    const total = new Map<string, number>();
    for (const song of this.source.songs()) {
      for (const { userId, weight } of this.source.listeners(song))
        total.set(userId, (total.get(userId) ?? 0) + weight);
    }
    const src = new InMemoryListenerSource().set(
      '*',
      [...total].map(([userId, weight]) => ({ userId, weight })),
    );
    const audience = await new AudienceSelector(src).select([{ songId: '*', similarity: 1 }], {
      n: this.n,
      explain: 0,
    });
    return this.audienceMetrics(
      this.coldIds[which].map(() => audience),
      which,
    );
  }

  /**
   * U2I cold ranking and gating on cold test items.
   * - u2i.recall@20 / u2i.ndcg@20: for each user with ≥ 1 cold test item, all cold test items
   *   ranked by u·i.
   * - gate.auc: margin u·i − u·b (u·i without a boundary) on every listened (user, cold test
   *   item) pair vs an equal number of seeded random unlistened pairs.
   * - gate.precision/recall/f1 over all (user, cold test item) pairs of all users: with a
   *   boundary, pass = u·i > u·b. Without one, a fixed top-k per user (`dssm-topk`), k ∈
   *   {5, 10, 20}, each reported as gate.f1@top<k>; gate.f1 is the k that is best on the cold
   *   VALIDATION items (gate.topk), never chosen on test.
   * - Synthetic: gate.hitsOnlyShownNone = share of hits-only users passing no cold test song;
   *   gate.othersShownSome = share of the other users passing ≥ 1.
   */
  evaluateU2I(model: U2IModel): Metrics {
    const users = this.dataset.users;
    const dim = model.dim;
    const U = model.embedUsers(users);
    const B = model.embedBoundaries?.(users);
    const thresholds = B ? rowDots(U, B, dim).map((t) => t + (model.gateOffset ?? 0)) : undefined;
    const m: Metrics = {};
    const test = this.scoresFor(model, U, 'test');
    const nItems = this.coldIds.test.length;
    const listened = (u: number, i: number) => test.truth[u].has(this.coldIds.test[i]);

    // Ranking (dual-memory models: their lists interleaved round-robin).
    const listScores = model.embedUserLists?.(users).map((L) => this.scoresFor(model, L, 'test').S);
    const rankedOf = (u: number) =>
      (listScores
        ? roundRobin(
            listScores.map((S) => rankRow(S, u, nItems)),
            Infinity,
            model.listShares,
          )
        : rankRow(test.S, u, nItems)
      ).map((i) => this.coldIds.test[i]);
    const rec: number[] = [];
    const nd: number[] = [];
    const top20 = new Set<string>();
    const slices = this.dataset.drift
      ? new DriftSlices(this.dataset.drift, this.split.coldTest, this.dataset.hitsOnlyUsers)
      : undefined;
    users.forEach((user, u) => {
      const rel = test.truth[u];
      if (rel.size === 0) return;
      const ranked = rankedOf(u);
      ranked.slice(0, 20).forEach((id) => top20.add(id));
      rec.push(recallAtK(ranked, rel, 20)!);
      nd.push(ndcgAtK(ranked, rel, 20)!);
      slices?.add(user, ranked, rel);
    });
    const put = (name: string, v: number | undefined) => {
      if (v !== undefined) m[name] = v;
    };
    put('u2i.recall@20', mean(rec));
    put('u2i.ndcg@20', mean(nd));
    if (slices)
      Object.assign(m, slices.metrics(), {
        'u2i.coverage@20': top20.size / Math.max(1, nItems),
        ...this.seasonRecall(model, U),
      });

    // AUC on listened vs sampled unlistened pairs.
    const margin = (u: number, i: number) => test.S[u * nItems + i] - (thresholds ? thresholds[u] : 0);
    const pos: number[] = [];
    users.forEach((_, u) => {
      for (let i = 0; i < nItems; i++) if (listened(u, i)) pos.push(margin(u, i));
    });
    const rng = mulberry32(deriveSeed(this.seed, 'gate-negatives'));
    const neg: number[] = [];
    for (let guard = 0; neg.length < pos.length && guard < pos.length * 50; guard++) {
      const u = randInt(rng, users.length);
      const i = randInt(rng, nItems);
      if (!listened(u, i)) neg.push(margin(u, i));
    }
    put('gate.auc', auc(pos, neg));

    // Gates.
    const passes = (which: 'boundary' | number, sc: { S: Float32Array }, n: number) => {
      const out = new Uint8Array(users.length * n);
      users.forEach((_, u) => {
        if (which === 'boundary') {
          for (let i = 0; i < n; i++) out[u * n + i] = sc.S[u * n + i] > thresholds![u] ? 1 : 0;
        } else {
          for (const i of rankRow(sc.S, u, n).slice(0, which)) out[u * n + i] = 1;
        }
      });
      return out;
    };
    const score = (pass: Uint8Array, sc: { truth: Set<string>[] }, ids: string[]) => {
      let tp = 0;
      let fp = 0;
      let fn = 0;
      users.forEach((_, u) => {
        for (let i = 0; i < ids.length; i++) {
          const p = pass[u * ids.length + i] === 1;
          const t = sc.truth[u].has(ids[i]);
          if (p && t) tp++;
          else if (p) fp++;
          else if (t) fn++;
        }
      });
      return gateScores({ tp, fp, fn });
    };
    let used: Uint8Array;
    const ks = [5, 10, 20].filter((k) => k <= nItems);
    const topk = new Map<number, Uint8Array>();
    for (const k of ks) {
      const pass = passes(k, test, nItems);
      topk.set(k, pass);
      m[`gate.f1@top${k}`] = score(pass, test, this.coldIds.test).f1;
    }
    if (thresholds) {
      used = passes('boundary', test, nItems);
    } else {
      const val = this.scoresFor(model, U, 'val');
      const nVal = this.coldIds.val.length;
      let bestK = ks[0] ?? nItems;
      let bestF1 = -1;
      for (const k of ks) {
        const f1 = score(passes(k, val, nVal), val, this.coldIds.val).f1;
        if (f1 > bestF1) {
          bestF1 = f1;
          bestK = k;
        }
      }
      used = topk.get(bestK) ?? passes(bestK, test, nItems);
      m['gate.topk'] = bestK;
    }
    const g = score(used, test, this.coldIds.test);
    m['gate.precision'] = g.precision;
    m['gate.recall'] = g.recall;
    m['gate.f1'] = g.f1;
    m['gate.passRate'] = used.reduce((s, x) => s + x, 0) / Math.max(1, used.length);

    const hitsOnly = this.dataset.hitsOnlyUsers;
    if (hitsOnly && hitsOnly.size > 0) {
      let hNone = 0;
      let hN = 0;
      let oSome = 0;
      let oN = 0;
      users.forEach((user, u) => {
        let any = false;
        for (let i = 0; i < nItems && !any; i++) any = used[u * nItems + i] === 1;
        if (hitsOnly.has(user)) {
          hN++;
          if (!any) hNone++;
        } else {
          oN++;
          if (any) oSome++;
        }
      });
      if (hN > 0) m['gate.hitsOnlyShownNone'] = hNone / hN;
      if (oN > 0) m['gate.othersShownSome'] = oSome / oN;
    }
    return m;
  }

  /**
   * synthetic-drift: `u2i.recall@20.season` — cold test songs each user last played in the
   * planted season's month, ranked with the user vectors for a time in that month
   * (embedUsersAt: context offsets; other models: their ordinary vectors).
   */
  private seasonRecall(model: U2IModel, U: Float32Array): Metrics {
    const drift = this.dataset.drift!;
    const month = drift.seasonalMonth;
    const at = Date.UTC(new Date(drift.recentSince).getUTCFullYear(), month, 15);
    const inSeason = this.split.coldTest.filter(
      (it) => it.at !== undefined && new Date(it.at).getUTCMonth() === month,
    );
    const truth = groupBy(inSeason, 'userId');
    const users = this.dataset.users;
    const S = this.scoresFor(model, model.embedUsersAt?.(users, at) ?? U, 'test').S;
    const n = this.coldIds.test.length;
    const rs: number[] = [];
    users.forEach((user, u) => {
      const rel = truth.get(user);
      if (rel?.size)
        rs.push(
          recallAtK(
            rankRow(S, u, n).map((i) => this.coldIds.test[i]),
            rel,
            20,
          )!,
        );
    });
    const v = mean(rs);
    return v === undefined ? {} : { 'u2i.recall@20.season': v };
  }

  private scoresFor(
    model: U2IModel,
    U: Float32Array,
    which: Which,
  ): { S: Float32Array; truth: Set<string>[] } {
    const I = model.embedItems(this.items(this.coldIds[which]));
    const S = scoreMatrix(U, I, model.dim);
    const byUser = groupBy(which === 'val' ? this.split.coldVal : this.split.coldTest, 'userId');
    const empty = new Set<string>();
    return { S, truth: this.dataset.users.map((u) => byUser.get(u) ?? empty) };
  }

  private readonly queryCache = new Map<string, AudienceQuery[]>();
  private readonly encoderIds = new WeakMap<ItemEncoder, number>();

  /**
   * Queries for the cold items of `which`, with the neighbours of `encoder` when given. Cached
   * per (which, encoder) so that a method wrapped in a per-query cache (fusion's components)
   * sees the same query objects on every validation pass.
   */
  queries(which: Which, encoder?: ItemEncoder): AudienceQuery[] {
    let id = 0;
    if (encoder) {
      id =
        this.encoderIds.get(encoder) ?? this.encoderIds.set(encoder, this.queryCache.size + 1).get(encoder)!;
    }
    const key = `${which}:${id}`;
    let q = this.queryCache.get(key);
    if (!q) {
      const inputs = this.queryCache.get(`${which}:0`)?.map((x) => x.input) ?? coldInputs(this, which);
      const nb = encoder ? this.encoderNeighbours(encoder, which) : undefined;
      this.queryCache.set(key, (q = inputs.map((input, i) => ({ input, neighbours: nb?.[i] ?? [] }))));
    }
    return q;
  }

  /** Audience metrics of an audience method on the cold items of `which`, and its audiences. */
  async evaluateAudience(
    method: AudienceMethod,
    which: Which = 'test',
    encoder?: ItemEncoder,
  ): Promise<{ metrics: Metrics; audiences: AudienceMember[][] }> {
    const audiences = await audiencesOf(this, method, this.queries(which, encoder));
    return { metrics: this.audienceMetrics(audiences, which), audiences };
  }

  /** The TrainContext handed to methods. */
  trainContext(hooks: { log?: (m: string) => void; curve?: TrainContext['curve'] } = {}): TrainContext {
    return {
      dataset: this.dataset,
      split: this.split,
      seed: this.seed,
      validateI2I: (encoder) => this.validateI2I(encoder),
      validateAudience: async (method, encoder) =>
        this.audienceMetrics(await audiencesOf(this, method, this.queries('val', encoder)), 'val')[
          'audience.recall@100'
        ] ?? 0,
      validateUserScores: (scores) => userScoreRecall(this, scores, 'val'),
      validateNeighbours: async (nb) =>
        (await this.evaluateNeighbours(nb, 'val'))['audience.recall@100'] ?? 0,
      coldValInputs: () => this.queries('val').map((q) => q.input),
      log: hooks.log ?? (() => undefined),
      curve: hooks.curve ?? (() => undefined),
    };
  }
}

function rowDots(a: Float32Array, b: Float32Array, dim: number): Float32Array {
  const n = a.length / dim;
  const out = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += a[r * dim + j] * b[r * dim + j];
    out[r] = s;
  }
  return out;
}

/** Column indices of row u of an |U| × n matrix, best first (stable for ties). */
function rankRow(S: Float32Array, u: number, n: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const o = u * n;
  idx.sort((a, b) => S[o + b] - S[o + a]);
  return idx;
}
