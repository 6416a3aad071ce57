/**
 * Ablation rows of the STARS training options (issue 16, dssm/stars-training.ts), each its own
 * DSSM training run with ONE option switched on; its ablation is `dssm-boundary` of the same
 * command (every option off, same seed and split):
 *  - `dssm-item-delta`: learnable per-song delta on warm songs;
 *  - `dssm-softmax`: candidate-slice softmax (weight SOFTMAX_WEIGHT) without the logQ correction;
 *  - `dssm-logq-softmax`: the same with the logQ popularity correction;
 *  - `dssm-context`: month offsets added to the user vector; cold items are ranked for a time
 *    `at` with u + o_month(at) (the evaluator's `.season` slice asks at the planted season).
 */
import { TrainContext, U2IMethod } from '@debut/evaluation';
import { DssmTrainConfig } from '../dssm/trainer';
import { MONTH_BUCKETS, monthBucket } from '../dssm/context-offsets';
import { asU2IModel, fitDssm, userRowsOf } from './dssm-methods';

/** Fixed a priori (not tuned): the softmax and the BCE then have comparable gradients early on. */
export const SOFTMAX_WEIGHT = 0.5;

const option = (name: string, config: Partial<DssmTrainConfig>): U2IMethod => ({
  name,
  fit: async (ctx: TrainContext) => asU2IModel(await fitDssm(ctx, { config }), true),
});

export function towerOptionMethods(): U2IMethod[] {
  return [
    option('dssm-item-delta', { itemDelta: true }),
    option('dssm-softmax', { softmaxWeight: SOFTMAX_WEIGHT, logQ: false }),
    option('dssm-logq-softmax', { softmaxWeight: SOFTMAX_WEIGHT, logQ: true }),
  ];
}

export function contextMethods(): U2IMethod[] {
  return [
    {
      name: 'dssm-context',
      fit: async (ctx: TrainContext) => {
        const fit = await fitDssm(ctx, { config: { contextBuckets: MONTH_BUCKETS } });
        const context = fit.model.context!;
        return {
          ...asU2IModel(fit, true),
          embedUsersAt: (ids: string[], at: number) =>
            context.shiftRows(userRowsOf(fit, fit.vectors.users, ids), (r) =>
              fit.userRow.has(ids[r]) ? monthBucket(at) : -1,
            ),
        };
      },
    },
  ];
}
