import { embedWithTower } from '../encoder';
import { mulberry32 } from '../random';
import { initTf } from '../tf';
import { Bm25Index, topK } from './bm25';
import { fuseScores, minMaxNormalise, reciprocalRankFusion } from './fusion';
import { QueryEncoder } from './query-encoder';
import { Phrase, sampleQuery, trainSearch } from './search-trainer';
import { tokenize } from './text';

describe('tokenize', () => {
  it('lower-cases, folds accents and splits on non-alphanumerics', () => {
    expect(tokenize('Beyoncé — Hip-Hop/R&B 2000s')).toEqual(['beyonce', 'hip', 'hop', 'r', 'b', '2000s']);
    expect(tokenize('  ')).toEqual([]);
  });
});

describe('Bm25Index', () => {
  it('ranks the document with the rarer matching term first and scores unmatched documents 0', () => {
    const ix = new Bm25Index();
    ix.add(['rock', 'indie']);
    ix.add(['rock', 'pop']);
    ix.add(['jazz']);
    const s = ix.scoreAll(['rock', 'indie']);
    expect(s[0]).toBeGreaterThan(s[1]);
    expect(s[1]).toBeGreaterThan(0);
    expect(s[2]).toBe(0);
    expect(ix.search(['rock', 'indie'], 5).map((d) => d.doc)).toEqual([0, 1]);
  });

  it('scores an incrementally added document as a rebuilt index does', () => {
    const docs = [['a', 'b'], ['b', 'c', 'c'], ['d']];
    const inc = new Bm25Index();
    docs.slice(0, 2).forEach((d) => inc.add(d));
    inc.search(['c'], 3);
    inc.add(docs[2]);
    const rebuilt = new Bm25Index();
    docs.forEach((d) => rebuilt.add(d));
    expect(Array.from(inc.scoreAll(['c', 'd']))).toEqual(Array.from(rebuilt.scoreAll(['c', 'd'])));
  });

  it("coverage is the share of the query's distinct words a document holds", () => {
    const ix = new Bm25Index();
    ix.add(['indie', 'pop', 'swedish']);
    ix.add(['pop']);
    expect(ix.coverage(['indie', 'pop', 'pop'], 0)).toBe(1);
    expect(ix.coverage(['indie', 'pop'], 1)).toBe(0.5);
    expect(ix.coverage(['jazz'], 0)).toBe(0);
    expect(ix.coverage([], 0)).toBe(0);
  });

  it('topK returns the k best, best first', () => {
    expect(topK(Float32Array.from([0.1, 0.9, 0.5, 0.7]), 2).map((d) => d.doc)).toEqual([1, 3]);
  });
});

describe('fusion', () => {
  it('min–max normalises and mixes by the lexical weight', () => {
    expect(Array.from(minMaxNormalise(Float32Array.from([2, 4, 3])))).toEqual([0, 1, 0.5]);
    const lex = Float32Array.from([0, 10, 5]);
    const den = Float32Array.from([1, -1, 0]);
    expect(Array.from(fuseScores(lex, den, 1))).toEqual(Array.from(minMaxNormalise(lex)));
    expect(Array.from(fuseScores(lex, den, 0))).toEqual(Array.from(minMaxNormalise(den)));
  });

  it('RRF: only lexically matched documents get a lexical term', () => {
    const s = reciprocalRankFusion(Float32Array.from([0, 3, 1]), Float32Array.from([0.9, 0.1, 0.5]), 0.5, 60);
    expect(s[1]).toBeCloseTo(0.5 / 61 + 0.5 / 63);
    expect(s[0]).toBeCloseTo(0.5 / 61);
  });
});

describe('search training', () => {
  beforeAll(async () => {
    await initTf({ log: () => undefined });
  });

  it('sampleQuery draws about the given share of the phrases, at least one', () => {
    const ps: Phrase[] = ['indie rock', 'pop', 'jazz', 'folk'].map((text, j) => ({ text, columns: [j] }));
    const q = sampleQuery(mulberry32(1), ps, 0.5);
    expect(q.chosen).toHaveLength(2);
    expect(sampleQuery(mulberry32(1), ps.slice(0, 1), 0.1).chosen).toHaveLength(1);
  });

  it('the dense model learns to find items by phrases their content does not show', async () => {
    // 4 topics × 8 tags; an item carries 4 tags of one topic. Queries are other tags of the topic.
    const topics = 4;
    const perTopic = 8;
    const D = topics * perTopic;
    const rng = mulberry32(5);
    const n = 128;
    const inputs = new Float32Array(n * D);
    const phrases: Phrase[][] = [];
    const topicOf: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = i % topics;
      topicOf.push(t);
      const cols = new Set<number>();
      while (cols.size < 4) cols.add(t * perTopic + Math.floor(rng() * perTopic));
      phrases.push([...cols].map((c) => ({ text: `tag${c}`, columns: [c] })));
      for (const c of cols) inputs[i * D + c] = 0.5;
    }
    const vocabulary = Array.from({ length: D }, (_, c) => `tag${c}`);
    const r = await trainSearch(
      {
        fields: [{ name: 'tags', modality: 'tags', offset: 0, width: D }],
        inputDim: D,
        inputs,
        numItems: n,
        phrases,
        vocabulary,
      },
      {
        epochs: 30,
        batchSize: 32,
        hidden: [32],
        outputDim: 16,
        fieldDim: 16,
        queryEmbedDim: 16,
        queryHidden: [32],
        patience: 30,
        seed: 3,
      },
    );
    expect(r.history[r.history.length - 1].queryLoss).toBeLessThan(r.history[0].queryLoss);
    // A query of topic t scores items of topic t above the others, on average.
    const q = r.queryEncoder.embed([
      ['tag0', 'tag1'],
      ['tag9', 'tag10'],
    ]);
    const items = new Float32Array(n * 16);
    const enc = new QueryEncoder({ vocabulary, embedDim: 4, hidden: [], outputDim: 16, seed: 1 });
    expect(enc.known(['tag0', 'nope'])).toBe(1);
    enc.dispose();
    items.set(embedWithTower(r.tower, inputs, n, D));
    const meanScore = (qi: number, topic: number) => {
      let s = 0;
      let c = 0;
      for (let i = 0; i < n; i++) {
        if (topicOf[i] !== topic) continue;
        for (let j = 0; j < 16; j++) s += q[qi * 16 + j] * items[i * 16 + j];
        c++;
      }
      return s / c;
    };
    expect(meanScore(0, 0)).toBeGreaterThan(meanScore(0, 1) + 0.2);
    expect(meanScore(1, 1)).toBeGreaterThan(meanScore(1, 0) + 0.2);
  });
});
