import type { RecentInteraction } from '@debut/catalog';
import type { GateAnswer } from '@debut/serving';
import { histogram } from '../charts';
import {
  badge,
  esc,
  facts,
  gateBadge,
  layout,
  num,
  songLink,
  table,
  time,
  userLink,
  type Html,
} from '../html';

export interface UserView {
  userId: string;
  history: RecentInteraction[];
  gate: (GateAnswer & { poolSize: number }) | null;
  recommendations: GateAnswer | null;
  /** Why the gate sections are empty (no DSSM active), if so. */
  gateProblem: string | null;
  titles: Map<string, string>;
}

const userForm = (value = '') => `<form class="search" method="get" action="/console/users" role="search">
  <label for="user-id">User id</label>
  <input id="user-id" name="id" type="search" value="${esc(value)}" maxlength="128" required>
  <button type="submit">Show user</button>
</form>`;

export function usersIndexPage(sample: string[]): Html {
  return layout({
    title: 'Users',
    section: 'users',
    body: `<h1>Users</h1>
${userForm()}
<h2>Some users</h2>
${sample.length ? `<ul>${sample.map((u) => `<li>${userLink(u)}</li>`).join('')}</ul>` : '<p class="empty">No users yet.</p>'}`,
  });
}

export function userPage(v: UserView): Html {
  const g = v.gate;
  const boundary = g && g.basis === 'model' && g.decisions.length ? g.decisions[0].boundary : null;
  const passed = g ? g.decisions.filter((d) => d.pass).length : 0;
  const title = (id: string) => esc(v.titles.get(id) ?? '');
  const boundaryFacts = facts([
    ['User', `<code>${esc(v.userId)}</code>`],
    ['DSSM version', g ? `<code>${esc(g.modelVersion)}</code>` : '—'],
    [
      'Basis',
      g
        ? g.basis === 'model'
          ? badge('info', 'model')
          : badge('neutral', 'no history: every cold song refused')
        : '—',
    ],
    ['Interest boundary u·b', num(boundary, 4)],
    ['Cold songs gated', g ? `${g.decisions.length} of ${g.poolSize}` : '—'],
    ['Passing the gate', g ? `${passed}` : '—'],
  ]);
  const gateSection = g
    ? `${
        g.basis === 'model' && g.decisions.length
          ? `<figure>${histogram({
              title: `Gate scores u·i of the cold pool for ${v.userId}`,
              values: g.decisions.map((d) => d.score),
              xLabel: 'score u·i',
              marker: { at: boundary ?? 0, label: 'boundary' },
            })}<figcaption>Scores of the cold songs for this user; songs right of the boundary pass.</figcaption></figure>`
          : ''
      }
${table({
  label: 'Gate decisions for the cold pool',
  head: ['Song', 'Title', 'Score u·i', 'Boundary u·b', 'Margin', 'Verdict'],
  numeric: [2, 3, 4],
  rows: g.decisions.map((d) => [
    songLink(d.songId),
    title(d.songId),
    num(d.score, 4),
    num(d.boundary, 4),
    num(d.score - d.boundary, 4),
    gateBadge(d.pass),
  ]),
  empty: 'The cold pool is empty.',
})}`
    : `<p class="empty">${esc(v.gateProblem ?? 'Not available.')}</p>`;
  const recs = v.recommendations
    ? table({
        label: 'Cold recommendations',
        head: ['Song', 'Title', 'Score u·i', 'Boundary u·b'],
        numeric: [2, 3],
        rows: v.recommendations.decisions.map((d) => [
          songLink(d.songId),
          title(d.songId),
          num(d.score, 4),
          num(d.boundary, 4),
        ]),
        empty:
          v.recommendations.basis === 'no-history'
            ? 'No cold recommendations: the user has no listening history.'
            : 'No cold song is above this user’s boundary.',
      })
    : `<p class="empty">${esc(v.gateProblem ?? 'Not available.')}</p>`;
  return layout({
    title: `User ${v.userId}`,
    section: 'users',
    body: `${userForm(v.userId)}
<h1>User ${esc(v.userId)}</h1>
<h2 id="boundary">Interest boundary</h2>
${boundaryFacts}
<h2 id="history">Recent history</h2>
${table({
  label: 'Recent history',
  head: ['When', 'Song', 'Title', 'Kind', 'Weight', 'Pool'],
  numeric: [4],
  rows: v.history.map((h) => [
    time(h.occurredAt),
    h.pool === 'cold' ? songLink(h.songId) : `<code>${esc(h.songId)}</code>`,
    esc(h.title ?? ''),
    esc(h.kind),
    num(h.weight, 2),
    esc(h.pool ?? '—'),
  ]),
  empty: 'No listening history.',
})}
<h2 id="gate">Gate decisions for the current cold pool</h2>
${gateSection}
<h2 id="recommendations">Cold recommendations</h2>
${recs}`,
  });
}
