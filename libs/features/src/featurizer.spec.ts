import { Featurizer } from './featurizer';

describe('Featurizer', () => {
  const f = new Featurizer({
    version: 1,
    modalities: [
      { name: 'audio', kind: 'dense', dim: 5, fields: 2 },
      { name: 'language', kind: 'categorical', vocabulary: ['en', 'zh'] },
      { name: 'genres', kind: 'multi', vocabulary: ['folk', 'rock', 'pop'] },
    ],
  });

  it('lays out fields as contiguous slices, splitting long dense vectors', () => {
    expect(f.fields.map((x) => [x.name, x.offset, x.width])).toEqual([
      ['audio#0', 0, 3],
      ['audio#1', 3, 2],
      ['language', 5, 3],
      ['genres', 8, 4],
    ]);
    expect(f.inputDim).toBe(12);
  });

  it('one-hot / normalised multi-hot encodes categories, unknown values to the OOV bucket', () => {
    const v = Array.from(
      f.encode({ language: 'jp', genres: ['folk', 'metal'], features: { audio: [1, 2, 3, 4, 5] } }),
    );
    expect(v.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(v.slice(5, 8)).toEqual([1, 0, 0]);
    const w = 1 / Math.sqrt(2);
    expect(v.slice(8, 12).map((x) => +x.toFixed(6))).toEqual([+w.toFixed(6), +w.toFixed(6), 0, 0]);
  });

  it('encodes batches row by row', () => {
    const a = { language: 'en', genres: [], features: { audio: [1, 1, 1, 1, 1] } };
    const b = { language: 'zh', genres: ['pop'], features: { audio: [0, 0, 0, 0, 2] } };
    const m = f.encodeBatch([a, b]);
    expect(Array.from(m.slice(12))).toEqual(Array.from(f.encode(b)));
  });
});
