import { aggregateAudience, topNeighbours, type AudienceMember, type Neighbour } from '@debut/audience';
import { Log, type DebutConfig } from '@debut/config';
import type { AudienceEntity, EmbeddingRepository, InteractionRepository } from '@debut/catalog';
import type { SongContent } from '@debut/features';
import { CachedListenerSource } from './listener-cache';
import { ModelRuntime, requireActive } from './model-runtime';
import { PgListenerSource } from './pg-listener-source';
import { AudienceMethods, type ServedMethod } from './audience-methods';

export interface SelectedAudience {
  songId: string;
  modelVersion: string;
  /** The song's vector under that I2I version (stored with the song). */
  vector: Float32Array;
  neighbours: Neighbour[];
  members: AudienceMember[];
  /** The audience method that selected the members (AUDIENCE_METHOD, resolved). */
  method: ServedMethod;
  /** The song's semantic ID under that version (null: the version has no codebook). */
  sid: string | null;
}

/**
 * I2I2U for new songs: encode → warm neighbours (FAISS) → the AudienceSelector's aggregation
 * over stored plays. Batched: one forward pass, one FAISS batch search and one listener read
 * for all the songs of a batch of releases.
 */
export class AudienceService {
  readonly listeners: CachedListenerSource;
  readonly methods: AudienceMethods;
  private readonly log = new Log('audience');

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly interactions: InteractionRepository,
    private readonly options: DebutConfig['audience'],
    embeddings?: EmbeddingRepository,
  ) {
    this.listeners = new CachedListenerSource(new PgListenerSource(interactions));
    this.methods = new AudienceMethods(runtime, options.method ?? 'auto', embeddings);
  }

  async select(songId: string, content: SongContent): Promise<SelectedAudience> {
    return (await this.selectMany([{ songId, content }]))[0];
  }

  async selectMany(songs: Array<{ songId: string; content: SongContent }>): Promise<SelectedAudience[]> {
    if (!songs.length) return [];
    // One request, one set of versions, even if a switch lands while it awaits the database.
    const state = this.runtime.state;
    const { version, encoder, warm } = requireActive(state, 'i2i');
    const method = this.methods.resolve(state);
    const k = this.options.neighbours;
    const t0 = performance.now();
    const vectors = encoder.embed(songs.map((s) => s.content));
    const sids = encoder.sids?.encode(vectors) ?? null;
    const dim = encoder.dim;
    const t1 = performance.now();
    const found = warm.searchBatch(vectors, k + 1);
    const t2 = performance.now();
    const neighbours = found.map((hits, i) =>
      topNeighbours(
        hits.filter((h) => h.id !== songs[i].songId).map((h) => ({ songId: h.id, similarity: h.score })),
        k,
      ),
    );
    const [lists, have] = await Promise.all([
      this.listeners.listenersOf([...new Set(neighbours.flat().map((n) => n.songId))]),
      this.interactions.listenersOfMany(songs.map((s) => s.songId)),
    ]);
    const t3 = performance.now();
    const out: SelectedAudience[] = [];
    const items = this.methods.itemVectors(
      method,
      songs.map((s) => s.content),
      state,
    );
    for (let i = 0; i < songs.length; i++) {
      const s = songs[i];
      const exclude = have.get(s.songId) ?? new Set<string>();
      let members: AudienceMember[];
      if (method === 'i2i2u') {
        members = aggregateAudience(neighbours[i], lists, { k, n: this.options.size, explain: 3, exclude });
      } else {
        const chosen = await this.methods.forSong(method, s.content, lists, state, items[i]);
        members = await chosen.method.select(
          { input: chosen.input, neighbours: neighbours[i] },
          { k, n: this.options.size, explain: 3, exclude },
        );
        // Explanations always come from the neighbours the user listened to, whatever ranked them.
        const because = new Map(
          aggregateAudience(neighbours[i], lists, { k, n: Number.MAX_SAFE_INTEGER, explain: 3 }).map((m) => [
            m.userId,
            m.because,
          ]),
        );
        members = members.map((m) => ({ ...m, because: because.get(m.userId) ?? [] }));
      }
      out.push({
        songId: s.songId,
        modelVersion: version,
        vector: vectors.slice(i * dim, (i + 1) * dim),
        neighbours: neighbours[i],
        members,
        method,
        sid: sids?.[i] ?? null,
      });
    }
    this.log.debug('selected', {
      songs: songs.length,
      encodeMs: Math.round(t1 - t0),
      searchMs: Math.round(t2 - t1),
      listenersMs: Math.round(t3 - t2),
      aggregateMs: Math.round(performance.now() - t3),
      listenerCache: { ...this.listeners.lookups, ...this.listeners.size() },
    });
    return out;
  }
}

/**
 * The row stored (and published) for a selected audience; `because` keeps the neighbour ids.
 * `receivedAt`: when the release event reached the worker (null when selected without one).
 */
export function audienceRow(
  selected: SelectedAudience,
  eventId: string | null,
  receivedAt: Date | null = null,
): AudienceEntity {
  return {
    songId: selected.songId,
    modelVersion: selected.modelVersion,
    members: selected.members.map((u) => ({
      userId: u.userId,
      score: u.score,
      because: u.because.map((b) => b.songId),
    })),
    neighbours: selected.neighbours,
    method: selected.method,
    sid: selected.sid,
    eventId,
    selectedAt: new Date(),
    receivedAt,
    publishedAt: null,
  };
}
