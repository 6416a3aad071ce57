/**
 * The audience rows of bench:quality that need more than one fitted model: `content-ridge`
 * (the strongest simple baseline), `u2i-audience` (the DSSM scoring users directly) and
 * `fusion` (a blend, weights on cold validation), plus, for every audience row, its coherence
 * with the cold gate of the DSSM trained in the same run (`audience.gatePass@100`,
 * `audience.gatedRecall@100`).
 */
import {
  AudienceMember,
  ClusterAudience,
  DEFAULT_CLUSTER_OPTIONS,
  NeighbourVotingAudience,
} from '@debut/audience';
import { Featurizer } from '@debut/features';
import {
  ColdStartEvaluator,
  ItemEncoder,
  QualityRow,
  TrainContext,
  U2IModel,
  gateCoherence,
  rawContentEncoder,
} from '@debut/evaluation';
import {
  DssmFit,
  FusionCandidate,
  fitContentRidge,
  fitFusion,
  ridgeAudience,
  u2iAudienceFromDssm,
} from '@debut/models';

interface Recorded {
  row: QualityRow;
  audiences: AudienceMember[][];
}

export class AudienceRows {
  private dssm?: DssmFit;
  private gate?: U2IModel;
  /** I2I spaces with their cold-validation R@100 (content-knn's raw space included). */
  private readonly spaces: Array<{ name: string; encoder: ItemEncoder; val: number }> = [];
  private readonly recorded: Recorded[] = [];
  private readonly fusionCandidates: FusionCandidate[] = [];

  /** Hooked into dssmMethods({ onFit }): the DSSM fit shared by the dssm rows. */
  readonly onDssmFit = (fit: DssmFit): void => {
    this.dssm = fit;
  };

  constructor(
    private readonly ev: ColdStartEvaluator,
    private readonly ctx: TrainContext,
    private readonly log: (m: string) => void,
  ) {}

  /** content-knn's audiences (for coherence) and its space; the `content-ridge` row. */
  async baselines(rows: QualityRow[], notes: Record<string, string>): Promise<void> {
    const knn = rawContentEncoder(this.ev.dataset.schema);
    await this.addSpace('content-knn', knn, rows);
    const t0 = Date.now();
    const f = new Featurizer(this.ev.dataset.schema);
    const fit = fitContentRidge(this.ctx, (ids) => this.ev.items(ids).map((it) => f.encode(it.content)));
    const method = ridgeAudience(fit, this.ev.dataset.users);
    const trainSeconds = (Date.now() - t0) / 1000;
    const { metrics, audiences } = await this.ev.evaluateAudience(method, 'test');
    const row = { method: 'content-ridge', metrics, trainSeconds };
    rows.push(row);
    this.recorded.push({ row, audiences });
    this.fusionCandidates.push({ method, learned: false });
    notes['content-ridge'] =
      `λ = ${fit.lambda} chosen on cold validation (R@100 ${fit.grid.map((g) => `λ ${g.lambda}: ${g.validation.toFixed(4)}`).join(', ')})`;
    this.log(
      `content-ridge: λ ${fit.lambda}, ${trainSeconds.toFixed(1)} s, audience.recall@100 ${metrics['audience.recall@100']?.toFixed(4)}`,
    );
  }

  /** An I2I row's space: its validation score (for fusion) and test audiences (for coherence). */
  async addSpace(name: string, encoder: ItemEncoder, rows: QualityRow[]): Promise<void> {
    const row = rows.find((r) => r.method === name);
    if (!row) return;
    const val = await this.ctx.validateI2I(encoder);
    this.spaces.push({ name, encoder, val });
    const { audiences } = await this.ev.evaluateAudience(
      new NeighbourVotingAudience(this.ev.selector),
      'test',
      encoder,
    );
    this.recorded.push({ row, audiences });
  }

  /**
   * `cat`: the voting audience over the best I2I space, clustered in the DSSM's user space, every
   * user scored by closeness to the centroids; the number of clusters chosen on validation.
   */
  private async clusterRow(
    rows: QualityRow[],
    notes: Record<string, string>,
    best: { name: string; encoder: ItemEncoder },
  ): Promise<void> {
    const t0 = Date.now();
    const space = {
      ids: this.ev.dataset.users,
      vectors: this.dssm!.vectors.users,
      dim: this.dssm!.model.dim,
    };
    const voting = new NeighbourVotingAudience(this.ev.selector);
    let chosen = { clusters: 0, val: -1, method: undefined as ClusterAudience | undefined };
    const grid: string[] = [];
    for (const clusters of [1, 4, 8]) {
      const method = new ClusterAudience(voting, space, { ...DEFAULT_CLUSTER_OPTIONS, clusters });
      const val = await this.ctx.validateAudience(method, best.encoder);
      grid.push(`${clusters}: ${val.toFixed(4)}`);
      if (val > chosen.val) chosen = { clusters, val, method };
    }
    const { metrics, audiences } = await this.ev.evaluateAudience(chosen.method!, 'test', best.encoder);
    const row = { method: 'cat', metrics, trainSeconds: (Date.now() - t0) / 1000 };
    rows.push(row);
    this.recorded.push({ row, audiences });
    notes.cat =
      `seed audience: i2i2u over ${best.name}, ${DEFAULT_CLUSTER_OPTIONS.seedSize} users; clustered in the DSSM user space; ` +
      `clusters chosen on cold validation (R@100 by clusters ${grid.join(', ')})`;
  }

  /** Receives the boundary model of the `dssm-boundary` row (the gate for coherence). */
  setGate(model: U2IModel): void {
    this.gate = model;
  }

  /** `u2i-audience` and `fusion`, then coherence for every recorded audience row. */
  async finish(rows: QualityRow[], notes: Record<string, string>): Promise<void> {
    if (this.dssm) {
      const t0 = Date.now();
      const u2i = await u2iAudienceFromDssm(this.ctx, this.dssm);
      const { metrics, audiences } = await this.ev.evaluateAudience(u2i.method, 'test');
      const row = {
        method: 'u2i-audience',
        metrics,
        trainSeconds: (Date.now() - t0) / 1000 + this.dssm.train.trainSeconds,
      };
      rows.push(row);
      this.recorded.push({ row, audiences });
      this.fusionCandidates.push({ method: u2i.method, learned: true });
      if (u2i.notes) notes['u2i-audience'] = `the DSSM towers of this run; ${u2i.notes}`;
    }
    const best = [...this.spaces].sort((a, b) => b.val - a.val)[0];
    if (this.dssm && best) await this.clusterRow(rows, notes, best);
    if (best) {
      const t0 = Date.now();
      const voting = new NeighbourVotingAudience(this.ev.selector);
      const candidates: FusionCandidate[] = [
        { method: voting, learned: best.name !== 'content-knn' },
        ...this.fusionCandidates,
      ];
      const fusion = await fitFusion(this.ctx, candidates, best.encoder);
      const { metrics, audiences } = await this.ev.evaluateAudience(fusion.method, 'test', best.encoder);
      const row = {
        method: 'fusion',
        metrics: { ...metrics, ...fusion.metrics },
        trainSeconds: (Date.now() - t0) / 1000,
      };
      rows.push(row);
      this.recorded.push({ row, audiences });
      notes.fusion = `i2i2u over the ${best.name} space (best on cold validation, R@100 ${best.val.toFixed(4)}); ${fusion.notes}`;
      this.log(`fusion: ${fusion.notes}`);
    }
    if (this.gate) {
      for (const r of this.recorded)
        Object.assign(r.row.metrics, gateCoherence(this.ev, r.audiences, 'test', this.gate));
    }
  }
}
