/**
 * I2I methods for bench:quality and `trainer train i2i`: the encoder of libs/models trained on
 * the warm items of a TrainContext, early-stopped on ctx.validateI2I (audience Recall@100 on
 * the cold VALIDATION items; the test split is never looked at).
 *  - `cb2cf-bpr`: BPR only (λ = 0);
 *  - `i2i-contrastive`: BPR + λ·InfoNCE with correlated feature grouping;
 *  - `i2i-contrastive-random-groups`: the ablation, groups split at random.
 */
import type { I2IMethod, Item, ItemEncoder, TrainContext } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import { I2IEncoder, embedWithTower } from '../encoder';
import { ContentBlendSearch } from './content-blend';
import { I2ITrainConfig, I2ITrainResult, TrainProgress, trainI2I } from '../i2i-trainer';
import { PairFilterConfig, TrainingPairs, buildTrainingPairs, formatPairStats } from '../pairs';
import { initTf } from '../tf';

export interface I2IMethodOptions {
  config?: Partial<I2ITrainConfig>;
  pairFilter?: Partial<PairFilterConfig>;
  onProgress?: (p: TrainProgress) => void;
  /**
   * Residual path from the content (default true): the song vector blends the content input
   * with the tower output, α chosen per epoch on cold validation (see ContentBlendSearch).
   */
  contentPath?: boolean;
  /** Receives the full training result (history, timings, backend) after fit. */
  onResult?: (r: I2IFitResult) => void;
}

export interface I2IFitResult {
  method: string;
  encoder: I2IEncoder;
  train: I2ITrainResult;
  pairs: TrainingPairs['stats'];
}

/** Adapts an I2IEncoder (SongContent-based) to the evaluation's Item-based ItemEncoder. */
export function asItemEncoder(encoder: I2IEncoder): ItemEncoder & { encoder: I2IEncoder } {
  return { encoder, dim: encoder.dim, embed: (items: Item[]) => encoder.embed(items.map((i) => i.content)) };
}

/** Trains the I2I encoder on a TrainContext (shared by the three methods and the trainer CLI). */
export async function fitI2I(
  ctx: TrainContext,
  name: string,
  opts: I2IMethodOptions = {},
): Promise<I2IFitResult> {
  await initTf({ log: ctx.log });
  const featurizer = new Featurizer(ctx.dataset.schema);
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const warm = ctx.split.warmItems;
  const inputs = featurizer.encodeBatch(warm.map((id) => byId.get(id)!.content));
  const pairs = buildTrainingPairs(ctx.split.train, warm, opts.pairFilter);
  ctx.log(`[${name}] ${formatPairStats(pairs.stats)}`);
  const config: Partial<I2ITrainConfig> = { seed: ctx.seed, ...opts.config };
  const valInputs = ctx.coldValInputs();
  const valFlat = new Float32Array(valInputs.length * featurizer.inputDim);
  valInputs.forEach((v, i) => valFlat.set(v, i * featurizer.inputDim));
  const blend =
    opts.contentPath === false
      ? undefined
      : new ContentBlendSearch(warm, inputs, valFlat, featurizer.inputDim, (nb) =>
          ctx.validateNeighbours(nb),
        );
  const alphaAt = new Map<number, number>();
  const result = await trainI2I(
    { fields: featurizer.fields, inputDim: featurizer.inputDim, inputs, numItems: warm.length, pairs },
    config,
    {
      log: (m) => ctx.log(`[${name}] ${m}`),
      onProgress: opts.onProgress,
      onEpoch: async (epoch, metrics, tower) => {
        let score: number;
        if (blend) {
          const d = tower.outputDim;
          const found = await blend.best(
            embedWithTower(tower, inputs, warm.length, featurizer.inputDim),
            embedWithTower(tower, valFlat, valInputs.length, featurizer.inputDim),
            d,
          );
          alphaAt.set(epoch, found.alpha);
          score = found.score;
          ctx.log(
            `[${name}] epoch ${epoch}: content weight α ${found.alpha} (val R@100 by α: ${found.grid.map((g) => g.toFixed(4)).join(' ')})`,
          );
        } else {
          score = await ctx.validateI2I(asItemEncoder(new I2IEncoder(featurizer, tower)));
        }
        ctx.curve(name, epoch, {
          bprLoss: metrics.bprLoss,
          infoNCELoss: metrics.infoNCELoss,
          valRecall100: score,
          pairsPerSecond: metrics.pairsPerSecond,
          ...(blend ? { contentWeight: alphaAt.get(epoch)! } : {}),
        });
        return score;
      },
    },
  );
  blend?.dispose();
  const encoder = new I2IEncoder(featurizer, result.tower, undefined, alphaAt.get(result.bestEpoch) ?? 0);
  const fit: I2IFitResult = { method: name, encoder, train: result, pairs: pairs.stats };
  ctx.log(
    `[${name}] best epoch ${result.bestEpoch} val R@100 ${result.bestValidation?.toFixed(4) ?? '-'}, content weight α ${encoder.contentWeight}; ` +
      `${result.trainSeconds.toFixed(1)} s training, ${result.pairsPerSecond.toFixed(0)} pairs/s on ${result.backend}`,
  );
  opts.onResult?.(fit);
  return fit;
}

function method(name: string, fixed: Partial<I2ITrainConfig>, opts: I2IMethodOptions): I2IMethod {
  return {
    name,
    async fit(ctx: TrainContext): Promise<ItemEncoder> {
      const r = await fitI2I(ctx, name, { ...opts, config: { ...opts.config, ...fixed } });
      return asItemEncoder(r.encoder);
    },
  };
}

/** `cb2cf-bpr`: the encoder without the contrastive term. */
export function cb2cfBprMethod(opts: I2IMethodOptions = {}): I2IMethod {
  return method('cb2cf-bpr', { lambda: 0 }, opts);
}

/** `i2i-contrastive`: BPR + λ·InfoNCE, correlated feature grouping. */
export function i2iContrastiveMethod(opts: I2IMethodOptions = {}): I2IMethod {
  return method('i2i-contrastive', { grouping: 'correlated' }, opts);
}

/** Ablation: the two groups split at random instead of by correlation. */
export function i2iContrastiveRandomGroupsMethod(opts: I2IMethodOptions = {}): I2IMethod {
  return method('i2i-contrastive-random-groups', { grouping: 'random' }, opts);
}

/** The three I2I rows of bench:quality. */
export function i2iMethods(opts: I2IMethodOptions = {}): I2IMethod[] {
  return [cb2cfBprMethod(opts), i2iContrastiveMethod(opts), i2iContrastiveRandomGroupsMethod(opts)];
}
