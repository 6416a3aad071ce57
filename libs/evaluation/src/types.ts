import type { AudienceMethod, Neighbour } from '@debut/audience';
import type { FeatureSchema, SongContent } from '@debut/features';

/** A listening signal: strength is a play count (Last.fm) or a signal weight (synthetic). */
export interface Interaction {
  userId: string;
  itemId: string;
  strength: number;
  /** Time (ms since epoch) of the user's last play of the item; only datasets with timestamps (synthetic-drift). */
  at?: number;
}

export interface Item {
  id: string;
  content: SongContent;
  /** Optional display fields. */
  title?: string;
  artistId?: string;
}

/** A dataset in the shape the models and the service ingest. */
export interface ColdStartDataset {
  name: 'lastfm' | 'synthetic' | (string & {});
  schema: FeatureSchema;
  items: Item[];
  users: string[];
  interactions: Interaction[];
  /** Synthetic only: users who only ever play hits (they should be shown no cold song). */
  hitsOnlyUsers?: Set<string>;
  /** synthetic-drift only: what the generator planted (the evaluator's drift / recent / season slices). */
  drift?: DriftTruth;
  /** Human-readable counts stated by the loader. */
  stats: Record<string, number>;
}

/** What synthetic-drift planted (libs/evaluation/src/synthetic-drift.ts). */
export interface DriftTruth {
  /** Users whose recent listening moved to another taste. */
  driftedUsers: Set<string>;
  /** Plays at or after this time (ms) are the recent part of the year. */
  recentSince: number;
  /** Seasonal songs and their 0-based UTC month. */
  seasonalSongs: Set<string>;
  seasonalMonth: number;
  /** Release time (ms) of the songs released during the year (the rest is back catalogue). */
  releases: Map<string, number>;
}

/** DESIGN.md §6 cold-item split. Hidden interactions never reach anything that trains. */
export interface ColdSplit {
  seed: number;
  warmItems: string[];
  coldValItems: string[];
  coldTestItems: string[];
  /** Interactions on warm items only. */
  train: Interaction[];
  /** Hidden interactions of cold validation / test items (ground truth). */
  coldVal: Interaction[];
  coldTest: Interaction[];
  /** Opt-in (SplitOptions.warmHoldout): seeded share of each user's warm plays hidden from `train`. */
  warmHoldout?: Interaction[];
}

/** What a model method gets to train with: never the hidden cold interactions' owners' labels. */
export interface TrainContext {
  dataset: ColdStartDataset;
  split: ColdSplit;
  seed: number;
  /** Audience Recall@100 on cold validation items for a given item encoder (early stopping). */
  validateI2I(embed: ItemEncoder): Promise<number>;
  /**
   * Audience Recall@100 on cold validation items of an audience method; queries carry the
   * neighbours of `neighbours` (an I2I space) when given, else none.
   */
  validateAudience(method: AudienceMethod, neighbours?: ItemEncoder): Promise<number>;
  /** Audience Recall@100 on cold validation items of given neighbour lists (one per item, in coldValItems order). */
  validateNeighbours(neighbours: Neighbour[][]): Promise<number>;
  /** Audience Recall@100 on cold validation items of dense scores (validation items × dataset.users). */
  validateUserScores(scores: Float32Array): number;
  /** Featurized content of the cold validation items (the model input), one row each. */
  coldValInputs(): Float32Array[];
  /** Progress/log sink (the CLI draws a bar; tests stay quiet). */
  log: (message: string) => void;
  /** Per-epoch training curve points, for the report's charts. */
  curve(method: string, epoch: number, values: Record<string, number>): void;
}

/** Maps item contents to L2-normalised vectors, row-major N × dim. */
export interface ItemEncoder {
  dim: number;
  embed(items: Item[]): Float32Array;
}

/** An I2I method: learns an item encoder from warm items; cold items are embedded by content. */
export interface I2IMethod {
  name: string;
  fit(ctx: TrainContext): Promise<ItemEncoder>;
}

/** A U2I method: user, item and (optionally) boundary vectors; score = u·i, gate = u·i > u·b. */
export interface U2IModel {
  dim: number;
  embedItems(items: Item[]): Float32Array;
  /** Vectors of users from their (training) history. */
  embedUsers(userIds: string[]): Float32Array;
  /** Boundary vectors b (gate passes when u·i > u·b); absent for methods without a boundary. */
  embedBoundaries?(userIds: string[]): Float32Array;
  /** τ of the gate u·i > u·b + τ (calibrated on validation; 0 when absent). */
  gateOffset?: number;
  /**
   * Dual memory (issue 16): several user-vector sets (e.g. long-term h_gen, next-intent h_next),
   * each N × dim; when present the ranking metrics rank cold items by each set and interleave
   * the lists round-robin (skipping duplicates). The gate still uses embedUsers.
   */
  embedUserLists?(userIds: string[]): Float32Array[];
  /** Ranks each list gives per round-robin turn (default one each), e.g. [3, 1]. */
  listShares?: number[];
  /** Context offsets (issue 16): user vectors for a time `at` (ms), e.g. u + o_month(at). */
  embedUsersAt?(userIds: string[], at: number): Float32Array;
}

/** What an audience method's fit hands the benchmark and the service. */
export interface AudienceFit {
  method: AudienceMethod;
  /** The I2I space whose neighbours the method's queries need (neighbour voting, fusion). */
  neighbours?: ItemEncoder;
  /** Chosen hyper-parameters etc., for the report. */
  notes?: string;
  /** Metrics the fit itself measured (e.g. the share of fusion weight on learned parts). */
  metrics?: Record<string, number>;
}

export interface U2IMethod {
  name: string;
  fit(ctx: TrainContext): Promise<U2IModel>;
}

export type Metrics = Record<string, number>;

/** Which cold half: validation (chooses hyper-parameters) or test (reported). */
export type Which = 'val' | 'test';

/** What the audience-method evaluation reads of a ColdStartEvaluator. */
export interface ColdItemsView {
  readonly dataset: ColdStartDataset;
  readonly k: number;
  readonly n: number;
  readonly coldIds: Record<Which, string[]>;
  readonly hidden: Record<Which, Map<string, Set<string>>>;
  items(ids: readonly string[]): Item[];
}
