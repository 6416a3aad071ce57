/**
 * Issue 5 behaviour of the DSSM with interest boundary on a small synthetic catalogue: a
 * hits-only listener (whose history carries no content signal) must end with a boundary above
 * every cold song, other listeners must pass some, and the margin u·i − u·b must rank listened
 * cold pairs above unlistened ones. Early stopping looks at cold VALIDATION items only; the
 * assertions are on cold TEST items. Also: artifact save/load gives identical vectors.
 */
import {
  ColdSplit,
  ColdStartDataset,
  auc,
  coldSplit,
  deriveSeed,
  generateSynthetic,
  mulberry32,
  randInt,
} from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { initTf } from '../tf';
import { DssmModel, loadDssmModel, saveDssmArtifact } from './model';
import { ContextOffsets, MONTH_BUCKETS } from './context-offsets';
import { trainDssm } from './trainer';

jest.setTimeout(60000);

interface GateStats {
  auc: number;
  hitsOnlyShownNone: number;
  othersShownSome: number;
}

/** Gate statistics of `model` on the given cold items; users embedded from their training songs. */
function gateStats(
  ds: ColdStartDataset,
  split: ColdSplit,
  model: DssmModel,
  which: 'val' | 'test',
): GateStats {
  const byId = new Map(ds.items.map((i) => [i.id, i.content]));
  const ids = which === 'val' ? split.coldValItems : split.coldTestItems;
  const col = new Map(ids.map((id, i) => [id, i]));
  const hist = new Map<string, string[]>();
  for (const it of [...split.train].sort((a, b) => b.strength - a.strength)) {
    if (!hist.has(it.userId)) hist.set(it.userId, []);
    hist.get(it.userId)!.push(it.itemId);
  }
  const listened = new Set(
    (which === 'val' ? split.coldVal : split.coldTest).map((it) => `${it.userId} ${col.get(it.itemId)}`),
  );
  const v = model.embedUsers(ds.users.map((u) => (hist.get(u) ?? []).map((id) => byId.get(id)!)));
  const I = model.embedItems(ids.map((id) => byId.get(id)!));
  const d = model.dim;
  const margin = (u: number, i: number) => {
    let s = 0;
    for (let c = 0; c < d; c++) s += v.users[u * d + c] * I[i * d + c];
    return s - v.thresholds[u];
  };
  const pos: number[] = [];
  let hNone = 0;
  let hN = 0;
  let oSome = 0;
  let oN = 0;
  ds.users.forEach((user, u) => {
    let any = false;
    for (let i = 0; i < ids.length; i++) {
      const m = margin(u, i);
      any ||= v.hasHistory[u] && m > 0;
      if (listened.has(`${user} ${i}`)) pos.push(m);
    }
    if (ds.hitsOnlyUsers!.has(user)) {
      hN++;
      if (!any) hNone++;
    } else {
      oN++;
      if (any) oSome++;
    }
  });
  const rng = mulberry32(deriveSeed(split.seed, 'spec-negatives'));
  const neg: number[] = [];
  while (neg.length < pos.length) {
    const u = randInt(rng, ds.users.length);
    const i = randInt(rng, ids.length);
    if (!listened.has(`${ds.users[u]} ${i}`)) neg.push(margin(u, i));
  }
  return { auc: auc(pos, neg)!, hitsOnlyShownNone: hNone / hN, othersShownSome: oSome / oN };
}

describe('DSSM with interest boundary', () => {
  let ds: ColdStartDataset;
  let split: ColdSplit;
  let model: DssmModel;

  beforeAll(async () => {
    await initTf({ log: () => undefined });
    ds = generateSynthetic({ seed: 7, songs: 1200, users: 700 });
    split = coldSplit(ds, { seed: 7 });
    const featurizer = new Featurizer(ds.schema);
    const byId = new Map(ds.items.map((i) => [i.id, i.content]));
    const warm = new Map(split.warmItems.map((id, j) => [id, j]));
    const histories = ds.users.map((u) =>
      Int32Array.from(
        split.train.filter((it) => it.userId === u).sort((a, b) => b.strength - a.strength),
        (it) => warm.get(it.itemId)!,
      ),
    );
    const result = await trainDssm(
      {
        fields: featurizer.fields,
        inputDim: featurizer.inputDim,
        inputs: featurizer.encodeBatch(split.warmItems.map((id) => byId.get(id)!)),
        numItems: split.warmItems.length,
        histories,
      },
      // Small towers and a fixed budget so CI stays well under 60 s. On this 5× smaller catalogue
      // the bench defaults (α 0.15, 80% popularity negatives) open the others' gates too slowly
      // for 10 epochs, so the spec uses a milder α and negative mix; the mechanism is the same.
      {
        fieldDim: 16,
        hidden: [128],
        dim: 32,
        userHidden: [64],
        boundaryHidden: [64],
        epochs: 10,
        batchSize: 256,
        negatives: 256,
        alpha: 0.2,
        popularNegatives: 0.25,
        negativePower: 0.75,
        seed: 7,
      },
      {
        // Validation: cold VALIDATION items only.
        onEpoch: (_e, _m, towers) => {
          const s = gateStats(ds, split, new DssmModel(featurizer, towers), 'val');
          return s.auc + s.hitsOnlyShownNone + s.othersShownSome;
        },
      },
    );
    model = new DssmModel(featurizer, result.towers);
  });

  afterAll(() => model?.dispose());

  it('shows hits-only users no cold song, others some, and ranks listened pairs above unlistened', () => {
    const s = gateStats(ds, split, model, 'test');
    expect(s.hitsOnlyShownNone).toBeGreaterThanOrEqual(0.8);
    expect(s.othersShownSome).toBeGreaterThanOrEqual(0.8);
    expect(s.auc).toBeGreaterThanOrEqual(0.7);
  });

  it('refuses everything for a user without history', () => {
    const v = model.embedUsers([[]]);
    expect(v.hasHistory[0]).toBe(false);
    expect(Array.from(v.users).every((x) => x === 0)).toBe(true);
  });

  it('round-trips through an artifact with identical vectors', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dssm-'));
    try {
      await saveDssmArtifact(dir, model, {}, { note: 'spec' });
      const { model: loaded, manifest } = await loadDssmModel(dir);
      expect(manifest.kind).toBe('dssm');
      const songs = ds.items.slice(0, 50).map((i) => i.content);
      const histories = [songs.slice(0, 10), songs.slice(10, 40)];
      expect(loaded.embedItems(songs)).toEqual(model.embedItems(songs));
      const a = model.embedUsers(histories);
      const b = loaded.embedUsers(histories);
      expect(b.users).toEqual(a.users);
      expect(b.boundaries).toEqual(a.boundaries);
      loaded.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps calendar offsets through an artifact; one without them loads with none', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dssm-context-'));
    try {
      const d = model.dim;
      const offsets = Float32Array.from({ length: MONTH_BUCKETS * d }, (_, i) => Math.sin(i));
      const manifest = await saveDssmArtifact(dir, model.withContext(new ContextOffsets(offsets, d)));
      expect(manifest.config.contextBuckets).toBe(MONTH_BUCKETS);
      const { model: loaded } = await loadDssmModel(dir);
      expect(loaded.context?.offsets).toEqual(offsets);
      expect(loaded.gateOffset).toBe(model.gateOffset);
      // December (bucket 11) adds row 11 and leaves the input as it was.
      const u = new Float32Array(d).fill(1);
      const shifted = loaded.context!.shift(u, new Date('2026-12-31T23:59:59Z'));
      expect(shifted).toEqual(u.map((x, c) => x + offsets[11 * d + c]));
      expect(Array.from(u).every((x) => x === 1)).toBe(true);
      expect(loaded.context!.shift(u, new Date('2027-01-01T00:00:00Z'))).toEqual(
        u.map((x, c) => x + offsets[c]),
      );
      loaded.dispose();
      await saveDssmArtifact(dir, model);
      const plain = await loadDssmModel(dir);
      expect(plain.model.context).toBeUndefined();
      plain.model.dispose();
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses offsets of the wrong size', () => {
    expect(() => new ContextOffsets(new Float32Array(11 * model.dim), model.dim)).toThrow(
      `expected 12 × ${model.dim} values`,
    );
  });
});
