/**
 * bench:faults (DESIGN.md §7): a stream of releases while the worker is killed with SIGKILL,
 * the broker is restarted and PostgreSQL is restarted; then every release must have exactly one
 * audience (lost = none, duplicated = more than one song.audience.selected record or row). Then
 * 10,000 malformed events: the worker must not crash and every one must reach the DLQ. Then
 * poison records (valid JSON that storage or the DLQ topic would refuse) interleaved with valid
 * releases: every poison record in the DLQ, every valid release processed, none stalled > 5 s.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { SongRepository, StatsRepository, openDatabase } from '@debut/catalog';
import {
  BenchBroker,
  BenchKafka,
  DEFAULT_CATALOGUE,
  ReleaseSource,
  ServiceProcess,
  benchEnv,
  describeData,
  ensureCatalogue,
  log,
  machineLine,
  offerReleases,
  restartPostgres,
  sleep,
  verdict,
  waitUntil,
  type SeenRecord,
} from './services';

export interface FaultsBenchOptions {
  events: number;
  rate: number;
  malformed: number;
  epochs: number;
  /** Poison records of the poison phase (default 1200; 0 skips it). */
  poison?: number;
  /** Writes `{ machine, poison, faults }` as JSON here. */
  out?: string;
}

/** Records JSON accepts but storage or the DLQ topic would refuse, and the like. */
const POISON_KINDS = [
  'nul-song-id',
  'nul-event-id',
  'nul-title',
  'nul-artist-id',
  'nul-genre',
  'nul-language',
  'nul-modality-name',
  'surrogate-event-id',
  'surrogate-song-id',
  'surrogate-title',
  'year-0000',
  'year-0001-positive-offset',
  'year-1899',
  'year-2101',
  'song-id-129-chars',
  'title-1001-chars',
  'genre-65-chars',
  '65-genres',
  'empty-event-id',
  'float4-overflow',
  'negative-float4-overflow',
  'title-is-an-object',
  'warm-overwrite',
] as const;

/** One poison song.released value of `kind` (a valid release with one thing wrong). */
function poisonValue(
  kind: (typeof POISON_KINDS)[number],
  e: Record<string, unknown>,
  warmId: string,
): string {
  const f = e.features as Record<string, number[]>;
  const set = (k: string, v: unknown) => JSON.stringify({ ...e, [k]: v });
  switch (kind) {
    case 'nul-song-id':
      return set('songId', `${String(e.songId)}\u0000`);
    case 'nul-event-id':
      return set('eventId', `\u0000${String(e.eventId)}`);
    case 'nul-title':
      return set('title', 'a\u0000b');
    case 'nul-artist-id':
      return set('artistId', 'art\u0000');
    case 'nul-genre':
      return set('genres', ['ro\u0000ck']);
    case 'nul-language':
      return set('language', 'e\u0000n');
    case 'nul-modality-name':
      return set('features', { ...f, ['au\u0000dio']: f.audio });
    case 'surrogate-event-id':
      return set('eventId', `${String(e.eventId)}\ud800`);
    case 'surrogate-song-id':
      return set('songId', `\udc00${String(e.songId)}`);
    case 'surrogate-title':
      return set('title', 'x\udbffy');
    case 'year-0000':
      return set('releasedAt', '0000-01-01T00:00:00Z');
    case 'year-0001-positive-offset':
      return set('releasedAt', '0001-01-01T00:30:00+01:00');
    case 'year-1899':
      return set('releasedAt', '1899-12-31T23:59:59Z');
    case 'year-2101':
      return set('releasedAt', '2101-01-01T00:00:00Z');
    case 'song-id-129-chars':
      return set('songId', 's'.repeat(129));
    case 'title-1001-chars':
      return set('title', 't'.repeat(1001));
    case 'genre-65-chars':
      return set('genres', ['g'.repeat(65)]);
    case '65-genres':
      return set(
        'genres',
        Array.from({ length: 65 }, (_, i) => `g${i}`),
      );
    case 'empty-event-id':
      return set('eventId', '');
    case 'float4-overflow':
      return set('features', { ...f, audio: [1e39, ...f.audio.slice(1)] });
    case 'negative-float4-overflow':
      return set('features', { ...f, audio: [-4e38, ...f.audio.slice(1)] });
    case 'title-is-an-object':
      return set('title', { nested: { deeper: [1, 2, 3] } });
    case 'warm-overwrite':
      return set('songId', warmId);
  }
}

interface PoisonPhase {
  sent: number;
  kinds: number;
  deadLettered: number;
  validSent: number;
  validProcessed: number;
  maxStallSeconds: number;
}

/**
 * Poison records of every kind interleaved with valid releases on every partition (keys spread
 * them), plus a handful of 4–10 MB values; every poison record must reach the DLQ and every
 * valid release get its audience, none waiting long behind a poison record.
 */
async function poisonPhase(
  k: BenchKafka,
  releases: ReleaseSource,
  count: number,
  warmIds: string[],
  audiences: Map<string, SeenRecord>,
  dlq: Map<string, SeenRecord>,
  step: (m: string) => void,
): Promise<PoisonPhase> {
  const validSentAt = new Map<string, number>();
  let sent = 0;
  step(
    `poison phase: ${count} poison records of ${POISON_KINDS.length + 2} kinds, each followed by a valid release`,
  );
  for (let i = 0; i < count; i += 100) {
    const batch: Array<{ key: string; value: string }> = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      const kind = POISON_KINDS[j % POISON_KINDS.length];
      const base = releases.take() as unknown as Record<string, unknown>;
      batch.push({ key: `poison-${kind}-${j}`, value: poisonValue(kind, base, warmIds[j % warmIds.length]) });
      const ok = releases.take();
      batch.push({ key: ok.songId, value: JSON.stringify(ok) });
    }
    await k.sendBatch(k.topics.songReleased, batch);
    const at = Date.now();
    for (const m of batch) if (!m.key.startsWith('poison-')) validSentAt.set(m.key, at);
    sent += batch.length / 2;
  }
  // A handful of oversized values (one request each: they are near the broker's limit).
  const big: Array<[string, Buffer]> = [
    ['binary-4mb', randomBytes(4 * 1024 * 1024)],
    ['binary-8mb', randomBytes(8 * 1024 * 1024)],
    ['json-title-9mb', Buffer.from(JSON.stringify({ ...releases.take(), title: 't'.repeat(9_000_000) }))],
    ['json-title-4mb', Buffer.from(JSON.stringify({ ...releases.take(), title: 'u'.repeat(4_000_000) }))],
  ];
  for (const [kind, value] of big) {
    await k.sendBatch(k.topics.songReleased, [{ key: `poison-${kind}-${sent}`, value }]);
    sent++;
    const ok = releases.take();
    await k.sendBatch(k.topics.songReleased, [{ key: ok.songId, value: JSON.stringify(ok) }]);
    validSentAt.set(ok.songId, Date.now());
  }
  const poisonInDlq = () =>
    new Set([...dlq.values()].map((r) => r.key).filter((key) => key.startsWith('poison-'))).size;
  const firstAudience = () => {
    const first = new Map<string, number>();
    for (const r of audiences.values())
      if (!first.has(r.key) || r.at < first.get(r.key)!) first.set(r.key, r.at);
    return first;
  };
  await waitUntil(
    () => poisonInDlq() >= sent && [...validSentAt.keys()].every((s) => firstAudience().has(s)),
    240_000,
    500,
  );
  const first = firstAudience();
  let maxStallMs = 0;
  let validProcessed = 0;
  const waits: Array<[string, number]> = [];
  for (const [songId, at] of validSentAt) {
    const got = first.get(songId);
    if (got === undefined) continue;
    validProcessed++;
    maxStallMs = Math.max(maxStallMs, got - at);
    waits.push([songId, got - at]);
  }
  // Which valid records waited longest, and after which poison record: where a stall comes from.
  const order = [...validSentAt.keys()];
  waits.sort((a, b) => b[1] - a[1]);
  step(
    `longest waits: ${waits
      .slice(0, 5)
      .map(
        ([id, ms]) =>
          `${id} ${(ms / 1000).toFixed(2)} s (valid #${order.indexOf(id) + 1} of ${order.length})`,
      )
      .join('; ')}`,
  );
  const result = {
    sent,
    kinds: POISON_KINDS.length + big.length,
    deadLettered: poisonInDlq(),
    validSent: validSentAt.size,
    validProcessed,
    maxStallSeconds: Math.round(maxStallMs / 10) / 100,
  };
  step(
    `poison phase done: ${result.deadLettered}/${sent} in the DLQ, ${validProcessed}/${validSentAt.size} valid processed`,
  );
  return result;
}

/** Malformed song.released values, one per DESIGN.md §4 case (and a few more). */
function malformedValue(
  i: number,
  valid: () => Record<string, unknown>,
): { kind: string; value: string | null } {
  const e = valid() as Record<string, unknown> & { features: Record<string, number[]> };
  switch (i % 10) {
    case 0:
      return { kind: 'bad-json', value: `{"eventId": "x${i}", "songId": ` };
    case 1:
      return { kind: 'not-an-object', value: String(i) };
    case 2: {
      delete e.songId;
      return { kind: 'missing-field', value: JSON.stringify(e) };
    }
    case 3:
      e.features.audio = e.features.audio.slice(1);
      return { kind: 'wrong-vector-length', value: JSON.stringify(e) };
    case 4:
      return { kind: 'infinity', value: JSON.stringify(e).replace(/"audio":\[[^,\]]+/, '"audio":[1e999') };
    case 5:
      return { kind: 'nan', value: JSON.stringify(e).replace(/"text":\[[^,\]]+/, '"text":[NaN') };
    case 6:
      e.features.mood = [1, 2];
      return { kind: 'unknown-modality', value: JSON.stringify(e) };
    case 7:
      e.genres = 'rock';
      return { kind: 'wrong-type', value: JSON.stringify(e) };
    case 8:
      e.releasedAt = 'next tuesday';
      return { kind: 'bad-date', value: JSON.stringify(e) };
    default:
      return { kind: 'tombstone', value: null };
  }
}

export async function runFaultsBench(o: FaultsBenchOptions): Promise<void> {
  const env = benchEnv('faults', { LOG_LEVEL: 'info' });
  const broker = new BenchBroker();
  const worker = new ServiceProcess('worker', env.vars);
  const k = new BenchKafka(env.config);
  const steps: string[] = [];
  const step = (m: string) => (steps.push(`${new Date().toISOString().slice(11, 23)} ${m}`), log(m));
  try {
    await broker.start();
    await ensureCatalogue(env.config, env.vars, { ...DEFAULT_CATALOGUE, epochs: o.epochs });
    await k.connect();
    const audiences = new Map<string, SeenRecord>();
    const released = new Map<string, SeenRecord>();
    const dlq = new Map<string, SeenRecord>();
    await k.read(k.topics.songAudienceSelected, audiences);
    await k.read(k.topics.songReleased, released);
    await k.read(k.topics.songReleasedDlq, dlq);
    const releases = new ReleaseSource(env.runId);
    worker.start();
    const probe = new Map<string, number>();
    await offerReleases(k, releases, 1, 1, probe);
    const songsWithAudience = () => new Set([...audiences.values()].map((r) => r.key));
    if (!(await waitUntil(() => songsWithAudience().has([...probe.keys()][0]), 180_000)))
      throw new Error('worker never answered');

    // ---- 1. a stream with three faults in it --------------------------------------------
    const sent = new Map<string, number>();
    const eventIds = new Map<string, string>();
    const streamSeconds = o.events / o.rate;
    step(`stream: ${o.events} releases at ${o.rate}/s (${streamSeconds.toFixed(0)} s)`);
    const stream = offerReleases(k, releases, o.events, o.rate, sent, eventIds);
    const at = async (fraction: number) => {
      while (sent.size < o.events * fraction) await sleep(50);
    };
    await at(0.15);
    await worker.kill9();
    step(`kill -9 worker after ${sent.size} releases published`);
    await sleep(2000);
    worker.start();
    step('worker restarted');
    await at(0.4);
    step(`broker stop after ${sent.size} releases published`);
    await broker.stop();
    await sleep(2000);
    await broker.start();
    step('broker restarted');
    await at(0.7);
    step(`PostgreSQL restart after ${sent.size} releases published`);
    const pgMs = await restartPostgres();
    step(`PostgreSQL back (${pgMs} ms)`);
    await stream;
    step('stream published (all acknowledged)');
    const settled = await waitUntil(
      () => [...sent.keys()].every((s) => songsWithAudience().has(s)),
      240_000,
      500,
    );
    step(settled ? 'every release has an audience record' : 'gave up waiting after 240 s');
    await sleep(5000); // late duplicates (redeliveries after a restart) would show up now

    const perSong = new Map<string, number>();
    for (const r of audiences.values())
      if (sent.has(r.key)) perSong.set(r.key, (perSong.get(r.key) ?? 0) + 1);
    const lost = [...sent.keys()].filter((s) => !perSong.has(s));
    const duplicated = [...perSong].filter(([, n]) => n > 1);
    const inputCopies = [...released.values()].filter((r) => sent.has(r.key)).length - sent.size;
    const ds = await openDatabase(env.config.db, { migrate: false });
    const tally = await new StatsRepository(ds).releaseTally(`r-${env.runId}-`, [...eventIds.values()]);
    const db = { ...tally, audience_songs: tally.audienceSongs };
    await ds.destroy();

    // ---- 2. malformed events ------------------------------------------------------------
    const crashesBefore = worker.crashes.length;
    const kinds = new Map<string, number>();
    step(`publishing ${o.malformed} malformed releases`);
    for (let i = 0; i < o.malformed; i += 500) {
      const batch = [];
      for (let j = i; j < Math.min(o.malformed, i + 500); j++) {
        const m = malformedValue(j, () => releases.take() as unknown as Record<string, unknown>);
        kinds.set(m.kind, (kinds.get(m.kind) ?? 0) + 1);
        batch.push({ key: `bad-${m.kind}-${j}`, value: m.value });
      }
      await k.sendBatch(k.topics.songReleased, batch);
    }
    const sentinel = new Map<string, number>();
    await offerReleases(k, releases, 1, 1, sentinel);
    const badKeys = () =>
      new Set([...dlq.values()].map((r) => r.key).filter((key) => key.startsWith('bad-')));
    await waitUntil(
      () => badKeys().size >= o.malformed && songsWithAudience().has([...sentinel.keys()][0]),
      180_000,
      500,
    );
    step(`malformed phase done: ${badKeys().size} in the DLQ`);
    const dlqByKind = new Map<string, number>();
    for (const key of badKeys()) {
      const kind = key.replace(/^bad-/, '').replace(/-\d+$/, '');
      dlqByKind.set(kind, (dlqByKind.get(kind) ?? 0) + 1);
    }
    const validInDlq = [...dlq.values()].filter((r) => sent.has(r.key)).length;
    const malformedCrashes = worker.crashes.length - crashesBefore;

    // ---- 3. poison records ---------------------------------------------------------------
    let poison: PoisonPhase | null = null;
    if ((o.poison ?? 1200) > 0) {
      const pds = await openDatabase(env.config.db, { migrate: false });
      const warmIds = await new SongRepository(pds).sampleIds('warm', 50);
      await pds.destroy();
      poison = await poisonPhase(k, releases, o.poison ?? 1200, warmIds, audiences, dlq, step);
    }

    console.log('\n=== bench:faults ===');
    console.log(`machine: ${machineLine()}`);
    console.log(`data: ${await describeData(env.config)}`);
    console.log(
      `worker: real process (node dist/apps/worker/src/main.js), own KRaft broker 127.0.0.1:${broker.port}, PostgreSQL 127.0.0.1:5432`,
    );
    console.log('timeline:');
    for (const s of steps) console.log(`  ${s}`);
    console.log(
      `releases published: ${sent.size} (acknowledged; ${inputCopies} extra copies written by producer retries, same eventId)`,
    );
    console.log(
      `audience records on song.audience.selected: ${[...perSong.values()].reduce((a, b) => a + b, 0)} for ${perSong.size} songs`,
    );
    console.log(
      `lost (no audience record): ${lost.length}${lost.length ? ` e.g. ${lost.slice(0, 5).join(', ')}` : ''}`,
    );
    console.log(
      `duplicated (>1 audience record): ${duplicated.length}${
        duplicated.length
          ? ` e.g. ${duplicated
              .slice(0, 5)
              .map(([s, n]) => `${s}×${n}`)
              .join(', ')}`
          : ''
      }`,
    );
    console.log(
      `PostgreSQL: ${db.songs} songs, ${db.audiences} audience rows for ${db.audience_songs} songs, ${db.unpublished} never marked published, ${db.claims} event ids claimed`,
    );
    console.log(`valid releases dead-lettered: ${validInDlq}`);
    console.log(`unexpected worker exits during the stream: ${crashesBefore}`);
    console.log(
      `malformed: ${o.malformed} published (${[...kinds].map(([kk, n]) => `${kk} ${n}`).join(', ')})`,
    );
    console.log(
      `  in the DLQ: ${badKeys().size} (${[...dlqByKind].map(([kk, n]) => `${kk} ${n}`).join(', ')}); worker crashes: ${malformedCrashes}; worker alive: ${worker.running}`,
    );
    const sampleReasons = new Map<string, string>();
    for (const r of dlq.values()) {
      const kind = r.key.replace(/^bad-/, '').replace(/-\d+$/, '');
      if (!sampleReasons.has(kind)) sampleReasons.set(kind, (r.headers['x-dlq-reason'] ?? '').slice(0, 110));
    }
    for (const [kind, reason] of sampleReasons) console.log(`  reason (${kind}): ${reason}`);
    console.log(
      `target: zero lost → ${verdict(lost.length === 0)}; zero duplicated → ${verdict(duplicated.length === 0 && db.audiences === db.audience_songs)}`,
    );
    console.log(
      `target: 10,000 malformed, zero crashes, all in the DLQ → ${verdict(malformedCrashes === 0 && badKeys().size === o.malformed && worker.running)}`,
    );
    if (poison) {
      console.log(
        `poison: ${poison.sent} sent (${poison.kinds} kinds), ${poison.deadLettered} in the DLQ; valid ${poison.validProcessed}/${poison.validSent} processed; longest wait ${poison.maxStallSeconds} s`,
      );
      console.log(
        `target: every poison record in the DLQ, every valid one processed, no wait > 5 s → ${verdict(poison.deadLettered >= poison.sent && poison.validProcessed === poison.validSent && poison.maxStallSeconds <= 5)}`,
      );
    }
    if (o.out) {
      const report = {
        machine: machineLine(),
        poison,
        faults: { sent: sent.size, lost: lost.length, duplicated: duplicated.length },
      };
      fs.writeFileSync(o.out, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`wrote ${o.out}`);
    }
  } finally {
    await worker.stop();
    await k.close();
    await broker.release();
  }
}
