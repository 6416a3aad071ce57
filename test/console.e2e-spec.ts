/**
 * The web console in a real browser (Debian's chromium through puppeteer-core) against the real
 * api, worker, PostgreSQL and Kafka with a small trained catalogue: every page renders real
 * data at 1280 and 390 px, passes axe-core without serious or critical violations, and leaves a
 * screenshot under reports/console/; the write actions (recompute, activate, replay) are refused
 * without the API key and work with it.
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@debut/catalog';
import { projectRoot } from '@debut/config';
import { coldSplit, generateSynthetic, toSongReleasedEvents } from '@debut/evaluation';
import { EventPublisher, TOPICS, type TopicNames } from '@debut/messaging';
import { initTf } from '@debut/models';
import { importWarm } from '@debut/serving';
import { WorkerModule } from '../apps/worker/src/worker.module';
import { createApp } from '../apps/api/src/main';
import { isolatedEnv, waitFor } from './support';
import { trainAndActivateSmallModels, trainSmallI2I } from './model-support';

jest.setTimeout(300_000);

const SHOTS = path.join(projectRoot, 'reports', 'console');
const WIDTHS = [1280, 390] as const;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let worker: INestApplicationContext;
let api: INestApplication;
let browser: Browser;
let page: Page;
let base: string;
let i2iVersion: string;
let spareVersion: string;
let releasedIds: string[] = [];
let audienceUser: string;
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: number;
}

/** Loads a console page and waits for its script to have run. */
async function open(url: string): Promise<void> {
  const res = await page.goto(`${base}${url}`, { waitUntil: 'load' });
  expect(res?.status()).toBe(200);
  await page.waitForFunction('document.documentElement.dataset.apiKey !== undefined');
}

/** Page-side code is passed as strings: the project compiles without the DOM library. */
const inPage = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
const text = () => inPage<string>('document.body.innerText');

/** axe-core on the loaded page: the rules it passed, and its serious and critical violations. */
async function accessibility(): Promise<{ passes: number; serious: AxeViolation[] }> {
  await page.evaluate(axeSource);
  const result = await inPage<{ passes: number; violations: AxeViolation[] }>(
    `axe.run(document).then((r) => ({ passes: r.passes.length,
      violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length })) }))`,
  );
  return {
    passes: result.passes,
    serious: result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
  };
}

/** At each width: accessible, keyboard-reachable, nothing wider than the viewport, and a screenshot. */
async function checkAtWidths(url: string, name: string): Promise<void> {
  for (const width of WIDTHS) {
    await page.setViewport({ width, height: 900 });
    await open(url);
    const axe = await accessibility();
    expect(axe.passes).toBeGreaterThan(10); // axe really ran on the page
    expect(axe.serious).toEqual([]);
    // The page itself never scrolls sideways: wide tables scroll inside their own region.
    const overflow = await inPage<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${width}.png`), fullPage: true });
    // Keyboard: the first Tab reaches the skip link, which leads to the main content.
    await page.keyboard.press('Tab');
    expect(await inPage<string>('document.activeElement.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await inPage<string>('document.activeElement.id')).toBe('main');
  }
}

/**
 * Runs a write-action button from the keyboard (focus, Enter) and returns the status line it
 * leaves; a success reloads the page, whose status then says what was done.
 */
async function act(selector: string, expectReload: boolean): Promise<string> {
  const button = await page.waitForSelector(selector);
  await inPage(`document.getElementById('console-status').textContent = ''`);
  await button!.focus();
  if (expectReload) {
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load', timeout: 120_000 }),
      page.keyboard.press('Enter'),
    ]);
  } else {
    await page.keyboard.press('Enter');
  }
  await page.waitForFunction(
    `document.getElementById('console-status').textContent.length > 0 &&
      !document.querySelector('button[aria-busy="true"]')`,
    { timeout: 120_000 },
  );
  return inPage<string>(`document.getElementById('console-status').textContent`);
}

async function enterKey(key: string): Promise<void> {
  await page.type('#api-key', key);
  await page.click('#key-form button[type="submit"]');
  await page.waitForFunction(`document.documentElement.dataset.apiKey === 'set'`);
}

beforeAll(async () => {
  fs.mkdirSync(SHOTS, { recursive: true });
  env = await isolatedEnv('console', { AUDIENCE_NEIGHBOURS: '20', AUDIENCE_SIZE: '60' });
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const catalogue = generateSynthetic({ seed: 11, songs: 800, users: 400, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 11 });
  await importWarm(ds, catalogue, split);
  ({ i2iVersion } = await trainAndActivateSmallModels(ds, env, catalogue, split));
  // A second I2I version, trained and registered but not active: the one the console activates.
  ({ version: spareVersion } = await trainSmallI2I(ds, env, catalogue, split, 12));

  worker = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  api = await createApp();
  await api.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${((api.getHttpServer() as Server).address() as AddressInfo).port}`;

  // Real releases through Kafka and the worker, and one malformed record for the dead letters.
  const publisher = worker.get(EventPublisher);
  const topics = worker.get<TopicNames>(TOPICS);
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  const cold = split.coldTestItems.slice(0, 6).map((id) => byId.get(id)!);
  const events = toSongReleasedEvents(cold, { seed: 3, start: new Date().toISOString() });
  for (const e of events) await publisher.publish(topics.songReleased, e.songId, e);
  await publisher.publish(topics.songReleased, 'broken-1', { songId: 'broken-1', title: 'no event id' });
  releasedIds = events.map((e) => e.songId);
  await waitFor(
    'audiences of the releases',
    async () =>
      (
        await ds.query<Array<{ n: number }>>(
          'SELECT count(DISTINCT song_id)::int AS n FROM audiences WHERE song_id = ANY($1)',
          [releasedIds],
        )
      )[0].n === releasedIds.length,
    60_000,
  );
  await waitFor(
    'the dead letter',
    async () => (await ds.query<unknown[]>('SELECT 1 FROM dead_letters')).length > 0,
    60_000,
  );
  const [row] = await ds.query<Array<{ members: Array<{ userId: string }> }>>(
    'SELECT members FROM audiences WHERE song_id = $1',
    [releasedIds[0]],
  );
  audienceUser = row.members[0].userId;

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--font-render-hinting=none'],
  });
  page = await browser.newPage();
  page.setDefaultTimeout(60_000);
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await worker?.close();
  await ds?.destroy();
});

it('releases: recent releases with model version, audience size, latency and pool; search; paging', async () => {
  await checkAtWidths('/console/releases', 'releases');
  const body = await text();
  for (const id of releasedIds) expect(body).toContain(id);
  expect(body).toContain(i2iVersion);
  expect(body).toMatch(/\d+ ms/); // event receipt → selection, stored beside selected_at
  expect(body).toContain('cold');

  // Search by id (a form a keyboard user submits with Enter).
  await page.setViewport({ width: 1280, height: 900 });
  await open('/console/releases');
  await page.type('#release-search', releasedIds[1]);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  const found = await text();
  expect(found).toContain(releasedIds[1]);
  expect(found).not.toContain(releasedIds[2]);
  expect(found).toContain('1 release matches');

  // Paging: two per page over the six releases.
  await open('/console/releases?pageSize=2&page=2');
  expect(await text()).toContain('Page 2 of 3');
  await Promise.all([page.waitForNavigation(), page.click('a[rel="next"]')]);
  expect(await text()).toContain('Page 3 of 3');
  const rows = await page.$$eval('tbody tr', (trs) => trs.length);
  expect(rows).toBe(2);
});

it('one release: audience with scores, gate verdicts and neighbour songs, similar songs, chart, CSV', async () => {
  const id = releasedIds[0];
  await checkAtWidths(`/console/releases/${id}`, 'release');
  const body = await text();
  expect(body).toContain(audienceUser);
  expect(body).toMatch(/pass|refuse/);
  expect(body).toContain('Nearest established songs');
  expect(body).toContain('has no semantic IDs'); // the small model is trained without a codebook
  expect(await page.$('svg.chart[role="img"]')).not.toBeNull();
  // These releases carry no exploration share: the summary says so in words.
  expect(body).toMatch(/Exploration members\s+none/);

  const csv = await page.evaluate(
    (u) => fetch(u).then(async (r) => ({ type: r.headers.get('content-type'), body: await r.text() })),
    `/console/releases/${id}/audience.csv`,
  );
  expect(csv.type).toContain('text/csv');
  const lines = csv.body.trim().split('\r\n');
  expect(lines[0]).toBe(
    'rank,user_id,score,gate_pass,because,song_id,model_version,method,selected_at,explore',
  );
  expect(lines.length).toBeGreaterThan(10);
  expect(lines[1]).toContain(`"${audienceUser}"`);
  expect(lines[1]).toMatch(/,false$/); // not an exploration member
});

it('recompute is refused without the key and selects the audience again with it', async () => {
  const id = releasedIds[0];
  const selectedAt = async () =>
    (
      await ds.query<Array<{ t: Date; r: Date | null }>>(
        'SELECT selected_at AS t, received_at AS r FROM audiences WHERE song_id = $1',
        [id],
      )
    )[0];
  const before = await selectedAt();
  expect(before.r).not.toBeNull();
  await page.setViewport({ width: 1280, height: 900 });
  await open(`/console/releases/${id}`);
  expect(await act('#recompute', false)).toMatch(/Refused \(401\).*API key/);
  expect((await selectedAt()).t.getTime()).toBe(before.t.getTime());

  await enterKey(env.http.apiKey);
  expect(await act('#recompute', true)).toContain('Audience recomputed');
  const after = await selectedAt();
  expect(after.t.getTime()).toBeGreaterThan(before.t.getTime());
  expect(after.r).toBeNull(); // selected on request, not from an event
  // The key stays with the tab (session storage) and can be forgotten.
  await page.click('#key-forget');
  await page.waitForFunction(`document.documentElement.dataset.apiKey === 'unset'`);
});

it('one user: history, interest boundary, gate decisions for the cold pool, cold recommendations', async () => {
  await checkAtWidths(`/console/users/${audienceUser}`, 'user');
  const body = await text();
  expect(body).toContain('Interest boundary u·b');
  expect(body).toMatch(/favorite|play|complete/);
  for (const id of releasedIds.slice(0, 3)) expect(body).toContain(id); // the cold pool, gated
  expect(body).toMatch(/pass|refuse/);
  expect(body).toContain('Cold recommendations');

  await page.setViewport({ width: 390, height: 900 });
  await open('/console/users');
  await page.type('#user-id', audienceUser);
  await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
  expect(await text()).toContain(`User ${audienceUser}`);
  await page.screenshot({ path: path.join(SHOTS, 'users-390.png'), fullPage: true });
});

it('models: versions with kind, dataset, metrics and training curves; activation needs the key', async () => {
  await checkAtWidths('/console/models', 'models');
  const body = await text();
  expect(body).toContain(i2iVersion);
  expect(body).toContain(spareVersion);
  expect(body).toContain('synthetic');
  expect(body).toContain('Training curves');
  expect(await page.$$eval('svg.chart', (s) => s.length)).toBeGreaterThan(0);

  const active = async () =>
    (
      await ds.query<Array<{ version: string }>>(
        "SELECT version FROM model_versions WHERE kind = 'i2i' AND active",
      )
    )[0].version;
  await page.setViewport({ width: 1280, height: 900 });
  await open('/console/models');
  const activate = `button[data-post="/v1/models/${spareVersion}/activate"]`;
  expect(await act(activate, false)).toMatch(/Refused \(401\)/);
  expect(await active()).toBe(i2iVersion);

  await enterKey(env.http.apiKey);
  expect(await act(activate, true)).toContain(`${spareVersion} is active`);
  expect(await active()).toBe(spareVersion);
  expect(await text()).toMatch(new RegExp(`i2i: ${spareVersion}`));
  // The api serves from the new version at once.
  const similar = await page.evaluate(
    (u) => fetch(u).then((r) => r.json() as Promise<{ modelVersion: string }>),
    `/v1/songs/${releasedIds[0]}/similar`,
  );
  expect(similar.modelVersion).toBe(spareVersion);
  await page.screenshot({ path: path.join(SHOTS, 'models-activated-1280.png'), fullPage: true });
  await page.click('#key-forget');
});

it('dead letters: per topic, newest first, with reason and payload preview; replay needs the key', async () => {
  await checkAtWidths('/console/dead-letters', 'dead-letters');
  const body = await text();
  expect(body).toContain('eventId');
  expect(body).toContain('no event id'); // the payload preview
  expect(body).toContain('pending');
  const [{ id }] = await ds.query<Array<{ id: string }>>(
    'SELECT id::text AS id FROM dead_letters ORDER BY id LIMIT 1',
  );
  const replayed = async () =>
    (
      await ds.query<Array<{ r: Date | null }>>('SELECT replayed_at AS r FROM dead_letters WHERE id = $1', [
        id,
      ])
    )[0].r;

  await page.setViewport({ width: 1280, height: 900 });
  await open('/console/dead-letters');
  const replay = `button[data-body='{"ids":["${id}"]}']`;
  expect(await page.$(replay)).not.toBeNull();
  expect(await act(replay, false)).toMatch(/Refused \(401\)/);
  expect(await replayed()).toBeNull();
  await enterKey(env.http.apiKey);
  expect(await act(replay, true)).toContain(`Dead letter ${id} published again`);
  expect(await replayed()).not.toBeNull();
  expect(await text()).toContain('replayed');
});
