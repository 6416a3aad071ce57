/**
 * Which audience method the service runs (AUDIENCE_METHOD), built from the active models:
 * `i2i2u` needs only the I2I encoder; `content-ridge` and `fusion` the active `audience`
 * artifact; `u2i-audience` and `cat` the artifact and the active DSSM's user vectors. `auto` serves the
 * method that was best on cold validation when the artifact was trained, and neighbour voting
 * when no artifact is active.
 */
import {
  AudienceMethod,
  ClusterAudience,
  DEFAULT_CLUSTER_OPTIONS,
  type UserSpace,
  AudienceSelector,
  FusionAudience,
  LinearUserScorer,
  ListenerLists,
  NeighbourVotingAudience,
  ScoredAudience,
  VectorUserScorer,
} from '@debut/audience';
import { Log, type DebutConfig } from '@debut/config';
import type { EmbeddingRepository } from '@debut/catalog';
import { Featurizer, type SongContent } from '@debut/features';
import { ModelRuntime, NoActiveModelError, type ServingState } from './model-runtime';

export type ServedMethod = Exclude<DebutConfig['audience']['method'], 'auto'>;

interface UserVectors {
  version: string;
  loadedAt: number;
  /** Every user's interest vector (the space `cat` clusters in). */
  space: UserSpace;
  scorer: (item: Float32Array) => VectorUserScorer;
}

/** How long the u2i audience keeps one snapshot of every user's vectors. */
const USER_VECTORS_TTL_MS = 60_000;

export class AudienceMethods {
  private readonly log = new Log('audience-methods');
  private ridge?: { version: string; featurizer: Featurizer; scorer: LinearUserScorer };
  private users?: UserVectors;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly wanted: DebutConfig['audience']['method'],
    private readonly embeddings?: EmbeddingRepository,
  ) {}

  /**
   * The method served with `state` (one request's versions); throws NoActiveModelError when an
   * explicitly asked one cannot run.
   */
  resolve(state: ServingState = this.runtime.state): ServedMethod {
    const artifact = state.audience;
    if (this.wanted === 'auto') {
      const best = artifact?.models.config.best ?? 'i2i2u';
      if ((best === 'u2i-audience' || best === 'cat') && !state.dssm) return 'i2i2u';
      return best;
    }
    if (this.wanted !== 'i2i2u' && !artifact) throw new NoActiveModelError('audience');
    if ((this.wanted === 'u2i-audience' || this.wanted === 'cat') && !state.dssm)
      throw new NoActiveModelError('dssm');
    return this.wanted;
  }

  /**
   * The DSSM item vectors of a batch of songs, in one forward pass, when `name` scores users with
   * them (u2i-audience, fusion); otherwise none (each entry undefined).
   */
  itemVectors(
    name: ServedMethod,
    contents: SongContent[],
    state: ServingState = this.runtime.state,
  ): Array<Float32Array | undefined> {
    if ((name !== 'u2i-audience' && name !== 'fusion') || !state.dssm || !contents.length)
      return contents.map(() => undefined);
    const d = state.dssm.model.dim;
    const all = state.dssm.model.embedItems(contents);
    return contents.map((_, i) => all.subarray(i * d, (i + 1) * d));
  }

  /**
   * The AudienceMethod for one song: the content input it scores, the listener lists that
   * neighbour voting reads and the song's DSSM item vector (both prepared for the whole batch).
   */
  async forSong(
    name: ServedMethod,
    content: SongContent,
    lists: ListenerLists,
    state: ServingState = this.runtime.state,
    item?: Float32Array,
  ): Promise<{ method: AudienceMethod; input: Float32Array }> {
    const voting = new NeighbourVotingAudience(new AudienceSelector({ listenersOf: () => lists }));
    if (name === 'i2i2u') return { method: voting, input: new Float32Array(0) };
    const ridge = this.ridgeScorer(state);
    const input = ridge.featurizer.encode(content);
    const ridgeMethod = new ScoredAudience('content-ridge', ridge.scorer);
    if (name === 'content-ridge') return { method: ridgeMethod, input };
    if (name === 'cat') {
      const users = await this.userSnapshot(state);
      const clusters = state.audience!.models.config.catClusters ?? DEFAULT_CLUSTER_OPTIONS.clusters;
      return {
        method: new ClusterAudience(voting, users.space, { ...DEFAULT_CLUSTER_OPTIONS, clusters }),
        input,
      };
    }
    const u2i = state.dssm
      ? new ScoredAudience(
          'u2i-audience',
          (await this.userSnapshot(state)).scorer(item ?? state.dssm.model.embedItems([content])),
        )
      : undefined;
    if (name === 'u2i-audience') return { method: u2i!, input };
    const weights = state.audience!.models.config.fusion;
    const components = [
      { method: voting, weight: weights['i2i2u'] ?? 0 },
      { method: ridgeMethod, weight: weights['content-ridge'] ?? 0 },
      ...(u2i ? [{ method: u2i, weight: weights['u2i-audience'] ?? 0 }] : []),
    ];
    if (!u2i && (weights['u2i-audience'] ?? 0) > 0)
      this.log.warn('fusion without its u2i part: no active DSSM');
    return { method: new FusionAudience(components), input };
  }

  private ridgeScorer(state: ServingState): { featurizer: Featurizer; scorer: LinearUserScorer } {
    const active = state.audience!;
    if (this.ridge?.version !== active.version) {
      const c = active.models.config;
      const featurizer = new Featurizer(active.models.schema);
      if (featurizer.inputDim !== c.inputDim) {
        throw new Error(
          `audience artifact ${active.version}: input ${c.inputDim} values, its schema gives ${featurizer.inputDim}`,
        );
      }
      this.ridge = {
        version: active.version,
        featurizer,
        scorer: new LinearUserScorer(c.userIds, c.inputDim, active.models.ridge),
      };
    }
    return this.ridge;
  }

  /** A snapshot of every user's (u, b) under the active DSSM (u2i-audience scores, cat clusters). */
  private async userSnapshot(state: ServingState): Promise<UserVectors> {
    const dssm = state.dssm!;
    if (!this.embeddings) throw new Error('u2i-audience needs the embedding repository');
    if (this.users?.version !== dssm.version || Date.now() - this.users.loadedAt > USER_VECTORS_TTL_MS) {
      const all = await this.embeddings.allUserVectors(dssm.version);
      const d = all.dim;
      const thresholds = new Float32Array(all.ids.length);
      for (let r = 0; r < thresholds.length; r++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += all.users[r * d + j] * all.boundaries[r * d + j];
        thresholds[r] = s;
      }
      const margin = state.audience?.models.config.u2iMargin ?? true;
      this.users = {
        version: dssm.version,
        loadedAt: Date.now(),
        space: { ids: all.ids, vectors: all.users, dim: d },
        scorer: (item) =>
          new VectorUserScorer(all.ids, d, all.users, () => item, margin ? thresholds : undefined),
      };
    }
    return this.users;
  }
}
