/**
 * Starting a DSSM whose item tower has extra fields (issue 15: SID prefixes, hashed song IDs)
 * from a trained content-only DSSM, so that at the first step it IS that model: every shared
 * weight is copied, the extra fields keep their random embeddings, and the item MLP's input
 * rows of the extra fields start at zero (their embeddings reach nothing until training finds
 * a use for them). Why: trained from scratch beside content, ID rows learned from ~6 plays per
 * warm song pull the tower away from content (docs/results.md); started here, they can only
 * add what the collaborative loss finds in them, and early stopping on cold validation judges
 * whether they did.
 */
import { tf } from '../tf';
import type { DssmTowers } from './towers';

function copy(to: tf.Variable, from: tf.Tensor, what: string): void {
  if (to.shape.join('x') !== from.shape.join('x'))
    throw new Error(`warm start: ${what} has shape ${from.shape.join(',')}, expected ${to.shape.join(',')}`);
  to.assign(from);
}

export function warmStartFromContent(to: DssmTowers, from: DssmTowers): void {
  const fe = to.item.fieldEmbedding;
  const src = from.item.fieldEmbedding;
  if (fe.dim !== src.dim) throw new Error(`warm start: field dim ${src.dim}, expected ${fe.dim}`);
  const srcIndex = new Map(src.fields.map((f, i) => [f.name, i]));
  for (const f of src.fields)
    if (!fe.fields.some((g) => g.name === f.name)) throw new Error(`warm start: field ${f.name} missing`);
  tf.tidy(() => {
    // Field embeddings of the shared fields; the item MLP's first kernel row block by block.
    const firstFrom = from.item.mlp.kernels[0];
    const hidden = firstFrom.shape[1] as number;
    const blocks = fe.fields.map((f, i) => {
      const j = srcIndex.get(f.name);
      if (j === undefined) return tf.zeros([fe.dim, hidden]);
      copy(fe.kernels[i], src.kernels[j], `field ${f.name} kernel`);
      copy(fe.biases[i], src.biases[j], `field ${f.name} bias`);
      return tf.slice(firstFrom, [j * src.dim, 0], [src.dim, hidden]);
    });
    copy(to.item.mlp.kernels[0], tf.concat(blocks, 0), 'item MLP kernel 0');
    to.item.mlp.kernels
      .slice(1)
      .forEach((k, i) => copy(k, from.item.mlp.kernels[i + 1], `item MLP kernel ${i + 1}`));
    to.item.mlp.biases.forEach((b, i) => copy(b, from.item.mlp.biases[i], `item MLP bias ${i}`));
    for (const tower of ['user', 'boundary'] as const) {
      to[tower].kernels.forEach((k, i) => copy(k, from[tower].kernels[i], `${tower} kernel ${i}`));
      to[tower].biases.forEach((b, i) => copy(b, from[tower].biases[i], `${tower} bias ${i}`));
    }
  });
}
