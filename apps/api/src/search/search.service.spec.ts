import type { FeatureSchema } from '@debut/features';
import { createVectorIndex } from '@debut/index';
import { DEFAULT_SEARCH_CONFIG, ItemTower, QueryEncoder, SearchModel, initTf } from '@debut/models';
import { type ActiveSearch, NoActiveModelError, SearchIndex, type SearchRuntime } from '@debut/serving';
import { SearchService } from './search.service';

const schema: FeatureSchema = {
  version: 1,
  modalities: [
    { name: 'genres', kind: 'multi', vocabulary: ['pop', 'jazz', 'rock'] },
    { name: 'audio', kind: 'dense', dim: 4 },
  ],
};

/** A small untrained model: ranking by the joint model is only checked for its shape here (the e2e test checks quality). */
function model(): SearchModel {
  const fields = [
    { name: 'genres', modality: 'genres', offset: 0, width: 4 },
    { name: 'audio', modality: 'audio', offset: 4, width: 4 },
  ];
  const train = {
    ...DEFAULT_SEARCH_CONFIG,
    fieldDim: 4,
    hidden: [8],
    outputDim: 8,
    queryEmbedDim: 4,
    queryHidden: [8],
  };
  const vocabulary = ['jazz', 'pop', 'rock'];
  return new SearchModel(
    schema,
    new ItemTower({ fields, fieldDim: 4, hidden: [8], outputDim: 8, seed: 1 }),
    new QueryEncoder({ vocabulary, embedDim: 4, hidden: [8], outputDim: 8, seed: 2 }),
    { train, vocabulary, text: {}, fusion: { mode: 'score-sum', lexicalWeight: 0.5 }, candidates: 10 },
  );
}

const song = (id: string, title: string, genres: string[]) => ({
  id,
  title,
  content: { genres, features: { audio: [0.1, 0.2, 0.3, Number(id.slice(1)) / 10] } },
});

let index: SearchIndex;
let service: SearchService;
let active: ActiveSearch | null;

beforeAll(async () => {
  await initTf({ log: () => undefined });
});

beforeEach(() => {
  const m = model();
  index = new SearchIndex(m, createVectorIndex({ dim: m.dim, kind: 'flat' }));
  index.upsert([
    song('s1', 'Blue Train', ['jazz']),
    song('s2', 'Blue Monday', ['pop']),
    song('s3', 'Paranoid', ['rock']),
    song('s4', 'So What', ['jazz']),
  ]);
  active = { version: 'search-1', index };
  service = new SearchService({
    require: () => {
      if (!active) throw new NoActiveModelError('search');
      return active;
    },
  } as unknown as SearchRuntime);
});

it('ranks a title match first, with its lexical and dense ranks as sources', () => {
  const r = service.search('Blue Train', 'hybrid', 3);
  expect(r.modelVersion).toBe('search-1');
  expect(r.fusion).toEqual({ mode: 'score-sum', lexicalWeight: 0.5 });
  expect(r.denseQuery).toBe(false); // no title word is in the query vocabulary
  expect(r.items[0]).toMatchObject({
    songId: 's1',
    title: 'Blue Train',
    sources: { lexical: 1, dense: null },
  });
  expect(r.items.map((i) => i.songId)).toEqual(['s1', 's2']);
});

it('lexical mode returns BM25 matches only; joint mode the dense candidates of known words only', () => {
  expect(
    service
      .search('jazz', 'lexical', 10)
      .items.map((i) => i.songId)
      .sort(),
  ).toEqual(['s1', 's4']);
  const joint = service.search('jazz', 'joint', 10);
  expect(joint.denseQuery).toBe(true);
  expect(joint.items).toHaveLength(4); // every song is a dense candidate
  expect(joint.items.every((i) => i.sources.lexical === null && i.sources.dense !== null)).toBe(true);
  expect(joint.items.map((i) => i.sources.dense)).toEqual([1, 2, 3, 4]);
  expect(service.search('Paranoid', 'joint', 10).items).toEqual([]);
});

it('hybrid mixes both lists: every song is a candidate, the genre matches have lexical ranks', () => {
  const r = service.search('jazz', 'hybrid', 10);
  expect(r.items).toHaveLength(4);
  const lexical = r.items.filter((i) => i.sources.lexical !== null).map((i) => i.songId);
  expect(lexical.sort()).toEqual(['s1', 's4']);
  expect(r.items.every((i) => i.sources.dense !== null)).toBe(true);
});

it('follows replacements and removals (a re-released title, a deleted song)', () => {
  index.upsert([song('s3', 'War Pigs', ['rock'])]);
  expect(service.search('Paranoid', 'lexical', 5).items).toEqual([]);
  expect(service.search('war pigs', 'hybrid', 5).items[0]).toMatchObject({ songId: 's3', title: 'War Pigs' });
  index.remove(['s1']);
  expect(service.search('Blue Train', 'hybrid', 5).items.map((i) => i.songId)).toEqual(['s2']);
  expect(index.size).toBe(3);
  expect(index.dense.size).toBe(3);
  // Enough masked documents rebuild the lexical index; scores stay those of the live songs.
  index.upsert([song('s2', 'Blue Monday', ['pop'])]);
  expect(service.search('blue', 'lexical', 5).items.map((i) => i.songId)).toEqual(['s2']);
});

it('throws NoActiveModelError (503) when no search model is active', () => {
  active = null;
  expect(() => service.search('jazz', 'hybrid', 5)).toThrow(NoActiveModelError);
});
