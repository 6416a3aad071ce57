import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadLastfm } from './lastfm';

describe('loadLastfm (tiny fixture)', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lastfm-'));
    fs.writeFileSync(
      path.join(dir, 'tags.dat'),
      Buffer.from('tagID\ttagValue\n1\trock\n2\tchanson fran\xe7aise\n3\tsolo\n', 'latin1'),
    );
    fs.writeFileSync(
      path.join(dir, 'artists.dat'),
      'id\tname\turl\tpictureURL\n10\tA\tu\tp\n20\tB\tu\tp\n30\tC\tu\tp\n',
    );
    // Tag 1 by users 1,2 (kept); tag 2 by users 1,3 (kept); tag 3 by user 1 only (dropped).
    // Artist 10: tag1 by {1,2} → count 2; tag2 by {1} → 1. Artist 20: tag2 by {3} → 1.
    // Artist 30: only tag 3 → no kept tags → dropped with its interactions.
    fs.writeFileSync(
      path.join(dir, 'user_taggedartists.dat'),
      'userID\tartistID\ttagID\tday\tmonth\tyear\n1\t10\t1\t1\t1\t2009\n2\t10\t1\t1\t1\t2009\n1\t10\t2\t1\t1\t2009\n3\t20\t2\t1\t1\t2009\n1\t30\t3\t1\t1\t2009\n1\t10\t1\t2\t1\t2009\n',
    );
    fs.writeFileSync(
      path.join(dir, 'user_artists.dat'),
      'userID\tartistID\tweight\n1\t10\t100\n2\t10\t5\n2\t20\t7\n3\t30\t9\n',
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('builds L2-normalised TF-IDF tag profiles from distinct taggers, drops untagged items', () => {
    const messages: string[] = [];
    const ds = loadLastfm({ dir, log: (m) => messages.push(m) });
    expect(ds.items.map((i) => i.id)).toEqual(['a10', 'a20']);
    expect(ds.schema.modalities).toEqual([{ name: 'tags', kind: 'dense', dim: 2, fields: 2 }]);
    // N = 2 items; df(tag1) = 1 → idf ln 2; df(tag2) = 2 → idf 0.
    // a10 = [2·ln2, 0] → [1, 0]; a20 = [0, 0] → falls back to uniform over its tags → [0, 1].
    expect(ds.items[0].content.features.tags).toEqual([1, 0]);
    expect(ds.items[1].content.features.tags).toEqual([0, 1]);
    expect(ds.interactions).toEqual([
      { userId: 'u1', itemId: 'a10', strength: 100 },
      { userId: 'u2', itemId: 'a10', strength: 5 },
      { userId: 'u2', itemId: 'a20', strength: 7 },
    ]);
    expect(ds.users).toEqual(['u1', 'u2']);
    expect(ds.stats).toMatchObject({ keptTags: 2, items: 2, interactions: 3, droppedUntaggedArtists: 1 });
    expect(messages[0]).toMatch(/2 users, 2 items .* 2 kept tags/);
  });

  it('reads tags.dat as ISO-8859-1', () => {
    const { lastfmTagNames } = jest.requireActual<typeof import('./lastfm')>('./lastfm');
    expect(lastfmTagNames(dir)).toEqual(['rock', 'chanson française']);
  });

  it('says where it looked when files are missing', () => {
    expect(() => loadLastfm({ dir: path.join(dir, 'nope') })).toThrow(/LASTFM_DIR/);
  });
});
