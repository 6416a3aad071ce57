import { FeatureSchema } from './schema';
import { validateSongReleased } from './song-released';

const schema: FeatureSchema = {
  version: 1,
  modalities: [
    { name: 'audio', kind: 'dense', dim: 3 },
    { name: 'text', kind: 'dense', dim: 2 },
    { name: 'language', kind: 'categorical', vocabulary: ['en', 'zh'] },
  ],
};

const valid = () => ({
  eventId: 'e-1',
  songId: 's-1',
  title: 'A song',
  artistId: 'a-1',
  language: 'zh',
  genres: ['folk'],
  releasedAt: '2026-11-20T00:00:00Z',
  features: { audio: [0.1, 0.2, 0.3], text: [1, 2] },
});

describe('validateSongReleased', () => {
  it('accepts a valid event, from an object or from raw JSON bytes', () => {
    expect(validateSongReleased(valid(), schema)).toMatchObject({ ok: true, value: { songId: 's-1' } });
    const fromBytes = validateSongReleased(Buffer.from(JSON.stringify(valid())), schema);
    expect(fromBytes.ok).toBe(true);
  });

  it.each([
    ['bad JSON', '{"eventId": ', /invalid JSON/],
    ['missing field', { ...valid(), songId: undefined }, /songId/],
    [
      'wrong vector length',
      { ...valid(), features: { audio: [1, 2], text: [1, 2] } },
      /audio: length 2, expected 3/,
    ],
    ['missing modality', { ...valid(), features: { audio: [1, 2, 3] } }, /text: missing/],
    [
      'unknown modality',
      { ...valid(), features: { ...valid().features, lyrics: [1] } },
      /lyrics: unknown modality/,
    ],
    [
      'non-number component',
      { ...valid(), features: { audio: [1, 'NaN', 3], text: [1, 2] } },
      /audio\[1\]: not a finite number/,
    ],
    ['null component', { ...valid(), features: { audio: [1, null, 3], text: [1, 2] } }, /audio\[1\]/],
    ['unknown top-level field', { ...valid(), extra: 1 }, /extra|Unrecognized/i],
    ['bad date', { ...valid(), releasedAt: 'yesterday' }, /releasedAt/],
  ])('rejects %s with a reason', (_name, input, reason) => {
    const r = validateSongReleased(input, schema);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects NaN and Infinity that reach it as numbers', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      const r = validateSongReleased({ ...valid(), features: { audio: [1, bad, 3], text: [1, 2] } }, schema);
      expect(r).toMatchObject({ ok: false });
    }
  });
});
