/**
 * Starting a DSSM whose item tower has extra fields (issue 15: SID prefixes, hashed song IDs)
 * from a trained content-only DSSM, so that at the first step it IS that model: every weight the
 * two share by name (DssmTowers.weights) is copied, the extra fields keep their random
 * embeddings, and the item MLP's input rows of the extra fields start at zero (their embeddings
 * reach nothing until training finds a use for them). Why: trained from scratch beside content,
 * ID rows learned from ~6 plays per warm song pull the tower away from content
 * (docs/results.md); started here, they can only add what the collaborative loss finds in them,
 * and early stopping on cold validation judges whether they did.
 */
import { tf } from '../tf';
import type { DssmTowers } from './towers';

export function warmStartFromContent(to: DssmTowers, from: DssmTowers): void {
  const fe = to.item.fieldEmbedding;
  const src = from.item.fieldEmbedding;
  if (fe.dim !== src.dim) throw new Error(`warm start: field dim ${src.dim}, expected ${fe.dim}`);
  const srcIndex = new Map(src.fields.map((f, i) => [f.name, i]));
  const missing = src.fields.filter((f) => !fe.fields.some((g) => g.name === f.name));
  if (missing.length) throw new Error(`warm start: fields ${missing.map((f) => f.name).join(', ')} missing`);
  const firstKernel = to.item.mlp.kernels[0];
  const source = new Map(from.weights().map((w) => [w.name, w.variable]));
  // The only weights the content model may lack: the embeddings of the extra fields.
  const extra = new Set(
    fe.fields.flatMap((f, i) => (srcIndex.has(f.name) ? [] : [fe.kernels[i], fe.biases[i]])),
  );
  tf.tidy(() => {
    for (const { name, variable } of to.weights()) {
      const w = source.get(name);
      if (variable === firstKernel) {
        // The item MLP's first kernel, block by block in this tower's field order: zeros for a new field.
        const hidden = variable.shape[1] as number;
        const blocks = fe.fields.map((f) => {
          const j = srcIndex.get(f.name);
          return j === undefined
            ? tf.zeros([fe.dim, hidden])
            : tf.slice(w!, [j * src.dim, 0], [src.dim, hidden]);
        });
        variable.assign(tf.concat(blocks, 0));
      } else if (w) {
        if (w.shape.join('x') !== variable.shape.join('x'))
          throw new Error(
            `warm start: ${name} has shape ${w.shape.join(',')}, expected ${variable.shape.join(',')}`,
          );
        variable.assign(w);
      } else if (!extra.has(variable)) throw new Error(`warm start: the content model has no ${name}`);
      // else: an extra field's embedding, kept as initialised
    }
  });
}
