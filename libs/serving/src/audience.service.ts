import { AudienceSelector, type AudienceMember, type Neighbour } from '@debut/audience';
import type { DebutConfig } from '@debut/config';
import type { AudienceEntity, InteractionRepository } from '@debut/catalog';
import type { SongContent } from '@debut/features';
import { ModelRuntime } from './model-runtime';
import { PgListenerSource } from './pg-listener-source';

export interface SelectedAudience {
  modelVersion: string;
  /** The song's vector under that I2I version (stored with the song). */
  vector: Float32Array;
  neighbours: Neighbour[];
  members: AudienceMember[];
}

/** I2I2U for one song: encode → warm neighbours (FAISS) → AudienceSelector over stored plays. */
export class AudienceService {
  private readonly selector: AudienceSelector;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly interactions: InteractionRepository,
    private readonly options: DebutConfig['audience'],
  ) {
    this.selector = new AudienceSelector(new PgListenerSource(interactions), {
      k: options.neighbours,
      n: options.size,
      explain: 3,
    });
  }

  async select(songId: string, content: SongContent): Promise<SelectedAudience> {
    const { version, encoder, warm } = this.runtime.require('i2i');
    const vector = encoder.embed([content]);
    const neighbours = warm
      .search(vector, this.options.neighbours, { exclude: new Set([songId]) })
      .map((n) => ({ songId: n.id, similarity: n.score }));
    const have = await this.interactions.listenersOf(songId);
    const members = await this.selector.select(neighbours, { exclude: have });
    return { modelVersion: version, vector, neighbours, members };
  }
}

/** The row stored (and published) for a selected audience; `because` keeps the neighbour ids. */
export function audienceRow(songId: string, selected: SelectedAudience, eventId: string | null): AudienceEntity {
  return {
    songId,
    modelVersion: selected.modelVersion,
    members: selected.members.map((u) => ({ userId: u.userId, score: u.score, because: u.because.map((b) => b.songId) })),
    neighbours: selected.neighbours,
    eventId,
    selectedAt: new Date(),
    publishedAt: null,
  };
}
