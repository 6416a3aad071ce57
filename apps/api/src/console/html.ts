/**
 * Server-rendered HTML for the console: escaping, the page frame and small building blocks.
 * Every dynamic value goes through `esc` (or `attr`); nothing here reads a request.
 */

/** Text that is safe inside HTML element content and quoted attribute values. */
export function esc(value: string | number | boolean | null | undefined): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A trusted fragment of HTML (built from escaped parts). */
export type Html = string;

export type Section = 'releases' | 'users' | 'models' | 'dead-letters';

const NAV: Array<[Section, string, string]> = [
  ['releases', 'Releases', '/console/releases'],
  ['users', 'Users', '/console/users'],
  ['models', 'Models', '/console/models'],
  ['dead-letters', 'Dead letters', '/console/dead-letters'],
];

/** The frame of every console page: skip link, header with the API-key form, navigation, main. */
export function layout(opts: { title: string; section: Section | null; body: Html }): Html {
  const nav = NAV.map(
    ([key, label, href]) =>
      `<li><a href="${href}"${opts.section === key ? ' aria-current="page"' : ''}>${label}</a></li>`,
  ).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)} · Debut console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <p class="brand"><a href="/console/releases">Debut console</a></p>
  <form class="key" id="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <input id="api-key" name="api-key" type="password" autocomplete="off" aria-describedby="key-state">
    <button type="submit">Use key</button>
    <button type="button" id="key-forget">Forget</button>
    <span id="key-state" class="muted">Write actions need the API key.</span>
  </form>
  <nav aria-label="Console sections"><ul>${nav}</ul></nav>
</header>
<main id="main" tabindex="-1">
<p id="console-status" class="status" role="status" aria-live="polite"></p>
${opts.body}
</main>
</body>
</html>`;
}

/** A table in a keyboard-scrollable region (narrow screens scroll it sideways). */
export function table(opts: {
  label: string;
  head: string[];
  rows: Html[][];
  empty?: string;
  numeric?: number[];
}): Html {
  if (!opts.rows.length) return `<p class="empty">${esc(opts.empty ?? 'Nothing to show.')}</p>`;
  const num = new Set(opts.numeric ?? []);
  const cls = (i: number) => (num.has(i) ? ' class="num"' : '');
  const head = opts.head.map((h, i) => `<th scope="col"${cls(i)}>${esc(h)}</th>`).join('');
  const body = opts.rows
    .map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${c}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="scroll" role="region" aria-label="${esc(opts.label)}" tabindex="0">
<table><caption class="sr-only">${esc(opts.label)}</caption><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table></div>`;
}

/** Key facts as a definition list. */
export function facts(items: Array<[string, Html]>): Html {
  return `<dl class="facts">${items.map(([k, v]) => `<div><dt>${esc(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>`;
}

export function time(d: Date | string | null | undefined): Html {
  if (!d) return '<span class="muted">—</span>';
  const iso = new Date(d).toISOString();
  return `<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</time>`;
}

export function num(n: number | null | undefined, digits = 3): Html {
  if (n === null || n === undefined || !Number.isFinite(n)) return '<span class="muted">—</span>';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/** A verdict badge with text (colour is never the only signal). */
export function badge(kind: 'ok' | 'bad' | 'neutral' | 'info', text: string): Html {
  return `<span class="badge badge-${kind}">${esc(text)}</span>`;
}

export function gateBadge(pass: boolean | null): Html {
  if (pass === null) return badge('neutral', 'unknown');
  return pass ? badge('ok', 'pass') : badge('bad', 'refuse');
}

/** A write action: a button the console script posts with the tab's API key. */
export function actionButton(opts: {
  label: string;
  post: string;
  body?: unknown;
  pending: string;
  done: string;
  id?: string;
}): Html {
  return `<button type="button" class="action"${opts.id ? ` id="${esc(opts.id)}"` : ''} data-post="${esc(opts.post)}"${
    opts.body === undefined ? '' : ` data-body="${esc(JSON.stringify(opts.body))}"`
  } data-pending="${esc(opts.pending)}" data-done="${esc(opts.done)}">${esc(opts.label)}</button>`;
}

/** A note for a part of the system another piece of work brings. */
export function notBuilt(what: string): Html {
  return `<p class="note">${esc(what)}</p>`;
}

export const songLink = (id: string): Html =>
  `<a href="/console/releases/${encodeURIComponent(id)}">${esc(id)}</a>`;
export const userLink = (id: string): Html =>
  `<a href="/console/users/${encodeURIComponent(id)}">${esc(id)}</a>`;

/** Previous/next links and the position, for a paged list. */
export function pager(opts: {
  page: number;
  pages: number;
  href: (page: number) => string;
  label: string;
}): Html {
  if (opts.pages <= 1) return '';
  const prev =
    opts.page > 1
      ? `<a href="${esc(opts.href(opts.page - 1))}" rel="prev">Previous page</a>`
      : '<span></span>';
  const next =
    opts.page < opts.pages
      ? `<a href="${esc(opts.href(opts.page + 1))}" rel="next">Next page</a>`
      : '<span></span>';
  return `<nav class="pager" aria-label="${esc(opts.label)}">${prev}<span>Page ${opts.page} of ${opts.pages}</span>${next}</nav>`;
}
