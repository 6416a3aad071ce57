import { histogram } from '../charts';
import {
  actionButton,
  badge,
  esc,
  facts,
  gateBadge,
  layout,
  num,
  table,
  time,
  userLink,
  type Html,
} from '../html';

export interface ReleaseView {
  song: {
    id: string;
    title: string;
    artistId: string;
    pool: string;
    releasedAt: Date;
    genres: string[];
    language: string | null;
  };
  audience: {
    modelVersion: string;
    method: string;
    /** The song's semantic ID under modelVersion (null: the version has no codebook). */
    sid?: string | null;
    selectedAt: string;
    receivedAt: Date | null;
    gatePassShare: number | null;
    audience: Array<{
      userId: string;
      score: number;
      because: string[];
      gatePass: boolean | null;
      /** Chosen for exploration (a release's explorationShare), not by retrieval: score 0, no neighbours. */
      explore?: boolean;
    }>;
    neighbours: Array<{ songId: string; similarity: number }>;
  } | null;
  /** The full audience's scores (for the chart), whatever the table shows. */
  scores: number[];
  /**
   * Exploration members in the full audience: they come after the nearest audience, so a
   * shortened table may show none of them while the audience has some.
   */
  explored: number;
  shown: number;
  similar: { modelVersion: string; similar: Array<{ songId: string; similarity: number }> } | null;
  similarProblem: string | null;
  /** The song's SID and up to 10 songs sharing all but its last code (GET …/sid-neighbours). */
  sid: {
    modelVersion: string;
    sid: string;
    level: number;
    prefix: string;
    songs: Array<{ songId: string; sid: string; pool: 'warm' | 'cold' }>;
  } | null;
  sidProblem: string | null;
  titles: Map<string, string>;
}

/** "12 of 200 (6 %)": how much of the audience exploration took, in words, not colour. */
function explorationShare(explored: number, size: number): Html {
  if (!explored) return 'none';
  return `${num(explored)} of ${num(size)} (${((explored / size) * 100).toFixed(0)} %)`;
}

export function releasePage(v: ReleaseView): Html {
  const { song, audience: a } = v;
  const id = encodeURIComponent(song.id);
  const latency =
    a?.receivedAt && a.selectedAt
      ? `${new Date(a.selectedAt).getTime() - new Date(a.receivedAt).getTime()} ms`
      : '—';
  const title = (songId: string) =>
    v.titles.get(songId) ? ` <span class="muted">${esc(v.titles.get(songId))}</span>` : '';
  const summary = facts([
    ['Song id', `<code>${esc(song.id)}</code>`],
    ['Artist', esc(song.artistId)],
    ['Pool', song.pool === 'warm' ? badge('info', 'warm (graduated)') : badge('neutral', 'cold')],
    ['Released', time(song.releasedAt)],
    ['Language / genres', `${esc(song.language ?? '—')} · ${esc(song.genres.join(', ') || '—')}`],
    ['Model version', a ? `<code>${esc(a.modelVersion)}</code>` : '—'],
    ['Method', esc(a?.method ?? '—')],
    ['Semantic ID', a?.sid ? `<code>${esc(a.sid)}</code> (<a href="#sid">prefix neighbours</a>)` : '—'],
    ['Event received', time(a?.receivedAt ?? null)],
    ['Audience selected', time(a?.selectedAt ?? null)],
    ['Latency', esc(latency)],
    ['Audience size', num(v.scores.length)],
    ['Exploration members', a ? explorationShare(v.explored, v.scores.length) : '—'],
    ['Cold gate passes', a?.gatePassShare === null || !a ? '—' : `${(a.gatePassShare * 100).toFixed(0)} %`],
  ]);
  const actions = `<div class="toolbar">
${actionButton({
  label: 'Recompute audience',
  id: 'recompute',
  post: `/v1/songs/${id}/audience/recompute`,
  pending: 'Selecting the audience again…',
  done: 'Audience recomputed with the active model and current plays.',
})}
${a ? `<a class="button" href="/console/releases/${id}/audience.csv" download="audience-${esc(song.id)}.csv">Download audience (CSV)</a>` : ''}
<span class="muted">Recompute needs the API key.</span>
</div>`;
  const audienceSection = a
    ? `<h2 id="distribution">Score distribution</h2>
<figure>${histogram({ title: `Audience scores of ${song.id}`, values: v.scores, xLabel: 'audience score' })}
<figcaption>How the ${v.scores.length} selected users' scores are spread${
        v.explored ? ` (the ${v.explored} exploration members count at score 0)` : ''
      }.</figcaption></figure>
<h2 id="audience">Audience</h2>
<p class="muted">Showing ${v.shown} of ${v.scores.length}${
        v.shown < v.scores.length
          ? ` · <a href="/console/releases/${id}?limit=${Math.min(1000, v.scores.length)}">show all</a>`
          : ''
      }. Gate verdict: the cold gate's decision (score u·i against the user's boundary u·b); unknown when the user's vectors are not computed yet or no DSSM is active.${
        v.explored
          ? ` Chosen by: <em>nearest</em> for users retrieval ranked from the neighbour songs, <em>exploration</em> for the ${v.explored} users drawn from outside the nearest audience (score 0, no neighbour songs; listed last).`
          : ''
      }</p>
${table({
  label: 'Audience members',
  head: ['#', 'User', 'Score', 'Chosen by', 'Gate verdict', 'Neighbour songs that put the user here'],
  numeric: [0, 2],
  rows: a.audience.map((m, i) => [
    String(i + 1),
    userLink(m.userId),
    num(m.score),
    m.explore ? badge('info', 'exploration') : 'nearest',
    gateBadge(m.gatePass),
    m.explore
      ? '<span class="muted">none: an exploration member</span>'
      : m.because.map((b) => `<code>${esc(b)}</code>${title(b)}`).join(', ') ||
        '<span class="muted">—</span>',
  ]),
})}`
    : `<h2 id="audience">Audience</h2><p class="empty">No audience selected yet: it is queued until an I2I model is active, or recompute it.</p>`;
  const similar = v.similar
    ? table({
        label: 'Nearest established songs',
        head: ['Song', 'Title', 'Similarity'],
        numeric: [2],
        rows: v.similar.similar.map((n) => [
          `<code>${esc(n.songId)}</code>`,
          esc(v.titles.get(n.songId) ?? ''),
          num(n.similarity),
        ]),
        empty: 'The warm pool is empty.',
      })
    : `<p class="empty">${esc(v.similarProblem ?? 'Not available.')}</p>`;
  const sidSection = v.sid
    ? `<p class="muted"><code>${esc(v.sid.sid)}</code> under <code>${esc(v.sid.modelVersion)}</code>: RQ-KMeans codes of its I2I vector, coarse first. Songs sharing the first ${v.sid.level} codes (<code>${esc(v.sid.prefix)}</code>) sit in the same region of the space.</p>
${table({
  label: 'Songs sharing the semantic-ID prefix',
  head: ['Song', 'Title', 'Semantic ID', 'Pool'],
  rows: v.sid.songs.map((n) => [
    `<code>${esc(n.songId)}</code>`,
    esc(v.titles.get(n.songId) ?? ''),
    `<code>${esc(n.sid)}</code>`,
    esc(n.pool),
  ]),
  empty: 'No other song shares this prefix.',
})}`
    : `<p class="empty">${esc(v.sidProblem ?? 'Not available.')}</p>`;
  return layout({
    title: song.title || song.id,
    section: 'releases',
    body: `<p><a href="/console/releases">← All releases</a></p>
<h1>${esc(song.title || song.id)}</h1>
${summary}
${actions}
${audienceSection}
<h2 id="similar">Nearest established songs</h2>
<p class="muted">In the active I2I space${v.similar ? ` (<code>${esc(v.similar.modelVersion)}</code>)` : ''}: the neighbours an audience is drawn from.</p>
${similar}
<h2 id="sid">Semantic ID</h2>
${sidSection}`,
  });
}
