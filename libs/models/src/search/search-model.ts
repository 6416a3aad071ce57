/**
 * The trained search model as serving uses it: the item tower of the joint representation (song
 * contents → L2-normalised vectors), the query encoder (words → the same space), the text
 * configuration (what a song's tag phrases are) and the fusion chosen on validation. Saved as a
 * versioned `search` artifact (artifact.ts: manifest, weights.bin, sha256 checksum).
 */
import { FeatureSchema, Featurizer, SongContent } from '@debut/features';
import { ArtifactManifest, assignWeights, readArtifact, writeArtifact } from '../artifact';
import { embedWithTower } from '../encoder';
import { ItemTower } from '../towers';
import type { FusionChoice } from './hybrid';
import { QueryEncoder } from './query-encoder';
import type { Phrase, SearchTrainConfig } from './search-trainer';
import { SearchTextConfig, SearchableSong, songPhrases, songTokens } from './song-text';

export const SEARCH_KIND = 'search';

export interface SearchArtifactConfig {
  train: SearchTrainConfig;
  vocabulary: string[];
  text: SearchTextConfig;
  fusion: FusionChoice;
  /** Candidates per path (lexical top K, dense top K) that the hybrid ranks. */
  candidates: number;
}

export class SearchModel {
  readonly featurizer: Featurizer;

  constructor(
    readonly schema: FeatureSchema,
    readonly tower: ItemTower,
    readonly queryEncoder: QueryEncoder,
    readonly config: SearchArtifactConfig,
  ) {
    this.featurizer = new Featurizer(schema);
  }

  get dim(): number {
    return this.tower.outputDim;
  }

  /** Song contents → N × dim, the served joint representation. */
  embedSongs(contents: SongContent[]): Float32Array {
    return embedWithTower(
      this.tower,
      this.featurizer.encodeBatch(contents),
      contents.length,
      this.featurizer.inputDim,
    );
  }

  /** A query's tokens → its vector, or null when no token is in the vocabulary. */
  embedQuery(tokens: readonly string[]): Float32Array | null {
    return this.queryEncoder.known(tokens) ? this.queryEncoder.embed([tokens]) : null;
  }

  phrases(content: SongContent): Phrase[] {
    return songPhrases(this.schema, this.featurizer.fields, content, this.config.text);
  }

  /** BM25 tokens of a song. */
  tokens(song: SearchableSong): string[] {
    return songTokens(song, this.phrases(song.content));
  }

  dispose(): void {
    this.tower.variables().forEach((v) => v.dispose());
    this.queryEncoder.dispose();
  }
}

export async function saveSearchArtifact(
  dir: string,
  model: SearchModel,
  metrics: Record<string, unknown> = {},
  version?: string,
): Promise<ArtifactManifest<SearchArtifactConfig>> {
  const prefixed = (p: string, ws: ReturnType<ItemTower['weights']>) =>
    ws.map((w) => ({ name: `${p}/${w.name}`, variable: w.variable }));
  return writeArtifact(dir, {
    kind: SEARCH_KIND,
    version,
    schema: model.schema,
    config: model.config,
    metrics,
    weights: [...prefixed('item', model.tower.weights()), ...prefixed('query', model.queryEncoder.weights())],
    extra: { dim: model.dim, vocabulary: model.config.vocabulary.length },
  });
}

/** Loads a `search` artifact (checksum verified; call `await initTf()` first). */
export async function loadSearchModel(
  dir: string,
): Promise<{ model: SearchModel; manifest: ArtifactManifest<SearchArtifactConfig> }> {
  const loaded = await readArtifact(dir);
  const manifest = loaded.manifest as ArtifactManifest<SearchArtifactConfig>;
  if (manifest.kind !== SEARCH_KIND)
    throw new Error(`artifact ${dir}: kind ${manifest.kind}, expected ${SEARCH_KIND}`);
  const c = manifest.config;
  const featurizer = new Featurizer(manifest.schema);
  const tower = new ItemTower({
    fields: featurizer.fields,
    fieldDim: c.train.fieldDim,
    hidden: c.train.hidden,
    outputDim: c.train.outputDim,
    seed: c.train.seed,
  });
  const queryEncoder = new QueryEncoder({
    vocabulary: c.vocabulary,
    embedDim: c.train.queryEmbedDim,
    hidden: c.train.queryHidden,
    outputDim: c.train.outputDim,
    seed: c.train.seed + 101,
  });
  assignWeights(tower.weights(), loaded.tensors, 'item/');
  assignWeights(queryEncoder.weights(), loaded.tensors, 'query/');
  return { model: new SearchModel(manifest.schema, tower, queryEncoder, c), manifest };
}
