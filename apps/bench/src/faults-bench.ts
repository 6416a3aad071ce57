/**
 * bench:faults (DESIGN.md §7): a stream of releases while the worker is killed with SIGKILL,
 * the broker is restarted and PostgreSQL is restarted; then every release must have exactly one
 * audience (lost = none, duplicated = more than one song.audience.selected record or row), and
 * poison records (valid JSON that storage or the DLQ topic would refuse) are interleaved with
 * valid releases throughout: every poison record in the DLQ, every valid release processed
 * once, none stalled > 5 s outside the restart windows. Then 10,000 malformed events: the worker
 * must not crash and every one must reach the DLQ.
 */
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
import {
  measurePoison,
  poisonInDlq,
  sendPoison,
  type FaultWindow,
  type PoisonPhase,
  type PoisonSent,
} from './poison-records';

export interface FaultsBenchOptions {
  events: number;
  rate: number;
  malformed: number;
  epochs: number;
  /** Poison records sent among the stream's releases (default 1200; 0 sends none). */
  poison?: number;
  /** Writes `{ machine, poison, faults }` as JSON here. */
  out?: string;
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

    // ---- 1. a stream with three faults in it, poison records interleaved -----------------
    const pds = await openDatabase(env.config.db, { migrate: false });
    const warmIds = await new SongRepository(pds).sampleIds('warm', 50);
    await pds.destroy();
    const sent = new Map<string, number>();
    const eventIds = new Map<string, string>();
    const streamSeconds = o.events / o.rate;
    const poisonCount = o.poison ?? 1200;
    step(
      `stream: ${o.events} releases at ${o.rate}/s (${streamSeconds.toFixed(0)} s)` +
        (poisonCount
          ? `, with ${poisonCount} poison records, each followed by a valid release, spread over it`
          : ''),
    );
    const stream = offerReleases(k, releases, o.events, o.rate, sent, eventIds);
    const poisonSending: Promise<PoisonSent | null> = poisonCount
      ? sendPoison(k, releases, poisonCount, warmIds, streamSeconds * 900)
      : Promise.resolve(null);
    const faults: FaultWindow[] = [];
    const at = async (fraction: number) => {
      while (sent.size < o.events * fraction) await sleep(50);
    };
    await at(0.15);
    let from = Date.now();
    await worker.kill9();
    step(`kill -9 worker after ${sent.size} releases published`);
    await sleep(2000);
    worker.start();
    faults.push({ what: 'kill -9 worker', from, to: Date.now() });
    step('worker restarted');
    await at(0.4);
    step(`broker stop after ${sent.size} releases published`);
    from = Date.now();
    await broker.stop();
    await sleep(2000);
    await broker.start();
    faults.push({ what: 'broker restart', from, to: Date.now() });
    step('broker restarted');
    await at(0.7);
    step(`PostgreSQL restart after ${sent.size} releases published`);
    from = Date.now();
    const pgMs = await restartPostgres();
    faults.push({ what: 'PostgreSQL restart', from, to: Date.now() });
    step(`PostgreSQL back (${pgMs} ms)`);
    await stream;
    const poisonSent = await poisonSending;
    step('stream published (all acknowledged)');
    const validSentAt = new Map([...sent, ...(poisonSent?.validSentAt ?? [])]);
    const settled = await waitUntil(
      () =>
        [...validSentAt.keys()].every((s) => songsWithAudience().has(s)) &&
        poisonInDlq(dlq) >= (poisonSent?.sent ?? 0),
      240_000,
      500,
    );
    step(
      settled
        ? 'every valid release has an audience record, every poison record is dead-lettered'
        : 'gave up waiting after 240 s',
    );
    await sleep(5000); // late duplicates (redeliveries after a restart) would show up now

    const perSong = new Map<string, number>();
    for (const r of audiences.values())
      if (validSentAt.has(r.key)) perSong.set(r.key, (perSong.get(r.key) ?? 0) + 1);
    const lost = [...validSentAt.keys()].filter((s) => !perSong.has(s));
    const duplicated = [...perSong].filter(([, n]) => n > 1);
    const inputCopies = [...released.values()].filter((r) => sent.has(r.key)).length - sent.size;
    const ds = await openDatabase(env.config.db, { migrate: false });
    const tally = await new StatsRepository(ds).releaseTally(`r-${env.runId}-`, [...eventIds.values()]);
    const db = { ...tally, audience_songs: tally.audienceSongs };
    await ds.destroy();
    const poison: PoisonPhase | null = poisonSent
      ? measurePoison(poisonSent, released, audiences, dlq, faults, step)
      : null;

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

    console.log('\n=== bench:faults ===');
    console.log(`machine: ${machineLine()}`);
    console.log(`data: ${await describeData(env.config)}`);
    console.log(
      `worker: real process (node dist/apps/worker/src/main.js), own KRaft broker 127.0.0.1:${broker.port}, PostgreSQL 127.0.0.1:5432`,
    );
    console.log('timeline:');
    for (const s of steps) console.log(`  ${s}`);
    console.log(
      `valid releases published: ${validSentAt.size} (${sent.size} in the stream, ${validSentAt.size - sent.size} between poison records; acknowledged; ${inputCopies} extra stream copies written by producer retries, same eventId)`,
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
        `poison: ${poison.sent} sent (${poison.kinds} kinds), ${poison.deadLettered} in the DLQ; valid ${poison.validProcessed}/${poison.validSent} processed; longest wait outside restart windows ${poison.maxStallSeconds} s (of the valid releases right behind one; ${poison.inRestartWindows} more waited across a restart window)`,
      );
      console.log(
        `target: every poison record in the DLQ, every valid one processed, no wait > 5 s → ${verdict(poison.deadLettered >= poison.sent && poison.validProcessed === poison.validSent && poison.maxStallSeconds <= 5)}`,
      );
    }
    if (o.out) {
      const report = {
        machine: machineLine(),
        poison,
        faults: { sent: validSentAt.size, lost: lost.length, duplicated: duplicated.length },
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
