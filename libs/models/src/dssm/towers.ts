/**
 * The three DSSM towers (DESIGN.md §3, U2I) built from the shared tower pieces of libs/models:
 *
 *  - item tower: the I2I `ItemTower` (per-field embeddings → MLP → L2-normalised i), so it can
 *    start from an I2I artifact's weights (same weight names);
 *  - user tower: pooled history → MLP → u (not normalised: its norm is the confidence scale of
 *    the logit u·i − u·b);
 *  - boundary tower: the same input as the user tower → its own MLP → b.
 *
 * History pooling is the MEAN of the item-tower outputs of the user's recent songs, chosen over
 * attention because (1) it is one (users × items) weight-matrix product, so training needs no
 * tf.gather (whose gradient is missing on wasm) and serving refreshes a user with a few JS
 * additions over stored item vectors; (2) the gate must be a user-only vector pair (u, b), so a
 * target-aware attention (DIN-style) would break the precomputed-vector serving path, and a
 * self-attention over 30–50 songs buys little for its cost on 2 cores; (3) the mean keeps an
 * informative norm: a history spread over unrelated styles (e.g. a hits-only listener) pools to
 * a short vector, a focused taste to a long one — exactly what the boundary tower needs to see.
 *
 * The user/boundary input is `[pooled (dim) | profile (profileDim)]`; our datasets have no
 * profile features (profileDim = 0) but a deployment can append e.g. age bucket / region
 * one-hots without touching the pooling.
 */
import type { FieldSpec } from '@debut/features';
import { tf } from '../tf';
import { ItemTower, MLP, Module, NamedVariables } from '../towers';

export interface DssmArchConfig {
  /** Output dimension per field embedding (item tower). */
  fieldDim: number;
  /** Hidden layer sizes of the item tower MLP. */
  hidden: number[];
  /** Dimension d of item, user and boundary vectors. */
  dim: number;
  /** Hidden layer sizes of the user tower MLP (after pooling). */
  userHidden: number[];
  /** Hidden layer sizes of the boundary tower MLP (after pooling). */
  boundaryHidden: number[];
  /** Length of the optional profile vector appended to the pooled history (0 = none). */
  profileDim: number;
  /** Recent songs pooled into the user / boundary input. */
  historyLength: number;
  seed: number;
}

export const DEFAULT_DSSM_ARCH: DssmArchConfig = {
  fieldDim: 32,
  hidden: [256],
  dim: 64,
  userHidden: [128],
  boundaryHidden: [128],
  profileDim: 0,
  historyLength: 50,
  seed: 42,
};

export class DssmTowers implements Module {
  readonly item: ItemTower;
  readonly user: MLP;
  readonly boundary: MLP;

  constructor(
    readonly fields: FieldSpec[],
    readonly cfg: DssmArchConfig,
  ) {
    this.item = new ItemTower({
      fields,
      fieldDim: cfg.fieldDim,
      hidden: cfg.hidden,
      outputDim: cfg.dim,
      seed: cfg.seed,
    });
    const inputDim = cfg.dim + cfg.profileDim;
    this.user = new MLP({
      inputDim,
      units: [...cfg.userHidden, cfg.dim],
      activation: 'relu',
      seed: cfg.seed + 31,
      name: 'user',
    });
    this.boundary = new MLP({
      inputDim,
      units: [...cfg.boundaryHidden, cfg.dim],
      activation: 'relu',
      seed: cfg.seed + 61,
      name: 'boundary',
    });
  }

  get dim(): number {
    return this.cfg.dim;
  }

  /** User-tower / boundary-tower input: pooled history (N × d) with the profile appended. */
  userInput(pooled: tf.Tensor2D, profiles?: tf.Tensor2D): tf.Tensor2D {
    if (this.cfg.profileDim === 0) return pooled;
    const p = profiles ?? tf.zeros([pooled.shape[0], this.cfg.profileDim]);
    return tf.concat<tf.Tensor2D>([pooled, p], 1);
  }

  /** u and b from the user input (N × (d + profileDim)). */
  userAndBoundary(input: tf.Tensor2D): { u: tf.Tensor2D; b: tf.Tensor2D } {
    return { u: this.user.apply(input), b: this.boundary.apply(input) };
  }

  variables(): tf.Variable[] {
    return [...this.item.variables(), ...this.user.variables(), ...this.boundary.variables()];
  }

  /** Named weights: item tower under `item/` (same names as an I2I artifact after the prefix). */
  weights(): NamedVariables {
    return [
      ...this.item.weights().map((w) => ({ name: `item/${w.name}`, variable: w.variable })),
      ...this.user.weights(),
      ...this.boundary.weights(),
    ];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
