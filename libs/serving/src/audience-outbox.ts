import type { AudienceEntity, AudienceRepository, SongRepository } from '@debut/catalog';
import { audienceRow, type AudienceService } from './audience.service';
import type { ModelRuntime } from './model-runtime';
import { songContent } from './song-content';

/** `song.audience.selected`: what downstream tools receive for a selected audience. */
export interface AudienceSelectedEvent {
  songId: string;
  modelVersion: string;
  /** The audience method that selected it (additive field). */
  method: string;
  audience: Array<{ userId: string; score: number }>;
  neighbours: Array<{ songId: string; similarity: number }>;
  selectedAt: string;
  /**
   * The song's semantic ID under `modelVersion` ("12-5-40", coarse code first; additive, optional:
   * absent when the version has no codebook). Songs sharing a prefix sit in one region of the
   * I2I space (docs/semantic-ids.md).
   */
  sid?: string;
}

/** What the outbox needs of a producer (EventPublisher): one acknowledged batch. */
export interface AudiencePublisher {
  publishBatch(topic: string, events: Array<{ key: string | null; value: unknown }>): Promise<unknown>;
}

export function audienceEvent(a: AudienceEntity): AudienceSelectedEvent {
  return {
    songId: a.songId,
    modelVersion: a.modelVersion,
    method: a.method,
    audience: a.members.map((m) => ({ userId: m.userId, score: m.score })),
    neighbours: a.neighbours,
    selectedAt: new Date(a.selectedAt).toISOString(),
    ...(a.sid ? { sid: a.sid } : {}),
  };
}

/**
 * The outbox step for stored audience rows: publish them (acks=all), then mark exactly what was
 * sent as published. The mark names each row's selected_at, so a row replaced meanwhile (another
 * recompute) keeps owing its own event instead of inheriting this one's mark.
 */
export async function publishAudiences(
  publisher: AudiencePublisher,
  topic: string,
  audiences: Pick<AudienceRepository, 'markPublished'>,
  rows: AudienceEntity[],
): Promise<void> {
  if (!rows.length) return;
  await publisher.publishBatch(
    topic,
    rows.map((a) => ({ key: a.songId, value: audienceEvent(a) })),
  );
  await audiences.markPublished(
    rows.map((a) => ({ songId: a.songId, modelVersion: a.modelVersion, selectedAt: new Date(a.selectedAt) })),
  );
}

/** What the outbox needs to read back a topic (TopicReader): the records appended since a time. */
export interface PublishedRecords {
  recordsSince(topic: string, sinceMs: number): Promise<Array<{ value: Buffer | null }>>;
}

/**
 * Producer timestamps come from the publishing process's clock and `selected_at` from
 * PostgreSQL's; the read-back window starts this much earlier so a skew between them cannot hide
 * a record that is there.
 */
const CLOCK_SKEW_MARGIN_MS = 60_000;

const eventKey = (e: Pick<AudienceSelectedEvent, 'songId' | 'modelVersion' | 'selectedAt'>) =>
  JSON.stringify([e.songId, e.modelVersion, e.selectedAt]);

/**
 * Publishes rows that are owed but may already be out: a process killed after the broker
 * acknowledged a batch and before the mark committed leaves them unmarked. Reads the topic back
 * from just before the oldest row's selection, marks the rows whose exact event (song, version,
 * selectedAt) is there, and publishes only the rest — so recovery neither loses nor duplicates.
 */
export async function publishOwedAudiences(
  publisher: AudiencePublisher,
  published: PublishedRecords,
  topic: string,
  audiences: Pick<AudienceRepository, 'markPublished' | 'whileRepublishing'>,
  rows: AudienceEntity[],
): Promise<{ sent: AudienceEntity[]; alreadyOut: number }> {
  if (!rows.length) return { sent: [], alreadyOut: 0 };
  // One republisher at a time across processes: the read-back below then sees what the last one sent.
  return audiences.whileRepublishing(() => republish(publisher, published, topic, audiences, rows));
}

async function republish(
  publisher: AudiencePublisher,
  published: PublishedRecords,
  topic: string,
  audiences: Pick<AudienceRepository, 'markPublished'>,
  rows: AudienceEntity[],
): Promise<{ sent: AudienceEntity[]; alreadyOut: number }> {
  const since = Math.min(...rows.map((r) => new Date(r.selectedAt).getTime())) - CLOCK_SKEW_MARGIN_MS;
  const seen = new Set<string>();
  for (const record of await published.recordsSince(topic, since)) {
    const event = parseEvent(record.value);
    if (event) seen.add(eventKey(event));
  }
  const out = rows.filter((r) => seen.has(eventKey(audienceEvent(r))));
  if (out.length) {
    await audiences.markPublished(
      out.map((a) => ({
        songId: a.songId,
        modelVersion: a.modelVersion,
        selectedAt: new Date(a.selectedAt),
      })),
    );
  }
  const owed = rows.filter((r) => !out.includes(r));
  await publishAudiences(publisher, topic, audiences, owed);
  return { sent: owed, alreadyOut: out.length };
}

function parseEvent(value: Buffer | null): AudienceSelectedEvent | null {
  if (!value) return null;
  try {
    const e = JSON.parse(value.toString('utf8')) as Partial<AudienceSelectedEvent>;
    return typeof e.songId === 'string' &&
      typeof e.modelVersion === 'string' &&
      typeof e.selectedAt === 'string'
      ? (e as AudienceSelectedEvent)
      : null;
  } catch {
    return null;
  }
}

/**
 * Gives the releases that were stored while no I2I model was active their audience once one is:
 * selects it, stores it (unpublished), publishes what is owed, and only then takes the songs off
 * the queue. A crash anywhere leaves them queued or owed, so the next run finishes the job (the
 * event may then go out twice, as with any outbox redelivery, never zero times).
 */
export class PendingAudienceReplay {
  constructor(
    private readonly runtime: ModelRuntime,
    private readonly songs: Pick<SongRepository, 'findByIds'>,
    private readonly audiences: Pick<
      AudienceRepository,
      'pending' | 'insertMany' | 'latestMany' | 'markPublished' | 'clearPending'
    >,
    private readonly audienceService: AudienceService,
    private readonly publisher: AudiencePublisher,
    private readonly topic: string,
  ) {}

  /** Handles up to `limit` queued releases; returns how many got their audience published. */
  async replay(limit = 256): Promise<number> {
    if (!this.runtime.state.i2i) return 0;
    const queued = await this.audiences.pending(limit);
    if (!queued.length) return 0;
    const ids = queued.map((q) => q.songId);
    const eventOf = new Map(queued.map((q) => [q.songId, q.eventId] as const));
    const stored = await this.songs.findByIds(ids);
    const selected = await this.audienceService.selectMany(
      stored.map((s) => ({ songId: s.id, content: songContent(s), release: s })),
    );
    await this.audiences.insertMany(selected.map((s) => audienceRow(s, eventOf.get(s.songId) ?? null)));
    const owed = (await this.audiences.latestMany(ids)).filter((a) => !a.publishedAt);
    await publishAudiences(this.publisher, this.topic, this.audiences, owed);
    // A queued song that no longer exists has nothing to wait for.
    const done = [
      ...new Set([...selected.map((s) => s.songId), ...ids.filter((id) => !stored.some((s) => s.id === id))]),
    ];
    await this.audiences.clearPending(done);
    return owed.length;
  }
}

/**
 * Finishes what no redelivery will: audience rows committed but never published (the api died
 * between a recompute's commit and its publish, say). Every `intervalMs` it takes the rows owed
 * for over `olderThanSeconds` — long past any in-flight publish — and publishes them through
 * publishOwedAudiences, so a row whose event did reach the broker is only marked. Runs never
 * overlap, and one process sweeps at a time (the repository's advisory lock).
 */
export class OutboxSweep {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly audiences: Pick<
      AudienceRepository,
      'sweepUnpublished' | 'markPublished' | 'whileRepublishing'
    >,
    private readonly publisher: AudiencePublisher,
    private readonly published: PublishedRecords,
    private readonly topic: string,
    private readonly options: { olderThanSeconds?: number; limit?: number; intervalMs?: number } = {},
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  /** One pass; returns how many owed audiences it sent (0 when another process holds the sweep). */
  async sweep(): Promise<number> {
    let sent = 0;
    await this.audiences.sweepUnpublished(
      this.options.olderThanSeconds ?? 60,
      this.options.limit ?? 500,
      async (rows) => {
        sent = (await publishOwedAudiences(this.publisher, this.published, this.topic, this.audiences, rows))
          .sent.length;
      },
    );
    return sent;
  }

  start(): void {
    const tick = () => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch(this.onError)
        .finally(() => {
          this.running = null;
          if (this.timer) this.timer = setTimeout(tick, this.options.intervalMs ?? 30_000);
        });
    };
    this.timer = setTimeout(tick, this.options.intervalMs ?? 30_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
