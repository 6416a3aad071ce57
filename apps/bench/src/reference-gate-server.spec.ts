import { InterestBoundary } from '@debut/audience';
import { ReferenceGate, gateOffsetOf } from './reference-gate-server';

const dim = 4;
const rows = (n: number, seed: number) =>
  Float32Array.from({ length: n * dim }, (_, i) => Math.sin(i * seed + 1));

describe('the bare-Fastify reference gate', () => {
  const users = { ids: ['u1', 'u2', 'u3'], values: rows(3, 0.7), dim };
  const boundaries = rows(3, 1.3);
  const songs = { ids: ['a', 'b', 'c', 'd', 'e'], values: rows(5, 2.1), dim };
  const gate = new ReferenceGate('dssm-x', users, boundaries, songs, 0.05);

  it("answers the service's decisions (same InterestBoundary arithmetic) in ColdGateDto's shape", () => {
    const asked = ['e', 'b', 'e', 'a'];
    const a = gate.answer('u2', asked)!;
    const packed = new Float32Array(asked.length * dim);
    asked.forEach((id, i) =>
      packed.set(
        songs.values.subarray(songs.ids.indexOf(id) * dim, (songs.ids.indexOf(id) + 1) * dim),
        i * dim,
      ),
    );
    const expected = new InterestBoundary(
      { user: users.values.slice(dim, 2 * dim), boundary: boundaries.slice(dim, 2 * dim) },
      0.05,
    ).gate(asked, packed);
    expect(a).toEqual({ userId: 'u2', modelVersion: 'dssm-x', basis: 'model', decisions: expected });
    expect(Object.keys(a.decisions[0])).toEqual(['songId', 'score', 'boundary', 'pass']);
  });

  it('refuses an unknown user or song (the route answers 404)', () => {
    expect(gate.answer('nobody', ['a'])).toBeNull();
    expect(gate.answer('u1', ['a', 'zzz'])).toBeNull();
  });

  it("reads the gate offset from the version's config as the runtime does", () => {
    expect(gateOffsetOf({ gateOffset: -0.25 })).toBe(-0.25);
    expect(gateOffsetOf({ gateOffset: '1' })).toBe(0);
    expect(gateOffsetOf({})).toBe(0);
  });
});
