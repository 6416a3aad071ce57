import { FeatureSchema, SongContent, categoricalValue, multiValues } from './schema';

/** One field of the flat model input: a contiguous slice [offset, offset + width). */
export interface FieldSpec {
  name: string;
  modality: string;
  offset: number;
  width: number;
}

const OOV = '<oov>';

/**
 * Turns a song's content into the flat float vector every model consumes. Categorical and
 * multi-categorical modalities become one-hot / normalised multi-hot slices (so embedding
 * lookups are multi-hot × matrix products: tf.gather's gradient is missing on the wasm
 * backend). Each dense modality may be split into several fields.
 */
export class Featurizer {
  readonly fields: FieldSpec[];
  readonly inputDim: number;
  private readonly vocabIndex = new Map<string, Map<string, number>>();

  constructor(readonly schema: FeatureSchema) {
    const fields: FieldSpec[] = [];
    let offset = 0;
    for (const m of schema.modalities) {
      if (m.kind === 'dense') {
        const parts = Math.max(1, Math.min(m.fields ?? 1, m.dim));
        const base = Math.floor(m.dim / parts);
        let rest = m.dim % parts;
        for (let p = 0; p < parts; p++) {
          const width = base + (rest-- > 0 ? 1 : 0);
          fields.push({ name: parts === 1 ? m.name : `${m.name}#${p}`, modality: m.name, offset, width });
          offset += width;
        }
      } else if (m.kind === 'categorical' || m.kind === 'multi') {
        const index = new Map<string, number>();
        [OOV, ...m.vocabulary].forEach((v, i) => index.set(v, i));
        this.vocabIndex.set(m.name, index);
        fields.push({ name: m.name, modality: m.name, offset, width: index.size });
        offset += index.size;
      } else {
        fields.push({ name: m.name, modality: m.name, offset, width: 1 });
        offset += 1;
      }
    }
    this.fields = fields;
    this.inputDim = offset;
  }

  /** Writes one song's input vector into `out` at `at` (for batch building without copies). */
  encodeInto(content: SongContent, out: Float32Array, at = 0): void {
    let offset = at;
    for (const m of this.schema.modalities) {
      if (m.kind === 'dense') {
        const v = content.features[m.name];
        if (v) for (let j = 0; j < m.dim; j++) out[offset + j] = v[j] ?? 0;
        offset += m.dim;
      } else if (m.kind === 'categorical' || m.kind === 'multi') {
        const index = this.vocabIndex.get(m.name)!;
        const values =
          m.kind === 'categorical'
            ? [categoricalValue(content, m.name)].filter((x): x is string => typeof x === 'string')
            : (multiValues(content, m.name) ?? []);
        if (values.length > 0) {
          const w = m.kind === 'multi' ? 1 / Math.sqrt(values.length) : 1;
          for (const value of values) out[offset + (index.get(value) ?? 0)] += w;
        }
        offset += index.size;
      } else {
        const raw = content.numeric?.[m.name] ?? m.mean ?? 0;
        out[offset] = (raw - (m.mean ?? 0)) / (m.std && m.std > 0 ? m.std : 1);
        offset += 1;
      }
    }
  }

  encode(content: SongContent): Float32Array {
    const out = new Float32Array(this.inputDim);
    this.encodeInto(content, out, 0);
    return out;
  }

  /** Row-major N × inputDim matrix. */
  encodeBatch(contents: SongContent[]): Float32Array {
    const out = new Float32Array(contents.length * this.inputDim);
    contents.forEach((c, i) => this.encodeInto(c, out, i * this.inputDim));
    return out;
  }
}
