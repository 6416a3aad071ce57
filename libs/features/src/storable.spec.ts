import { FeatureSchema } from './schema';
import { validateSongReleased } from './song-released';
import { textProblem } from './storable';
import { validateUserInteraction } from './user-interaction';

const schema: FeatureSchema = { version: 1, modalities: [{ name: 'audio', kind: 'dense', dim: 2 }] };
const release = (over: Record<string, unknown> = {}) => ({
  eventId: 'e-1',
  songId: 's-1',
  title: 'A song',
  artistId: 'a-1',
  releasedAt: '2026-11-20T00:00:00Z',
  features: { audio: [0.1, 0.2] },
  ...over,
});
const play = (over: Record<string, unknown> = {}) => ({
  eventId: 'e-1',
  userId: 'u-1',
  songId: 's-1',
  kind: 'play',
  occurredAt: '2026-11-20T00:00:00Z',
  ...over,
});

describe('validation refuses what storage would refuse', () => {
  it.each([
    ['NUL in songId', { songId: 's\u0000' }, /songId: contains a NUL character/],
    ['NUL in title', { title: 'a\u0000b' }, /title: contains a NUL/],
    ['NUL in a genre', { genres: ['fo\u0000lk'] }, /genres\.0: contains a NUL/],
    ['lone high surrogate in eventId', { eventId: 'e\ud800' }, /eventId: contains a lone UTF-16 surrogate/],
    ['lone low surrogate in songId', { songId: '\udc00s' }, /songId: contains a lone UTF-16 surrogate/],
    [
      'year 0000',
      { releasedAt: '0000-01-01T00:00:00Z' },
      /year 0 \(UTC\) is outside the accepted range 1900–2100/,
    ],
    [
      'year 0001 with a positive offset',
      { releasedAt: '0001-01-01T00:00:00+01:00' },
      /outside the accepted range/,
    ],
    ['year 2101', { releasedAt: '2101-01-01T00:00:00Z' }, /year 2101/],
    ['an id beyond 128 characters', { songId: 's'.repeat(129) }, /songId: longer than 128/],
    ['a title beyond 1000 characters', { title: 't'.repeat(1001) }, /title: longer than 1000/],
    ['an empty id', { artistId: '' }, /artistId: must not be empty/],
    ['a float4 overflow', { features: { audio: [1e39, 0] } }, /audio\[0\]: 1e\+39 is beyond/],
  ])('release: %s', (_name, over, reason) => {
    const r = validateSongReleased(release(over), schema);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it.each([
    ['NUL in userId', { userId: 'u\u0000' }, /userId: contains a NUL/],
    ['lone surrogate in eventId', { eventId: '\ud83c' }, /eventId: contains a lone/],
    ['year 0000', { occurredAt: '0000-06-01T00:00:00Z' }, /occurredAt: year 0/],
    ['year 1899 in UTC', { occurredAt: '1900-01-01T01:00:00+02:00' }, /occurredAt: year 1899/],
  ])('interaction: %s', (_name, over, reason) => {
    const r = validateUserInteraction(play(over));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('accepts the edges of the ranges and surrogate pairs', () => {
    expect(
      validateSongReleased(release({ title: '🎵 ok', releasedAt: '1900-01-01T00:00:00Z' }), schema).ok,
    ).toBe(true);
    expect(
      validateUserInteraction(play({ occurredAt: '2100-12-31T23:59:59Z', songId: 's'.repeat(128) })).ok,
    ).toBe(true);
    expect(textProblem('a\ud83c\udfb5b')).toBeNull();
  });
});
