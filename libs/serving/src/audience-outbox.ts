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
      stored.map((s) => ({ songId: s.id, content: songContent(s) })),
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
