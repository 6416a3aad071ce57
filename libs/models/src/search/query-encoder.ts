/**
 * The query encoder: a query's words (tokenize) → mean of their word embeddings (a bag of
 * words over a fixed vocabulary; unknown words are ignored) → MLP → L2-normalised vector in the
 * item tower's space (same output dimension), so a query is scored against songs by inner
 * product. The bag is a mean-pooled multi-hot row times the embedding matrix (a plain matMul,
 * which trains on every backend).
 */
import { tf } from '../tf';
import { MLP, Module, NamedVariables, glorot, l2Normalize } from '../towers';

export interface QueryEncoderConfig {
  vocabulary: string[];
  embedDim: number;
  hidden: number[];
  outputDim: number;
  seed: number;
}

export class QueryEncoder implements Module {
  readonly index: Map<string, number>;
  readonly embedding: tf.Variable;
  readonly mlp: MLP;

  constructor(readonly cfg: QueryEncoderConfig) {
    this.index = new Map(cfg.vocabulary.map((w, i) => [w, i]));
    this.embedding = glorot(Math.max(1, cfg.vocabulary.length), cfg.embedDim, cfg.seed, 'query_embedding');
    this.mlp = new MLP({
      inputDim: cfg.embedDim,
      units: [...cfg.hidden, cfg.outputDim],
      activation: 'relu',
      seed: cfg.seed + 3,
      name: 'query',
    });
  }

  get vocabularySize(): number {
    return this.cfg.vocabulary.length;
  }

  get outputDim(): number {
    return this.cfg.outputDim;
  }

  /** How many of the tokens are in the vocabulary (0 → the query has no dense vector). */
  known(tokens: readonly string[]): number {
    return tokens.filter((t) => this.index.has(t)).length;
  }

  /** Mean-pooled multi-hot rows (queries × vocabulary) of token lists. */
  bagOfWords(queries: ReadonlyArray<readonly string[]>): Float32Array {
    const V = Math.max(1, this.vocabularySize);
    const out = new Float32Array(queries.length * V);
    queries.forEach((tokens, r) => {
      const ids = tokens.map((t) => this.index.get(t)).filter((i): i is number => i !== undefined);
      for (const i of ids) out[r * V + i] += 1 / ids.length;
    });
    return out;
  }

  /** Bag-of-words rows (n × vocabulary) → L2-normalised n × outputDim. */
  apply(bags: tf.Tensor2D): tf.Tensor2D {
    return l2Normalize(this.mlp.apply(tf.matMul(bags, this.embedding)));
  }

  /** Token lists → n × outputDim row-major vectors (zero rows for queries with no known word). */
  embed(queries: ReadonlyArray<readonly string[]>, chunk = 1024): Float32Array {
    const V = Math.max(1, this.vocabularySize);
    const d = this.outputDim;
    const out = new Float32Array(queries.length * d);
    for (let s = 0; s < queries.length; s += chunk) {
      const part = queries.slice(s, s + chunk);
      const v = tf.tidy(() => this.apply(tf.tensor2d(this.bagOfWords(part), [part.length, V])));
      out.set(v.dataSync(), s * d);
      v.dispose();
    }
    queries.forEach((q, r) => {
      if (this.known(q) === 0) out.fill(0, r * d, (r + 1) * d);
    });
    return out;
  }

  variables(): tf.Variable[] {
    return [this.embedding, ...this.mlp.variables()];
  }

  weights(): NamedVariables {
    return [{ name: 'query/embedding', variable: this.embedding }, ...this.mlp.weights()];
  }

  dispose(): void {
    this.variables().forEach((v) => v.dispose());
  }
}
