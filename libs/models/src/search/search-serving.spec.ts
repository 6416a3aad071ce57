import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FeatureSchema, Featurizer } from '@debut/features';
import { initTf } from '../tf';
import { ItemTower } from '../towers';
import { rankHybrid } from './hybrid';
import { QueryEncoder } from './query-encoder';
import { DEFAULT_SEARCH_CONFIG } from './search-trainer';
import { SearchModel, loadSearchModel, saveSearchArtifact } from './search-model';
import { songPhrases, songTokens } from './song-text';

const schema: FeatureSchema = {
  version: 1,
  modalities: [
    { name: 'genres', kind: 'multi', vocabulary: ['pop', 'jazz'] },
    { name: 'tags', kind: 'dense', dim: 3 },
  ],
};

describe('song text', () => {
  const fields = new Featurizer(schema).fields;

  it('phrases are genres (their one-hot columns, 0 = unknown) and named non-zero tag columns', () => {
    const content = { genres: ['jazz', 'polka'], features: { tags: [0, 0.5, 0.2] } };
    expect(
      songPhrases(schema, fields, content, { tagNames: { tags: ['rock', 'hip hop', 'lo-fi'] } }),
    ).toEqual([
      { text: 'jazz', columns: [2] },
      { text: 'polka', columns: [0] },
      { text: 'hip hop', columns: [4] },
      { text: 'lo-fi', columns: [5] },
    ]);
    // Without tag names a dense vector has no words.
    expect(songPhrases(schema, fields, content).map((p) => p.text)).toEqual(['jazz', 'polka']);
  });

  it('lexical tokens are the title and the phrases', () => {
    expect(
      songTokens({ title: 'Blue in Green', content: { features: {} } }, [{ text: 'cool jazz', columns: [] }]),
    ).toEqual(['blue', 'in', 'green', 'cool', 'jazz']);
  });
});

describe('rankHybrid', () => {
  const lexical = [
    { doc: 0, score: 9 },
    { doc: 1, score: 3 },
  ];
  const dense = [
    { doc: 2, score: 0.9 },
    { doc: 1, score: 0.8 },
  ];
  const scores = {
    denseScoreOf: (d: number) => [0.1, 0.8, 0.9][d],
    lexicalScoreOf: (d: number) => [9, 3, 0][d],
  };

  it('ranks the union by the fusion, with each path’s rank as a source', () => {
    const ids = (w: number) =>
      rankHybrid('hybrid', lexical, dense, { mode: 'score-sum', lexicalWeight: w }, 3, scores).map(
        (h) => h.doc,
      );
    expect(ids(1)).toEqual([0, 1, 2]);
    expect(ids(0)).toEqual([2, 1, 0]);
    expect(ids(0.5)).toEqual([1, 0, 2]); // 0.5·(3−0)/9 + 0.5·(0.8−0.1)/0.8 beats 0.5 and 0.5
    const [top] = rankHybrid('hybrid', lexical, dense, { mode: 'score-sum', lexicalWeight: 0.5 }, 1, scores);
    expect(top).toMatchObject({ doc: 1, lexicalRank: 2, denseRank: 2 });
  });

  it('lexical and joint modes rank their own list; no dense list means BM25 scores', () => {
    const f = { mode: 'rrf' as const, lexicalWeight: 0.5 };
    expect(rankHybrid('lexical', lexical, dense, f, 5, scores).map((h) => h.score)).toEqual([9, 3]);
    expect(rankHybrid('joint', lexical, dense, f, 5, scores).map((h) => h.doc)).toEqual([2, 1]);
    expect(rankHybrid('hybrid', lexical, [], f, 5, scores)).toEqual([
      { doc: 0, score: 9, lexicalRank: 1, denseRank: null },
      { doc: 1, score: 3, lexicalRank: 2, denseRank: null },
    ]);
  });
});

describe('search artifact', () => {
  beforeAll(async () => {
    await initTf({ log: () => undefined });
  });

  it('round-trips: the loaded model embeds songs and queries identically', async () => {
    const fields = new Featurizer(schema).fields;
    const vocabulary = ['jazz', 'pop'];
    const train = {
      ...DEFAULT_SEARCH_CONFIG,
      fieldDim: 4,
      hidden: [8],
      outputDim: 8,
      queryEmbedDim: 4,
      queryHidden: [8],
      seed: 5,
    };
    const model = new SearchModel(
      schema,
      new ItemTower({ fields, fieldDim: 4, hidden: [8], outputDim: 8, seed: 9 }),
      new QueryEncoder({ vocabulary, embedDim: 4, hidden: [8], outputDim: 8, seed: 13 }),
      {
        train,
        vocabulary,
        text: { tagNames: { tags: ['a', 'b', 'c'] } },
        fusion: { mode: 'rrf', lexicalWeight: 0.3 },
        candidates: 50,
      },
    );
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'search-artifact-'));
    const manifest = await saveSearchArtifact(dir, model, { note: 1 }, 'search-test');
    expect(manifest.kind).toBe('search');
    const { model: loaded } = await loadSearchModel(dir);
    const songs = [{ genres: ['pop'], features: { tags: [1, 0, 0] } }];
    expect(Array.from(loaded.embedSongs(songs))).toEqual(Array.from(model.embedSongs(songs)));
    expect(Array.from(loaded.embedQuery(['jazz'])!)).toEqual(Array.from(model.embedQuery(['jazz'])!));
    expect(loaded.embedQuery(['unknown'])).toBeNull();
    expect(loaded.config.fusion).toEqual({ mode: 'rrf', lexicalWeight: 0.3 });
    expect(loaded.tokens({ title: 'X', content: songs[0] })).toEqual(['x', 'pop', 'a']);
  });
});
