import { DataSource } from 'typeorm';
import { Log } from '@debut/config';
import {
  AudienceEntity,
  AudienceRepository,
  EmbeddingRepository,
  NewSong,
  ProcessedEventRepository,
  SongRepository,
  SupersededVersionError,
} from '@debut/catalog';
import { FeatureSchema, ReleaseLimits, SongReleasedEvent, validateSongReleased } from '@debut/features';
import { BatchReject, ConsumedMessage, EventPublisher } from '@debut/messaging';
import {
  AudienceService,
  ModelRuntime,
  NoActiveModelError,
  PendingAudienceReplay,
  type PublishedRecords,
  audienceRow,
  publishAudiences,
  publishOwedAudiences,
  songContent,
} from '@debut/serving';

/** `song.audience.selected` (DESIGN.md §4): one definition, shared with the api's recompute. */
export type { AudienceSelectedEvent } from '@debut/serving';

export interface BatchOutcome {
  selected: number;
  storedWithoutModel: number;
  duplicates: number;
  republished: number;
}

/**
 * song.released → validate → store the song → encode with the active I2I model → warm
 * neighbours → AudienceSelector → store the audience → publish song.audience.selected.
 *
 * It runs on a chunk of one partition at a time: one forward pass, one FAISS batch search, one
 * listener read, one transaction and one publish for the whole chunk, which is what lets one
 * worker keep up with hundreds of releases per second.
 *
 * Exactly-once in effect: event ids are claimed in the same transaction that writes the songs,
 * their vectors and their audiences, so a redelivery writes nothing. Audience rows double as an
 * outbox: they are marked published only after the broker acknowledged them, and a redelivery of
 * a claimed event re-publishes an audience that never got out (a crash between commit and
 * publish), so nothing is lost either.
 */
export class ReleasePipeline {
  private readonly log = new Log('release-pipeline');
  /** Called with the audiences each chunk published (metrics). */
  onPublished: ((audiences: AudienceEntity[]) => void) | null = null;

  constructor(
    private readonly ds: DataSource,
    private readonly songs: SongRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly audiences: AudienceRepository,
    private readonly processed: ProcessedEventRepository,
    private readonly runtime: ModelRuntime,
    private readonly audienceService: AudienceService,
    private readonly publisher: EventPublisher,
    private readonly audienceTopic: string,
    private readonly fallbackSchema: FeatureSchema,
    /** Reads the audience topic back, so a redelivery after a crash sends only what is not out. */
    private readonly published: PublishedRecords,
    /** What a release may ask of its audience (AUDIENCE_MAX_LIMIT); absent: the contract's ceiling. */
    private readonly limits?: ReleaseLimits,
  ) {
    this.pendingReplay = new PendingAudienceReplay(
      runtime,
      songs,
      audiences,
      audienceService,
      publisher,
      audienceTopic,
    );
    runtime.onSwitch((state) => {
      this.pendingMaybe = true;
      if (state.i2i) void this.replayPending();
    });
  }

  private readonly pendingReplay: PendingAudienceReplay;
  /**
   * Whether releases may be queued for an audience: at start, after a switch, after this process
   * queued some, after a replay that published some (there may be more) or failed. Otherwise the
   * queue is looked at only every PENDING_RECHECK_MS (another process may have queued songs and
   * died before its own switch replayed them), not once per chunk.
   */
  private pendingMaybe = true;
  private pendingCheckedAt = 0;

  /** Audiences for releases queued while no I2I model was active; a failure is retried on the next chunk. */
  private async replayPending(): Promise<void> {
    if (!this.pendingMaybe && Date.now() - this.pendingCheckedAt < PENDING_RECHECK_MS) return;
    this.pendingMaybe = false;
    this.pendingCheckedAt = Date.now();
    try {
      const published = await this.pendingReplay.replay();
      if (published) {
        this.pendingMaybe = true;
        this.log.info('queued releases got their audience', { published });
      }
    } catch (e) {
      this.pendingMaybe = true;
      this.log.warn('replaying queued releases failed; retried later', { error: String(e) });
    }
  }

  /**
   * Reads the established songs' listener lists into the cache before the first release (see
   * CachedListenerSource.warm), within `budgetMs`; a failure only leaves the cache to fill lazily.
   */
  async warmListeners(budgetMs = LISTENER_WARM_BUDGET_MS): Promise<void> {
    const t0 = performance.now();
    try {
      const warmed = await this.audienceService.listeners.warm(this.songs.idPages('warm'), { budgetMs });
      this.log.info('listener lists warmed', {
        ...warmed,
        seconds: Math.round(performance.now() - t0) / 1000,
      });
    } catch (e) {
      this.log.warn('warming the listener cache failed; it fills as releases ask', { error: String(e) });
    }
  }

  /** The schema a release must satisfy: the active model's, or the deployment's default. */
  get schema(): FeatureSchema {
    return this.runtime.i2i?.encoder.schema ?? this.fallbackSchema;
  }

  /** A chunk of song.released records: malformed ones are returned for the DLQ, the rest processed. */
  async handleBatch(messages: ConsumedMessage[]): Promise<BatchReject[]> {
    // The chunk's receipt, stored beside each audience's selected_at (latency from event to audience).
    const receivedAt = new Date();
    const rejects: BatchReject[] = [];
    const events: Array<{ message: ConsumedMessage; event: SongReleasedEvent }> = [];
    for (const message of messages) {
      const checked = validateSongReleased(message.json ?? message.value, this.schema, this.limits);
      if (checked.ok) events.push({ message, event: checked.value });
      else rejects.push({ message, reason: checked.reason });
    }
    const warm = await this.warmSongs(events.map((e) => e.event.songId));
    const fresh = events.filter(({ message, event }) => {
      if (!warm.has(event.songId)) return true;
      rejects.push({ message, reason: reReleaseReason(event.songId) });
      return false;
    });
    if (fresh.length)
      await this.processMany(
        fresh.map((e) => e.event),
        messages[0].topic,
        receivedAt,
      );
    return rejects;
  }

  /**
   * The re-release rule: a release may update a song that is still cold (its content and vectors
   * change, its first audience stays), but never an established (warm) one, whose vectors and
   * listeners other songs' audiences are built on.
   */
  private async warmSongs(ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const pools = await this.songs.poolsOf([...new Set(ids)]);
    return new Set([...pools].filter(([, pool]) => pool === 'warm').map(([id]) => id));
  }

  async processMany(
    events: SongReleasedEvent[],
    topic: string,
    receivedAt: Date = new Date(),
  ): Promise<BatchOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.processOnce(events, topic, receivedAt);
      } catch (e) {
        // An activation flipped while this chunk was computed with the replaced version: follow
        // the switch and compute again (nothing was written: the transaction rolled back).
        if (!(e instanceof SupersededVersionError) || attempt >= 3) throw e;
        await this.runtime.refresh();
      }
    }
  }

  private async processOnce(
    events: SongReleasedEvent[],
    topic: string,
    receivedAt: Date,
  ): Promise<BatchOutcome> {
    const i2i = this.runtime.i2i;
    const dssm = this.runtime.dssm;
    const timer = new StageTimer();
    // The same event twice in one chunk: the first copy counts, later ones are redeliveries.
    const seen = new Set<string>();
    const firstCopies = events.filter((e) => !seen.has(e.eventId) && seen.add(e.eventId));
    // One row per song (a re-release in the same chunk: its latest content wins).
    const bySong = new Map(firstCopies.map((e) => [e.songId, e] as const));
    const songs = [...bySong.values()].map((e) => ({
      songId: e.songId,
      content: songContent(e),
      release: e,
    }));
    // Model work before the transaction, so no transaction stays open while the model runs.
    const selected = i2i ? await this.audienceService.selectMany(songs) : [];
    timer.lap('select');
    const dssmRows = dssm
      ? new SongRows(songs, dssm.model.embedItems(songs.map((s) => s.content)), dssm.model.dim)
      : null;
    timer.lap('dssm');

    // One transaction for the whole chunk: the claim of its event ids and every row they cause.
    const { claimedSongs, inserted } = await this.ds.transaction(async (m) => {
      const fresh = await this.processed.unclaimed(
        m,
        firstCopies.map((e) => e.eventId),
        topic,
      );
      timer.lap('claim');
      const claimedSongs = new Set(firstCopies.filter((e) => fresh.has(e.eventId)).map((e) => e.songId));
      const none = { claimedSongs, inserted: [] as AudienceEntity[] };
      if (!claimedSongs.size) return none;
      await this.songs.upsertMany(
        [...claimedSongs].map((id) => toSong(bySong.get(id)!)),
        m,
      );
      timer.lap('songs');
      if (dssm && dssmRows) {
        const { ids, vectors } = dssmRows.only(claimedSongs);
        await this.embeddings.upsertSongVectors(dssm.version, ids, vectors, dssm.model.dim, m);
      }
      if (!i2i) {
        // No audience without an I2I model: the songs are queued and get one once a model is active.
        const eventOf = (id: string) =>
          firstCopies.find((e) => e.songId === id && fresh.has(e.eventId))?.eventId;
        await this.audiences.queuePending(
          m,
          [...claimedSongs].map((songId) => ({ songId, eventId: eventOf(songId) ?? null })),
        );
        this.pendingMaybe = true;
        return none;
      }
      const mine = selected.filter((s) => claimedSongs.has(s.songId));
      const i2iRows = new SongRows(mine, concat(mine.map((s) => s.vector)), i2i.encoder.dim);
      await this.embeddings.upsertSongVectors(
        i2i.version,
        i2iRows.ids,
        i2iRows.vectors,
        i2i.encoder.dim,
        m,
        undefined,
        false,
        mine.map((s) => s.sid),
      );
      timer.lap('vectors');
      const eventOf = new Map(
        firstCopies.filter((e) => fresh.has(e.eventId)).map((e) => [e.songId, e.eventId] as const),
      );
      // A re-release of a song that already has an audience under this version keeps the first.
      const rows = mine.map((s) => audienceRow(s, eventOf.get(s.songId) ?? null, receivedAt));
      const got = await this.audiences.insertMany(rows, m);
      timer.lap('audiences');
      return { claimedSongs, inserted: rows.filter((r) => got.has(r.songId)) };
    });
    timer.lap('commit');

    await this.publish(inserted);
    timer.lap('publish');
    // Redeliveries publish again only what never reached the broker (a crash after the commit, or
    // after the broker's acknowledgement but before the mark: the topic is read back for those).
    const duplicateSongs = [...new Set(events.map((e) => e.songId).filter((id) => !claimedSongs.has(id)))];
    const pending = (await this.audiences.latestMany(duplicateSongs)).filter((a) => !a.publishedAt);
    if (pending.length) {
      const { sent, alreadyOut } = await publishOwedAudiences(
        this.publisher,
        this.published,
        this.audienceTopic,
        this.audiences,
        pending,
      );
      if (sent.length) this.onPublished?.(sent);
      if (alreadyOut)
        this.log.info('owed audiences were already on the topic; marked, not re-sent', { alreadyOut });
    }
    // The DSSM cold pool follows the change log; reading it now makes this chunk's songs gateable
    // here at once (other processes catch up on their next poll). After the publish, so the
    // audiences do not wait for it; without a DSSM the chunk changed no pool (its songs are cold,
    // the I2I pool is the warm one). A failure leaves it to the poll.
    if (claimedSongs.size && dssm)
      await this.runtime
        .refresh()
        .catch((e: unknown) => this.log.warn('pool refresh after a release failed', { error: String(e) }));
    if (i2i) await this.replayPending();
    timer.lap('after');
    this.log.debug('release chunk', { events: events.length, ...timer.ms() });
    if (!i2i && claimedSongs.size) {
      this.log.warn('songs stored without an audience: queued until an I2I model is active', {
        songs: claimedSongs.size,
        reason: new NoActiveModelError('i2i').message,
      });
    }
    return {
      selected: inserted.length,
      storedWithoutModel: i2i ? 0 : claimedSongs.size,
      duplicates: events.length - claimedSongs.size,
      republished: pending.length,
    };
  }

  private async publish(rows: AudienceEntity[]): Promise<void> {
    if (!rows.length) return;
    await publishAudiences(this.publisher, this.audienceTopic, this.audiences, rows);
    this.onPublished?.(rows);
  }
}

/** How long a worker start may spend reading listener lists before it consumes. */
const LISTENER_WARM_BUDGET_MS = 60_000;

/** How long the queue of releases waiting for a model goes unread when nothing says it has any. */
const PENDING_RECHECK_MS = 30_000;

/** Wall-clock milliseconds of a chunk's stages, for the debug log. */
class StageTimer {
  private last = performance.now();
  private readonly stages: Record<string, number> = {};

  lap(stage: string): void {
    const now = performance.now();
    this.stages[`${stage}Ms`] = Math.round(now - this.last);
    this.last = now;
  }

  ms(): Record<string, number> {
    return this.stages;
  }
}

export function reReleaseReason(songId: string): string {
  return `songId: ${songId} is an established (warm) song; a release cannot overwrite it (publish new content under a new songId)`;
}

function toSong(e: SongReleasedEvent): NewSong {
  return {
    id: e.songId,
    title: e.title,
    artistId: e.artistId,
    language: e.language,
    genres: e.genres,
    releasedAt: new Date(e.releasedAt),
    features: e.features,
    pool: 'cold',
    availability: e.availability ?? null,
    explicit: e.explicit ?? false,
    audienceBudget: e.audienceBudget ?? null,
  };
}

/** Row-major vectors of songs, and the subset of some of them. */
class SongRows {
  readonly ids: string[];

  constructor(
    songs: ReadonlyArray<{ songId: string }>,
    readonly vectors: Float32Array,
    private readonly dim: number,
  ) {
    this.ids = songs.map((s) => s.songId);
  }

  only(keep: ReadonlySet<string>): { ids: string[]; vectors: Float32Array } {
    const ids = this.ids.filter((id) => keep.has(id));
    const vectors = new Float32Array(ids.length * this.dim);
    let r = 0;
    this.ids.forEach((id, i) => {
      if (keep.has(id)) vectors.set(this.vectors.subarray(i * this.dim, (i + 1) * this.dim), r++ * this.dim);
    });
    return { ids, vectors };
  }
}

function concat(rows: Float32Array[]): Float32Array {
  const out = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let o = 0;
  for (const r of rows) {
    out.set(r, o);
    o += r.length;
  }
  return out;
}
