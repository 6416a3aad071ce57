import { BadRequestException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { FilteredCounts } from '@debut/audience';
import { DEBUT_CONFIG, type DebutConfig } from '@debut/config';
import { AudienceRepository, EmbeddingRepository, SongRepository, type AudienceMember } from '@debut/catalog';
import { EventPublisher, TOPICS, type TopicNames } from '@debut/messaging';
import {
  AudienceCache,
  AudienceService,
  GateService,
  ModelRuntime,
  audienceRow,
  UnknownEntityError,
  publishAudiences,
  requireActive,
  songContent,
} from '@debut/serving';

/** Audience lookup and similar songs for one song. */
@Injectable()
export class SongsService {
  constructor(
    private readonly songs: SongRepository,
    private readonly audiences: AudienceRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly runtime: ModelRuntime,
    private readonly audienceService: AudienceService,
    private readonly gate: GateService,
    private readonly publisher: EventPublisher,
    @Inject(TOPICS) private readonly topics: TopicNames,
    private readonly audienceCache: AudienceCache,
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
  ) {}

  /**
   * The audience an audience request asks for: the stored one cut at `limit`, unless the request
   * needs a fresh selection — a market (`region`), `excludeExposed`, or a `limit` given above both
   * the stored audience and AUDIENCE_SIZE (the controller has checked it against AUDIENCE_MAX_LIMIT).
   */
  async audienceFor(songId: string, q: { limit?: number; region?: string; excludeExposed?: boolean }) {
    const limit = q.limit ?? 100;
    const ruled = !!q.region || !!q.excludeExposed;
    if (!ruled && (q.limit === undefined || limit <= this.config.audience.size))
      return this.audience(songId, limit);
    const stored = ruled ? null : await this.audienceCache.latest(songId);
    if (stored && limit <= stored.members.length) return this.audience(songId, limit);
    return this.freshAudience(songId, limit, q.region ?? null, q.excludeExposed ?? false);
  }

  /**
   * Selects afresh with the active model and today's plays, profiles and exposures; the rules run
   * after retrieval with over-fetch, so `limit` eligible users come back when the method can rank
   * that many. A read: nothing is stored or published.
   */
  async freshAudience(songId: string, limit: number, region: string | null, excludeExposed: boolean) {
    const song = await this.requireSong(songId);
    const selected = await this.audienceService.selectRequested(songId, songContent(song), {
      size: limit,
      explorationShare: 0,
      rules: {
        region,
        availability: song.availability,
        explicit: song.explicit,
        excludeExposed,
        excludePlayed: true,
      },
    });
    const row = audienceRow(selected, null);
    const outcome = selected.rules!;
    return {
      songId,
      modelVersion: selected.modelVersion,
      method: selected.method,
      sid: selected.sid,
      selectedAt: new Date(row.selectedAt).toISOString(),
      ...(await this.withVerdicts(songId, row.members)),
      neighbours: selected.neighbours,
      requested: outcome.requested,
      sizeMet: outcome.sizeMet,
      exhausted: outcome.exhausted,
      filtered: outcome.filtered,
      ...(outcome.sizeMet ? {} : { shortfall: shortfall(outcome.requested, row.members.length, outcome) }),
    };
  }

  /**
   * Selects the audience again with the active model and today's plays (admin: e.g. after the
   * song graduated to the warm pool, or after a model switch). Replaces the stored one and
   * publishes it through the outbox: the replaced row is unpublished until the broker has
   * acknowledged the new `song.audience.selected`, so a failed publish leaves it owed (and the
   * call fails) rather than marked with the previous selection's publish time.
   */
  async recompute(songId: string, limit: number) {
    const song = await this.requireSong(songId);
    const selected = await this.audienceService.select(songId, songContent(song), song);
    const row = audienceRow(selected, null);
    await this.audiences.replace(row);
    this.audienceCache.drop([songId]); // this process answers with the new one at once; others after their next poll
    await publishAudiences(this.publisher, this.topics.songAudienceSelected, this.audiences, [row]);
    return this.audience(songId, limit);
  }

  async audience(songId: string, limit: number) {
    // A stored audience implies the song exists (the row goes with the song), so a hit needs no song read.
    const a = await this.audienceCache.latest(songId);
    if (!a) {
      await this.requireSong(songId);
      throw new UnknownEntityError('audience', [songId]);
    }
    return {
      songId,
      modelVersion: a.modelVersion,
      method: a.method,
      sid: a.sid ?? null,
      selectedAt: new Date(a.selectedAt).toISOString(),
      ...(await this.withVerdicts(songId, a.members.slice(0, limit))),
      neighbours: a.neighbours,
    };
  }

  /** Members beside the active DSSM's gate verdict for each, and the share the gate lets through. */
  private async withVerdicts(songId: string, members: AudienceMember[]) {
    const verdicts = await this.gate.verdicts(
      songId,
      members.map((m) => m.userId),
    );
    const audience = members.map((m) => ({ ...m, gatePass: verdicts?.get(m.userId) ?? null }));
    const known = audience.filter((m) => m.gatePass !== null);
    return {
      gatePassShare: known.length ? known.filter((m) => m.gatePass).length / known.length : null,
      audience,
    };
  }

  /** Nearest established songs in the active I2I space (the neighbours an audience comes from). */
  async similar(songId: string, limit: number) {
    const state = this.runtime.state;
    // A song with a vector in memory exists (its vectors go with it): no read on this path.
    const held = state.i2i?.vectors?.get(songId);
    // An unknown song is a 404 whether or not a model is active.
    const song = held ? null : await this.requireSong(songId);
    const { version, encoder, warm } = requireActive(state, 'i2i');
    // The search below is synchronous, so the held row is read in place, not copied.
    const vector = held
      ? held
      : ((await this.embeddings.songVectorsFor(version, [songId])).get(songId) ??
        encoder.embed([songContent(song!)]));
    const similar = warm
      .search(vector, limit, { exclude: new Set([songId]) })
      .map((n) => ({ songId: n.id, similarity: n.score }));
    return { songId, modelVersion: version, similar };
  }

  /** Throws UnknownEntityError (404) for a song that does not exist. */
  async requireExisting(songId: string): Promise<void> {
    await this.requireSong(songId);
  }

  /**
   * Songs whose semantic ID under the active I2I version shares the song's first `level` codes
   * (default: all but the last), as an explanation of where the song sits: its cluster, at a
   * chosen resolution. A song stored without a SID (before its version's activation caught up)
   * is encoded now, as /similar does with its vector.
   */
  async sidNeighbours(songId: string, level: number | undefined, limit: number) {
    const state = this.runtime.state;
    const song = await this.requireSong(songId);
    const { version, encoder } = requireActive(state, 'i2i');
    const codebook = encoder.sids;
    if (!codebook)
      throw new NotFoundException(
        `model version ${version} has no semantic IDs (trained with --sid off or before SIDs); train one with --sid LxK`,
      );
    const depth = level ?? Math.max(1, codebook.levels - 1);
    if (depth > codebook.levels)
      throw new BadRequestException(
        `level must be 1..${codebook.levels}: ${version}'s SIDs have ${codebook.levels} codes`,
      );
    const sid =
      (await this.embeddings.sidsOf(version, [songId])).get(songId) ??
      codebook.encode(encoder.embed([songContent(song)]))[0];
    const prefix = sid.split('-').slice(0, depth).join('-');
    const songs = await this.embeddings.songsWithSidPrefix(version, prefix, limit, songId);
    return { songId, modelVersion: version, sid, level: depth, prefix, songs };
  }

  private async requireSong(songId: string) {
    const song = await this.songs.findById(songId);
    if (!song) throw new UnknownEntityError('song', [songId]);
    return song;
  }
}

/** Why a fresh audience came back short, in words a campaign tool can show. */
function shortfall(
  requested: number,
  got: number,
  o: { exhausted: boolean; filtered: FilteredCounts },
): string {
  const refused = Object.entries(o.filtered)
    .filter(([, n]) => n > 0)
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ');
  const why = o.exhausted
    ? "eligible users exhausted: the active method's candidates ran out"
    : 'over-fetch rounds used up (AUDIENCE_OVERFETCH_ROUNDS) before enough eligible users were found';
  return `${got} of ${requested} users: ${why}${refused ? ` (refused: ${refused})` : ''}`;
}
