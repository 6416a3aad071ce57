import { releasePage, type ReleaseView } from './release.page';

const member = (userId: string, score: number, explore = false) => ({
  userId,
  score,
  because: explore ? [] : ['s-near'],
  gatePass: null,
  ...(explore ? { explore: true } : {}),
});

function view(members: ReturnType<typeof member>[], over: Partial<ReleaseView> = {}): ReleaseView {
  return {
    song: {
      id: 's-new',
      title: 'New song',
      artistId: 'a-1',
      pool: 'cold',
      releasedAt: new Date('2026-11-20T00:00:00Z'),
      genres: ['folk'],
      language: 'en',
    },
    audience: {
      modelVersion: 'i2i-1',
      method: 'i2i2u',
      selectedAt: '2026-11-20T00:00:01Z',
      receivedAt: null,
      gatePassShare: null,
      audience: members,
      neighbours: [{ songId: 's-near', similarity: 0.9 }],
    },
    scores: members.map((m) => m.score),
    explored: members.filter((m) => m.explore).length,
    shown: members.length,
    similar: null,
    similarProblem: 'No active model.',
    sid: null,
    sidProblem: 'No active model.',
    titles: new Map(),
    ...over,
  };
}

/** The audience table's body rows, one array of cell HTML per row. */
function audienceRows(html: string): string[][] {
  const region = html.split('aria-label="Audience members"')[1].split('</table>')[0];
  return [...region.matchAll(/<tr>(.*?)<\/tr>/g)]
    .map((r) => [...r[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => c[1]))
    .filter((cells) => cells.length > 0);
}

/** What the summary shows for a fact, tags stripped. */
function fact(html: string, name: string): string {
  const m = new RegExp(`<dt>${name}</dt><dd>(.*?)</dd>`).exec(html);
  return (m?.[1] ?? '').replace(/<[^>]+>/g, '');
}

describe('release page: exploration members', () => {
  it('tags each exploration member in words in a "Chosen by" column and counts them', () => {
    const html = releasePage(view([member('u-1', 0.8), member('u-2', 0.5), member('u-3', 0, true)]));
    expect(html).toContain('<th scope="col">Chosen by</th>');
    const rows = audienceRows(html);
    expect(rows).toHaveLength(3);
    const chosenBy = rows.map((r) => r[3].replace(/<[^>]+>/g, ''));
    expect(chosenBy).toEqual(['nearest', 'nearest', 'exploration']);
    // The neighbour column says why it is empty instead of a bare dash.
    expect(rows[2][5]).toContain('an exploration member');
    expect(rows[0][5]).toContain('s-near');
    expect(fact(html, 'Exploration members')).toBe('1 of 3 (33 %)');
    expect(html).toContain('for the 1 users drawn from outside the nearest audience');
  });

  it('counts the whole audience, not only the rows the table shows', () => {
    const members = [member('u-1', 0.8), member('u-2', 0.5), member('u-3', 0, true), member('u-4', 0, true)];
    const v = view(members);
    const html = releasePage({ ...v, audience: { ...v.audience!, audience: members.slice(0, 2) }, shown: 2 });
    expect(audienceRows(html).map((r) => r[3])).toEqual(['nearest', 'nearest']);
    expect(fact(html, 'Exploration members')).toBe('2 of 4 (50 %)');
  });

  it('says "none" when the audience has no exploration member', () => {
    const html = releasePage(view([member('u-1', 0.8)]));
    expect(fact(html, 'Exploration members')).toBe('none');
    expect(html).not.toContain('exploration</span>');
  });
});
