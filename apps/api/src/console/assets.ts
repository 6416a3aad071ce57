/**
 * The console's only stylesheet and script, served by the api itself (no CDN, no build step):
 * the script keeps the API key in the tab's sessionStorage and sends it with write actions.
 */

export const CONSOLE_CSS = `
:root { --fg: #1b1b1b; --muted: #555; --line: #d0d4da; --bg: #fff; --panel: #f5f7fa; --link: #0b4f9c; --focus: #b34700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, [tabindex]:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: #fff; padding: 8px; z-index: 10; }
.skip:focus { left: 8px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header.top { background: var(--panel); border-bottom: 1px solid var(--line); padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: center; }
.brand { margin: 0; font-weight: 700; font-size: 17px; }
.brand a { color: var(--fg); text-decoration: none; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 0; padding: 0; }
nav a { display: inline-block; padding: 6px 2px; }
nav a[aria-current="page"] { font-weight: 700; color: var(--fg); text-decoration: underline 3px; }
form.key { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-left: auto; }
form.key input { width: 12em; }
input, select, button { font: inherit; padding: 5px 8px; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--fg); }
button { cursor: pointer; background: #eef1f5; }
button.action { background: #0b4f9c; color: #fff; border-color: #0b4f9c; }
button[disabled] { opacity: .6; cursor: progress; }
main { padding: 16px; max-width: 1200px; margin: 0 auto; }
main:focus { outline: none; }
h1 { font-size: 24px; margin: 8px 0 12px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 28px 0 8px; }
h3 { font-size: 16px; margin: 16px 0 6px; }
.muted { color: var(--muted); }
.status:empty { display: none; }
.status { padding: 8px 12px; border-radius: 4px; background: #e8f0fb; border: 1px solid #9bb8e0; }
.status[data-kind="error"] { background: #fbe9e9; border-color: #d48a8a; }
.status[data-kind="ok"] { background: #e3f4e8; border-color: #86c49a; }
.note { padding: 8px 12px; background: #fff8e1; border: 1px solid #e0c46c; border-radius: 4px; }
.empty { color: var(--muted); font-style: italic; }
.scroll { overflow-x: auto; max-width: 100%; border: 1px solid var(--line); border-radius: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--panel); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:last-child td { border-bottom: 0; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 13px; font-weight: 600; white-space: nowrap; }
.badge-ok { background: #e3f4e8; color: #0a5c2b; }
.badge-bad { background: #fbe9e9; color: #8a1c1c; }
.badge-neutral { background: #eceff3; color: #333; }
.badge-info { background: #e8f0fb; color: #0b3f7c; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 8px 16px; margin: 0 0 12px; }
.facts div { background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; }
.facts dt { font-size: 13px; color: var(--muted); }
.facts dd { margin: 0; font-weight: 600; overflow-wrap: anywhere; }
.toolbar { display: flex; flex-wrap: wrap; gap: 8px; align-items: center; margin: 8px 0 16px; }
.toolbar a.button { display: inline-block; padding: 5px 10px; border: 1px solid #767676; border-radius: 4px; background: #eef1f5; color: var(--fg); text-decoration: none; }
form.search { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 8px 0 12px; }
form.search input { min-width: 14em; flex: 1 1 14em; max-width: 28em; }
.pager { display: flex; justify-content: space-between; align-items: center; gap: 8px; margin: 10px 0; }
figure { margin: 8px 0 16px; }
figcaption { color: var(--muted); font-size: 13px; }
svg.chart { width: 100%; max-width: 720px; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 4px; }
svg .axis { stroke: #333; } svg .grid { stroke: #e3e6ea; } svg .bar { fill: #1f5fa8; }
svg .tick { font-size: 11px; fill: #333; } svg .axis-label { font-size: 12px; fill: #333; }
svg .marker { stroke: #b34700; stroke-width: 2; stroke-dasharray: 5 3; } svg .marker-label { font-size: 12px; fill: #8a3600; }
img.report { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 16px; }
details { margin: 6px 0; } summary { cursor: pointer; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  header.top { padding: 8px; }
  form.key { margin-left: 0; width: 100%; }
  form.key input { flex: 1 1 8em; width: auto; }
  main { padding: 10px; }
  h1 { font-size: 20px; }
  .facts { grid-template-columns: 1fr 1fr; gap: 6px; }
  th, td { padding: 5px 6px; }
}
`;

export const CONSOLE_JS = `(() => {
  'use strict';
  const KEY = 'debut.console.apiKey';
  const FLASH = 'debut.console.flash';
  const store = {
    get(k) { try { return sessionStorage.getItem(k); } catch { return null; } },
    set(k, v) { try { sessionStorage.setItem(k, v); } catch { /* storage off: key kept for this page only */ } },
    del(k) { try { sessionStorage.removeItem(k); } catch { /* nothing kept */ } },
  };
  let pageKey = null;
  const apiKey = () => store.get(KEY) || pageKey;
  const $ = (id) => document.getElementById(id);

  function say(message, kind) {
    const s = $('console-status');
    if (!s) return;
    s.dataset.kind = kind || 'info';
    s.textContent = message;
  }
  function keyState() {
    const set = Boolean(apiKey());
    document.documentElement.dataset.apiKey = set ? 'set' : 'unset';
    const s = $('key-state');
    if (s) s.textContent = set ? 'API key in use for this tab.' : 'No API key: write actions will be refused.';
  }
  function reason(body, status) {
    if (body && body.message) return Array.isArray(body.message) ? body.message.join('; ') : String(body.message);
    return 'HTTP ' + status;
  }

  async function post(button) {
    const headers = { accept: 'application/json' };
    const body = button.dataset.body;
    if (body) headers['content-type'] = 'application/json';
    const key = apiKey();
    if (key) headers['x-api-key'] = key;
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    say(button.dataset.pending || 'Working…');
    try {
      const res = await fetch(button.dataset.post, { method: 'POST', headers, body: body || undefined });
      const answer = await res.json().catch(() => null);
      if (!res.ok) {
        say('Refused (' + res.status + '): ' + reason(answer, res.status), 'error');
        return;
      }
      store.set(FLASH, button.dataset.done || 'Done.');
      location.reload();
    } catch (e) {
      say('The request failed: ' + (e && e.message ? e.message : e), 'error');
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const flash = store.get(FLASH);
    if (flash) { store.del(FLASH); say(flash, 'ok'); }
    keyState();
    const form = $('key-form');
    if (form) form.addEventListener('submit', (e) => {
      e.preventDefault();
      const input = $('api-key');
      const value = input.value.trim();
      if (!value) { say('Type the API key first.', 'error'); return; }
      pageKey = value;
      store.set(KEY, value);
      input.value = '';
      keyState();
      say('API key saved for this tab (session storage); it is sent only with write actions.', 'ok');
    });
    const forget = $('key-forget');
    if (forget) forget.addEventListener('click', () => {
      pageKey = null;
      store.del(KEY);
      keyState();
      say('API key forgotten.', 'info');
    });
    document.addEventListener('click', (e) => {
      const button = e.target instanceof Element ? e.target.closest('button[data-post]') : null;
      if (button && !button.disabled) { e.preventDefault(); void post(button); }
    });
  });
})();
`;
