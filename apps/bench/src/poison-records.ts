/**
 * bench:faults' poison records: valid JSON that storage or the dead-letter topic would refuse,
 * sent interleaved with valid releases while the faults happen, and how long a valid release
 * waited behind one — outside the restart windows, where waiting is the fault's, not the poison's.
 */
import { randomBytes } from 'node:crypto';
import { sleep, type BenchKafka, type ReleaseSource, type SeenRecord } from './services';

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

/** What the poison sender put on the topic. */
export interface PoisonSent {
  sent: number;
  kinds: number;
  /** Valid releases sent between the poison records: songId → time the broker acknowledged it. */
  validSentAt: Map<string, number>;
}

/** `poison` in `bench:faults --out` (names fixed by the issue that asked for them). */
export interface PoisonPhase {
  sent: number;
  kinds: number;
  deadLettered: number;
  validSent: number;
  validProcessed: number;
  maxStallSeconds: number;
  /** Valid releases right behind a poison record whose wait overlapped a restart window (left out of maxStallSeconds). */
  inRestartWindows: number;
}

/** A fault from its start until the restarted part answered again (ms since the epoch). */
export interface FaultWindow {
  what: string;
  from: number;
  to: number;
}

const BIG_KINDS = ['binary-4mb', 'binary-8mb', 'json-title-9mb', 'json-title-4mb'] as const;

function bigValue(kind: (typeof BIG_KINDS)[number], releases: ReleaseSource): Buffer {
  switch (kind) {
    case 'binary-4mb':
      return randomBytes(4 * 1024 * 1024);
    case 'binary-8mb':
      return randomBytes(8 * 1024 * 1024);
    case 'json-title-9mb':
      return Buffer.from(JSON.stringify({ ...releases.take(), title: 't'.repeat(9_000_000) }));
    case 'json-title-4mb':
      return Buffer.from(JSON.stringify({ ...releases.take(), title: 'u'.repeat(4_000_000) }));
  }
}

/**
 * Sends `count` poison records of every kind, each followed by a valid release (keys spread them
 * over every partition), in small batches paced evenly over `spreadMs`, with the handful of
 * 4–10 MB values among them. Sends retry through broker restarts.
 */
export async function sendPoison(
  k: BenchKafka,
  releases: ReleaseSource,
  count: number,
  warmIds: string[],
  spreadMs: number,
): Promise<PoisonSent> {
  const validSentAt = new Map<string, number>();
  const perBatch = 10;
  const batches = Math.ceil(count / perBatch);
  const bigAt = new Set(BIG_KINDS.map((_, i) => Math.floor(((i + 0.5) * batches) / BIG_KINDS.length)));
  const t0 = Date.now();
  let sent = 0;
  let big = 0;
  for (let b = 0; b < batches; b++) {
    const due = t0 + (b * spreadMs) / batches;
    if (due > Date.now()) await sleep(due - Date.now());
    const batch: Array<{ key: string; value: string | Buffer }> = [];
    for (let j = b * perBatch; j < Math.min(count, (b + 1) * perBatch); j++) {
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
    if (bigAt.has(b) && big < BIG_KINDS.length) {
      // One request each: they are near the broker's limit.
      const kind = BIG_KINDS[big++];
      await k.sendBatch(k.topics.songReleased, [
        { key: `poison-${kind}-${sent}`, value: bigValue(kind, releases) },
      ]);
      sent++;
      const ok = releases.take();
      await k.sendBatch(k.topics.songReleased, [{ key: ok.songId, value: JSON.stringify(ok) }]);
      validSentAt.set(ok.songId, Date.now());
    }
  }
  return { sent, kinds: POISON_KINDS.length + BIG_KINDS.length, validSentAt };
}

export const poisonInDlq = (dlq: Map<string, SeenRecord>): number =>
  new Set([...dlq.values()].map((r) => r.key).filter((key) => key.startsWith('poison-'))).size;

/** songId → when its first song.audience.selected record was seen. */
export function firstAudienceAt(audiences: Map<string, SeenRecord>): Map<string, number> {
  const first = new Map<string, number>();
  for (const r of audiences.values())
    if (!first.has(r.key) || r.at < first.get(r.key)!) first.set(r.key, r.at);
  return first;
}

/**
 * How long valid releases waited behind poison records, per partition of song.released: for
 * each valid record that directly follows a poison record on its partition, the time from the
 * partition's last progress before that poison record (the record ahead of it done: audience
 * published or dead-lettered) until the valid record's audience was published. That is the
 * poison record's cost to its partition, whatever backlog the partition had. Waits that overlap
 * a restart window — from the fault until the worker made progress again — are the restart's
 * and are counted apart.
 */
export function measurePoison(
  poison: PoisonSent,
  released: Map<string, SeenRecord>,
  audiences: Map<string, SeenRecord>,
  dlq: Map<string, SeenRecord>,
  faults: FaultWindow[],
  step: (m: string) => void,
): PoisonPhase {
  const first = firstAudienceAt(audiences);
  const dlqAt = new Map<string, number>();
  for (const r of dlq.values()) if (!dlqAt.has(r.key) || r.at < dlqAt.get(r.key)!) dlqAt.set(r.key, r.at);
  const isPoison = (key: string) => key.startsWith('poison-') || key.startsWith('bad-');
  const doneAt = (key: string) => (isPoison(key) ? dlqAt.get(key) : first.get(key));
  const allDone = [...first.values(), ...dlqAt.values()].sort((a, b) => a - b);
  const windows = faults.map((f) => ({
    ...f,
    to: allDone.find((t) => t > f.to) ?? f.to,
  }));
  for (const w of windows)
    step(
      `restart window ${w.what}: ${((w.to - w.from) / 1000).toFixed(1)} s until the worker made progress again`,
    );
  const partitions = new Map<number, SeenRecord[]>();
  for (const r of released.values()) {
    let list = partitions.get(r.partition);
    if (!list) partitions.set(r.partition, (list = []));
    list.push(r);
  }
  const seenPoison = [...released.values()].filter((r) => r.key.startsWith('poison-')).length;
  step(
    `song.released read back: ${released.size} records on ${partitions.size} partitions, ${seenPoison} of them poison`,
  );
  let maxStallMs = 0;
  let inRestartWindows = 0;
  const waits: Array<[string, number, string]> = [];
  for (const list of partitions.values()) {
    list.sort((a, b) => (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
    for (let i = 2; i < list.length; i++) {
      const [ahead, p, v] = [list[i - 2], list[i - 1], list[i]];
      if (!p.key.startsWith('poison-') || isPoison(v.key)) continue;
      const from = doneAt(ahead.key);
      const to = first.get(v.key);
      if (from === undefined || to === undefined) continue;
      if (windows.some((w) => from <= w.to && to >= w.from)) {
        inRestartWindows++;
        continue;
      }
      maxStallMs = Math.max(maxStallMs, to - from);
      waits.push([v.key, to - from, p.key]);
    }
  }
  waits.sort((a, b) => b[1] - a[1]);
  step(
    `valid releases right behind a poison record: ${waits.length + inRestartWindows} (${inRestartWindows} across a restart window); longest waits: ${waits
      .slice(0, 5)
      .map(([id, ms, behind]) => `${id} ${(ms / 1000).toFixed(2)} s behind ${behind.replace(/-\d+$/, '')}`)
      .join('; ')}`,
  );
  const validProcessed = [...poison.validSentAt.keys()].filter((k) => first.has(k)).length;
  return {
    sent: poison.sent,
    kinds: poison.kinds,
    deadLettered: poisonInDlq(dlq),
    validSent: poison.validSentAt.size,
    validProcessed,
    maxStallSeconds: Math.round(maxStallMs / 10) / 100,
    inRestartWindows,
  };
}
