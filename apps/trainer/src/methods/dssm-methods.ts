import type { U2IMethod } from '@debut/evaluation';

/** The DSSM rows of bench:quality (`dssm-topk`, `dssm-boundary`). Filled in by the DSSM work. */
export function dssmMethods(): U2IMethod[] {
  return [];
}
