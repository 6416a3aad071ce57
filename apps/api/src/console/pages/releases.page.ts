import { badge, esc, layout, num, pager, songLink, table, time, type Html } from '../html';
import { DEFAULT_PAGE_SIZE, type ReleaseList } from '../release-list.service';

export function releasesPage(list: ReleaseList): Html {
  const href = (page: number) =>
    `/console/releases?${new URLSearchParams({
      ...(list.search ? { q: list.search } : {}),
      ...(list.pageSize !== DEFAULT_PAGE_SIZE ? { pageSize: String(list.pageSize) } : {}),
      page: String(page),
    }).toString()}`;
  const rows = list.releases.map((r) => [
    r.selectedAt ? time(r.selectedAt) : `${badge('neutral', 'queued')}`,
    songLink(r.songId),
    esc(r.title) || '<span class="muted">(untitled)</span>',
    r.pool === 'warm' ? badge('info', 'warm (graduated)') : badge('neutral', 'cold'),
    r.modelVersion ? `<code>${esc(r.modelVersion)}</code>` : '<span class="muted">waiting for a model</span>',
    esc(r.method ?? '—'),
    num(r.audienceSize),
    r.latencyMs === null ? '<span class="muted">—</span>' : `${r.latencyMs} ms`,
  ]);
  const count = `${list.total} release${list.total === 1 ? '' : 's'}`;
  const found = list.search
    ? `${count} ${list.total === 1 ? 'matches' : 'match'} “${esc(list.search)}”.`
    : `${count}.`;
  return layout({
    title: 'Releases',
    section: 'releases',
    body: `<h1>Releases</h1>
<form class="search" method="get" action="/console/releases" role="search">
  <label for="release-search">Search by song id or title</label>
  <input id="release-search" name="q" type="search" value="${esc(list.search)}" maxlength="128">
  <button type="submit">Search</button>
  ${list.search ? '<a href="/console/releases">Clear</a>' : ''}
</form>
<p class="muted">${found} Latency: from the release event reaching the worker to its audience being selected.</p>
${table({
  label: 'Recent releases',
  head: ['Selected', 'Song', 'Title', 'Pool', 'Model version', 'Method', 'Audience', 'Latency'],
  numeric: [6, 7],
  rows,
  empty: list.search ? 'No release matches this search.' : 'No releases yet.',
})}
${pager({ page: list.page, pages: list.pages, href, label: 'Release pages' })}`,
  });
}
