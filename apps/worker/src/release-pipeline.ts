import { DataSource } from 'typeorm';
import { Log } from '@debut/config';
import {
  AudienceEntity,
  AudienceRepository,
  EmbeddingRepository,
  ProcessedEventRepository,
  SongRepository,
} from '@debut/catalog';
import { FeatureSchema, SongReleasedEvent, validateSongReleased } from '@debut/features';
import { ConsumedMessage, EventPublisher, MalformedEventError } from '@debut/messaging';
import { AudienceService, ModelRuntime, NoActiveModelError, audienceRow, songContent } from '@debut/serving';

/** `song.audience.selected` (DESIGN.md §4). */
export interface AudienceSelectedEvent {
  songId: string;
  modelVersion: string;
  audience: Array<{ userId: string; score: number }>;
  neighbours: Array<{ songId: string; similarity: number }>;
  selectedAt: string;
}

export type ReleaseOutcome = 'selected' | 'stored-without-model' | 'duplicate' | 'republished';

/**
 * song.released → validate → store the song → encode with the active I2I model → warm
 * neighbours → AudienceSelector → store the audience → publish song.audience.selected.
 *
 * Exactly-once in effect: the event id is claimed in the same transaction that writes the song,
 * its vectors and its audience, so a redelivery writes nothing. The audience row doubles as an
 * outbox: it is marked published only after the broker acknowledged the event, and a
 * redelivery of a claimed event re-publishes an audience that never got out (a crash between
 * commit and publish), so nothing is lost either.
 */
export class ReleasePipeline {
  private readonly log = new Log('release-pipeline');

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
  ) {}

  /** The schema a release must satisfy: the active model's, or the deployment's default. */
  get schema(): FeatureSchema {
    return this.runtime.i2i?.encoder.schema ?? this.fallbackSchema;
  }

  async handle(message: ConsumedMessage): Promise<ReleaseOutcome> {
    const checked = validateSongReleased(message.json ?? message.value, this.schema);
    if (!checked.ok) throw new MalformedEventError(checked.reason);
    return this.process(checked.value, message.topic);
  }

  async process(event: SongReleasedEvent, topic: string): Promise<ReleaseOutcome> {
    const i2i = this.runtime.i2i;
    const dssm = this.runtime.dssm;
    let audience: AudienceEntity | null = null;
    const claimed = await this.ds.transaction(async (m) => {
      if (!(await this.processed.claim(m, event.eventId, topic))) return false;
      await this.songs.upsert(
        {
          id: event.songId,
          title: event.title,
          artistId: event.artistId,
          language: event.language,
          genres: event.genres,
          releasedAt: new Date(event.releasedAt),
          features: event.features,
          pool: 'cold',
        },
        m,
      );
      const content = songContent(event);
      if (dssm) {
        const item = dssm.model.embedItems([content]);
        await this.embeddings.upsertSongVectors(dssm.version, [event.songId], item, dssm.model.dim, m);
      }
      if (!i2i) return true;
      const selected = await this.audienceService.select(event.songId, content);
      await this.embeddings.upsertSongVectors(selected.modelVersion, [event.songId], selected.vector, i2i.encoder.dim, m);
      audience = audienceRow(event.songId, selected, event.eventId);
      // A re-release of a song that already has an audience under this version keeps the first.
      if (!(await this.audiences.insert(audience, m))) audience = await this.audiences.find(event.songId, selected.modelVersion);
      return true;
    });

    if (!claimed) return (await this.republishIfPending(event.songId)) ? 'republished' : 'duplicate';
    if (dssm) dssm.cold.add([event.songId], (await this.embeddings.songVectorsFor(dssm.version, [event.songId])).get(event.songId)!);
    if (!audience) {
      this.log.warn('song stored without an audience', { songId: event.songId, reason: new NoActiveModelError('i2i').message });
      return 'stored-without-model';
    }
    await this.publish(audience);
    return 'selected';
  }

  private async republishIfPending(songId: string): Promise<boolean> {
    const latest = await this.audiences.latest(songId);
    if (!latest || latest.publishedAt) return false;
    await this.publish(latest);
    return true;
  }

  private async publish(a: AudienceEntity): Promise<void> {
    const event: AudienceSelectedEvent = {
      songId: a.songId,
      modelVersion: a.modelVersion,
      audience: a.members.map((m) => ({ userId: m.userId, score: m.score })),
      neighbours: a.neighbours,
      selectedAt: new Date(a.selectedAt).toISOString(),
    };
    await this.publisher.publish(this.audienceTopic, a.songId, event);
    await this.audiences.markPublished(a.songId, a.modelVersion);
  }
}
