import { Injectable } from '@nestjs/common';
import { EmbeddingRepository, InteractionRepository, UserRepository } from '@debut/catalog';
import { GateService, ModelRuntime, UnknownEntityError, type GateAnswer } from '@debut/serving';

/** How many songs of the cold pool the user page gates (the gate endpoint's own limit). */
export const COLD_POOL_SAMPLE = 500;

/**
 * What the user page shows beyond the JSON API's gate and cold recommendations: the user's
 * recent history, and the gate run over the current cold pool (the same GateService the
 * `POST /v1/users/{id}/cold-gate` endpoint uses).
 */
@Injectable()
export class UserInsightService {
  constructor(
    private readonly interactions: InteractionRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly users: UserRepository,
    private readonly runtime: ModelRuntime,
    private readonly gate: GateService,
  ) {}

  async history(userId: string, limit: number) {
    if (!(await this.interactions.userExists(userId))) throw new UnknownEntityError('user', [userId]);
    return this.interactions.recentOf(userId, limit);
  }

  /**
   * The gate's decisions for (up to COLD_POOL_SAMPLE of) the songs in the active DSSM's cold
   * pool, highest score first; `poolSize` is how many cold songs the version holds.
   */
  async coldPoolGate(userId: string): Promise<GateAnswer & { poolSize: number }> {
    const version = this.runtime.dssm?.version;
    const ids = version ? await this.embeddings.embeddedSongIds(version, 'cold', COLD_POOL_SAMPLE) : [];
    const poolSize = version ? await this.embeddings.countSongVectors(version, 'cold') : 0;
    const answer = await this.gate.gate(userId, ids);
    return { ...answer, poolSize, decisions: [...answer.decisions].sort((a, b) => b.score - a.score) };
  }

  /** A few users to start from (the same ones every time). */
  sample(n: number): Promise<string[]> {
    return this.users.sample(n);
  }
}
