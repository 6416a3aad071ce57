/**
 * Two workers in one consumer group, as real processes on the real broker and database: worker A
 * consumes a steady stream of releases, worker B joins mid-stream (a rebalance), A is SIGKILLed
 * mid-stream (its partitions pass to B once its session expires), the stream goes on. Nothing
 * may be lost or duplicated: every release ends with exactly one stored audience, and
 * song.audience.selected, read back from the beginning, carries every song exactly once.
 */
import * as http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Kafka } from 'kafkajs';
import { EmbeddingRepository, InteractionRepository, SongRepository, openDatabase } from '@debut/catalog';
import { coldSplit, generateSynthetic, toSongReleasedEvents, type Item } from '@debut/evaluation';
import type { SongReleasedEvent } from '@debut/features';
import { EventPublisher, createKafka, ensureTopics, silentLogger, topicNames } from '@debut/messaging';
import { initTf } from '@debut/models';
import { ModelActivation, importWarm, tfModelLoaders } from '@debut/serving';
import { isolatedEnv, topicReader, waitFor } from './support';
import { trainSmallI2I } from './model-support';
import { AppProcess, ensureBuilt, freePort } from './support/app-process';

jest.setTimeout(240_000);

/** Offered releases per second, sent in small batches (a label's system publishing steadily). */
const RATE = 60;
const TICK_MS = 100;
/** Releases sent at once just before the kill: a few full chunks (256) per partition. */
const BURST = 1500;

let env: Awaited<ReturnType<typeof isolatedEnv>>;
let ds: DataSource;
let kafka: Kafka;
let publisher: EventPublisher;
/** Content of the catalogue's held-out cold songs, released under fresh ids. */
let coldContent: Item[];
const workers: AppProcess[] = [];

/** A worker process with its own metrics port, from which its own progress is read. */
async function startWorker(label: string): Promise<{ proc: AppProcess; selected: () => Promise<number> }> {
  const metricsPort = await freePort();
  const proc = new AppProcess(label, 'worker', {
    WORKER_METRICS_PORT: String(metricsPort),
    // The outbox's recovery lines are info.
    LOG_LEVEL: 'info',
  }).start();
  workers.push(proc);
  return { proc, selected: () => audiencesSelected(metricsPort) };
}

/** `debut_audiences_selected_total` of one worker: audiences it published itself. */
function audiencesSelected(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          const m = /^debut_audiences_selected_total(?:\{[^}]*\})? (\d+)/m.exec(body);
          if (m) resolve(Number(m[1]));
          else reject(new Error('no debut_audiences_selected_total in the worker metrics'));
        });
      })
      .once('error', reject);
  });
}

/** Releases at a steady rate until stopped: content of held-out cold songs under fresh ids. */
class ReleaseStream {
  readonly sent: SongReleasedEvent[] = [];
  private running = true;
  private count = 0;
  private readonly loop: Promise<void>;

  constructor(
    private readonly topic: string,
    private readonly content: Item[],
    rate: number,
  ) {
    const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
    this.loop = (async () => {
      const t0 = Date.now();
      for (let tick = 0; this.running; tick++) {
        const batch = Array.from({ length: perTick }, () => this.next());
        await publisher.publishBatch(
          this.topic,
          batch.map((e) => ({ key: e.songId, value: e })),
        );
        this.sent.push(...batch);
        const wait = t0 + (tick + 1) * TICK_MS - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
  }

  private next(): SongReleasedEvent {
    const i = this.count++;
    const [e] = toSongReleasedEvents([this.content[i % this.content.length]], { seed: i + 1 });
    return {
      ...e,
      eventId: randomUUID(),
      songId: `rb-${env.runId}-${i}`,
      releasedAt: new Date().toISOString(),
    };
  }

  /** `n` releases at once, on top of the steady rate. */
  async burst(n: number): Promise<void> {
    const batch = Array.from({ length: n }, () => this.next());
    await publisher.publishBatch(
      this.topic,
      batch.map((e) => ({ key: e.songId, value: e })),
    );
    this.sent.push(...batch);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

beforeAll(async () => {
  env = await isolatedEnv('rebalance', {
    KAFKA_PARTITIONS: '4',
    AUDIENCE_NEIGHBOURS: '20',
    AUDIENCE_SIZE: '50',
    METRICS_ENABLED: 'true',
  });
  ensureBuilt(['worker']);
  await initTf({ log: () => undefined });
  ds = await openDatabase(env.db);
  const catalogue = generateSynthetic({ seed: 13, songs: 800, users: 400, interactionsPerUser: 25 });
  const split = coldSplit(catalogue, { seed: 13 });
  await importWarm(ds, catalogue, split);
  const { version, versions } = await trainSmallI2I(ds, env, catalogue, split, 13);
  await new ModelActivation(
    env,
    versions,
    new SongRepository(ds),
    new EmbeddingRepository(ds),
    new InteractionRepository(ds),
    tfModelLoaders('auto'),
  ).activate(version);
  kafka = createKafka(env, { clientIdSuffix: '-rebalance-e2e' });
  await ensureTopics(kafka, env, { logger: silentLogger });
  publisher = new EventPublisher(kafka, { logger: silentLogger });
  await publisher.connect();
  const byId = new Map(catalogue.items.map((i) => [i.id, i]));
  coldContent = [...split.coldTestItems, ...split.coldValItems].map((id) => byId.get(id)!);
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL', 1000)));
  await publisher?.disconnect();
  await ds?.destroy();
});

it('loses and duplicates nothing while a worker joins and another is SIGKILLed mid-stream', async () => {
  const topics = topicNames(env.kafka.topicPrefix);
  const a = await startWorker('worker A');
  const progress = (what: string, check: () => Promise<boolean>, timeoutMs = 60_000) =>
    waitFor(what, () => check().catch(() => false), timeoutMs).catch((e: Error) => {
      throw new Error(`${e.message}\n${workers.map((w) => w.tail()).join('\n')}`);
    });
  await progress('worker A serving metrics', async () => (await a.selected()) >= 0);
  const stream = new ReleaseStream(topics.songReleased, coldContent, RATE);
  try {
    await progress('worker A selecting audiences alone', async () => (await a.selected()) >= 60);

    // B joins the group mid-stream: a rebalance, after which each has half of the partitions.
    const b = await startWorker('worker B');
    await progress('worker B selecting audiences', async () => (await b.selected()) > 0);
    const aAtJoin = await a.selected();
    await progress(
      'both workers selecting after the rebalance',
      async () => (await a.selected()) >= aAtJoin + 30 && (await b.selected()) >= 30,
    );

    // A dies mid-stream, and busy: a burst of releases gives it full chunks to work through, and
    // it is killed once it finished one of them, so the kill most likely lands inside the next
    // chunk (its transaction, or between the commit, the broker's acknowledgement and the mark).
    const aBeforeBurst = await a.selected();
    await stream.burst(BURST);
    let aLast = 0;
    await progress(
      'worker A working through the burst',
      async () => (aLast = await a.selected()) >= aBeforeBurst + 200,
    );
    const sentAtKill = stream.sent.length;
    expect(await a.proc.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // What the kill left owed: committed audiences not marked published (B's in-flight ones too).
    const [{ owed }] = await ds.query<Array<{ owed: number }>>(
      'SELECT count(*)::int AS owed FROM audiences WHERE song_id = ANY($1) AND published_at IS NULL',
      [stream.sent.map((e) => e.songId)],
    );
    await progress(
      'the stream going on after the kill',
      async () => stream.sent.length >= sentAtKill + 3 * RATE,
    );
    await stream.stop();

    const songIds = stream.sent.map((e) => e.songId);
    // A's partitions pass to B once A's session expires (30 s): B finishes everything.
    await progress(
      `every one of ${songIds.length} releases with a published audience`,
      async () => {
        const [{ n }] = await ds.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM audiences WHERE song_id = ANY($1) AND published_at IS NOT NULL',
          [songIds],
        );
        return n === songIds.length;
      },
      120_000,
    );
    const bLast = await b.selected();
    const alreadyOut = [
      ...b.proc.output.matchAll(/already on the topic; marked, not re-sent.*"alreadyOut":(\d+)/g),
    ];
    console.log(
      [
        `rebalance e2e: ${songIds.length} releases (${RATE}/s and a burst of ${BURST});`,
        `worker A published ${aLast}+ audiences before its SIGKILL, worker B ${bLast};`,
        `${owed} audiences were committed but not marked published at the kill;`,
        `B found ${alreadyOut.reduce((n, m) => n + Number(m[1]), 0)} owed audiences already on the topic (marked, not re-sent)`,
      ].join(' '),
    );
    expect(aLast).toBeGreaterThan(aAtJoin);
    expect(bLast).toBeGreaterThan(0);
    expect(workers[1].exit).toBeNull();

    // Exactly one stored audience per song.
    const rows = await ds.query<Array<{ song_id: string; n: number }>>(
      'SELECT song_id, count(*)::int AS n FROM audiences WHERE song_id = ANY($1) GROUP BY song_id',
      [songIds],
    );
    expect(rows.length).toBe(songIds.length);
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    const [{ claims }] = await ds.query<Array<{ claims: number }>>(
      'SELECT count(*)::int AS claims FROM processed_events WHERE event_id = ANY($1)',
      [stream.sent.map((e) => e.eventId)],
    );
    expect(claims).toBe(songIds.length);

    // The topic, read from the beginning by a fresh group up to its end: every song once.
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topics.songAudienceSelected).finally(() => admin.disconnect());
    const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    const reader = await topicReader(kafka, topics.songAudienceSelected);
    try {
      await waitFor(`all ${total} audience records read back`, () => reader.records.length >= total, 60_000);
      const perSong = new Map<string, number>();
      for (const r of reader.records) perSong.set(r.key ?? '', (perSong.get(r.key ?? '') ?? 0) + 1);
      const twice = [...perSong].filter(([, n]) => n > 1);
      const missing = songIds.filter((id) => !perSong.has(id));
      expect({ missing, twice }).toEqual({ missing: [], twice: [] });
      expect(perSong.size).toBe(songIds.length);
    } finally {
      await reader.stop();
    }
  } finally {
    await stream.stop();
  }
});
