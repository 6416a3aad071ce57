/**
 * Everything an `audience` artifact holds, fitted on one TrainContext over a given I2I encoder
 * (and DSSM, when there is one): the content-ridge map, the u2i scoring mode, the fusion weights,
 * each method's cold-validation Recall@100 and the best of them. Used by `trainer train
 * audience` and the end-to-end tests alike.
 */
import {
  AudienceSelector,
  ClusterAudience,
  DEFAULT_CLUSTER_OPTIONS,
  NeighbourVotingAudience,
} from '@debut/audience';
import type { ItemEncoder, TrainContext } from '@debut/evaluation';
import { Featurizer } from '@debut/features';
import type { AudienceArtifactConfig, AudienceMethodName } from '../audience-artifact';
import type { DssmModel } from '../dssm/model';
import {
  FusionCandidate,
  fitContentRidge,
  fitFusion,
  ridgeAudience,
  u2iAudienceFromDssm,
} from './audience-methods';
import { dssmFitFromModel } from './dssm-methods';

export interface FittedAudienceModels {
  config: AudienceArtifactConfig;
  ridge: Float32Array;
  notes: string[];
}

export async function fitAudienceModels(
  ctx: TrainContext,
  selector: AudienceSelector,
  i2i: { version: string; encoder: ItemEncoder },
  dssm?: { version: string; model: DssmModel },
): Promise<FittedAudienceModels> {
  const f = new Featurizer(ctx.dataset.schema);
  const byId = new Map(ctx.dataset.items.map((i) => [i.id, i]));
  const ridge = fitContentRidge(ctx, (ids) => ids.map((id) => f.encode(byId.get(id)!.content)));
  const notes = [
    `content-ridge: λ ${ridge.lambda} (val R@100 ${ridge.grid.map((g) => `λ ${g.lambda}: ${g.validation.toFixed(4)}`).join(', ')})`,
  ];
  const ridgeMethod = ridgeAudience(ridge, ctx.dataset.users);
  const validation: AudienceArtifactConfig['validation'] = {
    i2i2u: await ctx.validateI2I(i2i.encoder),
    'content-ridge': await ctx.validateAudience(ridgeMethod),
  };
  const names: AudienceMethodName[] = ['i2i2u', 'content-ridge'];
  const candidates: FusionCandidate[] = [
    { method: new NeighbourVotingAudience(selector), learned: true },
    { method: ridgeMethod, learned: false },
  ];
  let u2iMargin = true;
  let catClusters: number | undefined;
  if (dssm) {
    const u2i = await u2iAudienceFromDssm(ctx, dssmFitFromModel(ctx, dssm.model));
    u2iMargin = u2i.margin;
    validation['u2i-audience'] = await ctx.validateAudience(u2i.method);
    names.push('u2i-audience');
    candidates.push({ method: u2i.method, learned: true });
    if (u2i.notes) notes.push(`u2i-audience: ${u2i.notes}`);
    const space = {
      ids: ctx.dataset.users,
      vectors: dssmFitFromModel(ctx, dssm.model).vectors.users,
      dim: dssm.model.dim,
    };
    let bestCat = { clusters: 0, val: -1 };
    for (const clusters of [1, 4, 8]) {
      const cat = new ClusterAudience(new NeighbourVotingAudience(selector), space, {
        ...DEFAULT_CLUSTER_OPTIONS,
        clusters,
      });
      const val = await ctx.validateAudience(cat, i2i.encoder);
      if (val > bestCat.val) bestCat = { clusters, val };
    }
    validation.cat = bestCat.val;
    catClusters = bestCat.clusters;
    notes.push(`cat: ${bestCat.clusters} clusters (val R@100 ${bestCat.val.toFixed(4)})`);
  }
  const fusion = await fitFusion(ctx, candidates, i2i.encoder);
  validation.fusion = fusion.validation;
  notes.push(`fusion: ${fusion.notes}`);
  const best = (Object.entries(validation) as Array<[AudienceMethodName, number]>).sort(
    (a, b) => b[1] - a[1],
  )[0][0];
  return {
    config: {
      userIds: [...ctx.dataset.users],
      inputDim: ridge.inputDim,
      lambda: ridge.lambda,
      fusion: Object.fromEntries(fusion.weights.map((w, i) => [names[i], w])),
      u2iMargin,
      catClusters,
      validation,
      best,
      i2iVersion: i2i.version,
      dssmVersion: dssm?.version ?? null,
    },
    ridge: ridge.weights,
    notes,
  };
}
