import type { FeatureSchema } from './schema';
import { validateSongReleased } from './song-released';
import { validateSongExposed } from './song-exposed';
import { validateUserProfile } from './user-profile';

const schema: FeatureSchema = { version: 1, modalities: [{ name: 'audio', kind: 'dense', dim: 2 }] };
const release = (extra: Record<string, unknown> = {}) => ({
  eventId: 'e-1',
  songId: 's-1',
  artistId: 'a-1',
  releasedAt: '2026-11-20T00:00:00Z',
  features: { audio: [0.1, 0.2] },
  ...extra,
});
const reason = (v: { ok: boolean; reason?: string }) => (v.ok ? 'ok' : v.reason);

describe('song.released audience rules', () => {
  it('accepts availability, explicit and a budget, and leaves them out when absent', () => {
    const v = validateSongReleased(
      release({
        availability: ['SE', 'NO'],
        explicit: true,
        audienceBudget: { size: 500, explorationShare: 0.1 },
      }),
      schema,
      { maxAudienceSize: 50_000 },
    );
    expect(v).toMatchObject({
      ok: true,
      value: {
        availability: ['SE', 'NO'],
        explicit: true,
        audienceBudget: { size: 500, explorationShare: 0.1 },
      },
    });
    const bare = validateSongReleased(release(), schema);
    expect(bare.ok && [bare.value.availability, bare.value.explicit, bare.value.audienceBudget]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it.each([
    [{ availability: ['se'] }, /availability\.0: .*alpha-2/],
    [{ availability: ['SWE'] }, /availability\.0/],
    [{ availability: [] }, /availability: must name at least one market/],
    [{ availability: ['SE', 'SE'] }, /availability: lists a market twice/],
    [{ explicit: 'yes' }, /explicit/],
    [{ audienceBudget: { size: 0 } }, /audienceBudget\.size: must be at least 1/],
    [{ audienceBudget: { size: 2.5 } }, /audienceBudget\.size: must be a whole number/],
    [
      { audienceBudget: { explorationShare: 1.5 } },
      /audienceBudget\.explorationShare: must be within 0\.\.1/,
    ],
    [{ audienceBudget: { size: 10, share: 0.1 } }, /share/],
    [{ audienceBudget: { size: 60_000 } }, /audienceBudget\.size: 60000 is above .*AUDIENCE_MAX_LIMIT=50000/],
  ])('refuses %j with a reason', (extra, expected) => {
    expect(reason(validateSongReleased(release(extra), schema, { maxAudienceSize: 50_000 }))).toMatch(
      expected,
    );
  });
});

describe('user.profile', () => {
  const profile = { userId: 'u-1', region: 'SE', explicitOptOut: true, updatedAt: '2026-12-01T00:00:00Z' };

  it('accepts a profile, also with an unknown region', () => {
    expect(validateUserProfile(profile)).toEqual({ ok: true, value: profile });
    expect(validateUserProfile({ ...profile, region: null }).ok).toBe(true);
  });

  it.each([
    [{ region: 'Sweden' }, /region/],
    [{ explicitOptOut: 1 }, /explicitOptOut/],
    [{ updatedAt: 'yesterday' }, /updatedAt/],
    [{ userId: 'a\u0000b' }, /userId: contains a NUL/],
    [{ mood: 'happy' }, /mood/],
  ])('refuses %j', (extra, expected) => {
    expect(reason(validateUserProfile({ ...profile, ...extra }))).toMatch(expected);
  });
});

describe('song.exposed', () => {
  const exposure = { exposureId: 'x-1', songId: 's-1', userIds: ['u-1', 'u-2'], at: '2026-12-01T00:00:00Z' };

  it('accepts an exposure', () => {
    expect(validateSongExposed(exposure)).toEqual({ ok: true, value: exposure });
  });

  it.each([
    [{ userIds: [] }, /userIds: must name at least one user/],
    [{ userIds: Array.from({ length: 5001 }, (_, i) => `u-${i}`) }, /more than 5000 users/],
    [{ userIds: [''] }, /userIds\.0: must not be empty/],
    [{ exposureId: undefined }, /exposureId/],
    [{ at: '0000-01-01T00:00:00Z' }, /at: /],
  ])('refuses %j', (extra, expected) => {
    expect(reason(validateSongExposed({ ...exposure, ...extra }))).toMatch(expected);
  });
});
