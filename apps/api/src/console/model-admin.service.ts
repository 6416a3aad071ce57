import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { DEBUT_CONFIG, projectRoot, type DebutConfig } from '@debut/config';
import {
  EmbeddingRepository,
  InteractionRepository,
  ModelVersionRepository,
  SongRepository,
  type ModelVersionEntity,
} from '@debut/catalog';
import { ModelActivation, ModelRuntime, tfModelLoaders, type ActivationReport } from '@debut/serving';

/** Where `npm run bench:quality` writes its reports and charts. */
export const REPORTS_DIR = path.join(projectRoot, 'reports');

/** One epoch of a recorded training curve (the trainer stores them as `metrics.history`). */
export type CurvePoint = Record<string, number>;

export interface ModelVersionView {
  version: string;
  kind: string;
  active: boolean;
  dim: number;
  dataset: string | null;
  createdAt: Date;
  activatedAt: Date | null;
  /** Scalar metrics (numbers, strings, booleans) as recorded by the trainer. */
  metrics: Record<string, number | string | boolean>;
  /** Per-epoch training metrics, oldest first (empty when none were recorded). */
  curve: CurvePoint[];
  config: Record<string, unknown>;
}

export interface QualityReportView {
  name: string;
  dataset: string | null;
  seed: number | null;
  charts: string[];
}

/**
 * Model versions for the models page and `GET /v1/models`, and activation for
 * `POST /v1/models/{version}/activate`: the same ModelActivation `trainer activate` runs (embed
 * every song, build and save the pool, user vectors for a DSSM, flip the active flag), after
 * which this process switches at once and the others on their next poll.
 */
@Injectable()
export class ModelAdminService {
  private activating: string | null = null;

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    private readonly versions: ModelVersionRepository,
    private readonly songs: SongRepository,
    private readonly embeddings: EmbeddingRepository,
    private readonly interactions: InteractionRepository,
    private readonly runtime: ModelRuntime,
  ) {}

  async list(): Promise<ModelVersionView[]> {
    return (await this.versions.list()).map(view);
  }

  async activate(version: string): Promise<ActivationReport> {
    const v = await this.versions.find(version);
    if (!v) throw new NotFoundException(`unknown model version ${version}`);
    // Search versions are loaded by the api's SearchModule, which this service does not hold.
    if (v.kind === 'search')
      throw new BadRequestException(
        `${version} is a search version: activate it with \`trainer activate ${version}\``,
      );
    if (this.activating)
      throw new ConflictException(`an activation (${this.activating}) is already running in this process`);
    this.activating = version;
    try {
      const activation = new ModelActivation(
        this.config,
        this.versions,
        this.songs,
        this.embeddings,
        this.interactions,
        tfModelLoaders(this.config.models.tfBackend),
      );
      const report = await activation.activate(version);
      await this.runtime.refresh();
      return report;
    } finally {
      this.activating = null;
    }
  }

  /** Quality reports (`reports/quality-*.json`) and the PNG charts written beside them. */
  qualityReports(): QualityReportView[] {
    let files: string[];
    try {
      files = fs.readdirSync(REPORTS_DIR);
    } catch {
      return [];
    }
    const pngs = files.filter((f) => /^quality-[\w.-]+\.png$/.test(f));
    return files
      .filter((f) => /^quality-[\w.-]+\.json$/.test(f))
      .sort()
      .map((name) => {
        const base = name.replace(/\.json$/, '');
        let dataset: string | null = null;
        let seed: number | null = null;
        try {
          const r = JSON.parse(fs.readFileSync(path.join(REPORTS_DIR, name), 'utf8')) as {
            dataset?: unknown;
            seed?: unknown;
          };
          dataset = typeof r.dataset === 'string' ? r.dataset : null;
          seed = typeof r.seed === 'number' ? r.seed : null;
        } catch {
          // An unreadable report still lists its charts.
        }
        return { name, dataset, seed, charts: pngs.filter((p) => p.startsWith(`${base}-`)).sort() };
      });
  }

  /** The path of a report chart, only for a PNG that is in the reports folder. */
  chartPath(file: string): string {
    if (!/^quality-[\w.-]+\.png$/.test(file)) throw new NotFoundException(`no chart ${file}`);
    const full = path.join(REPORTS_DIR, file);
    if (!fs.existsSync(full)) throw new NotFoundException(`no chart ${file}`);
    return full;
  }
}

function view(v: ModelVersionEntity): ModelVersionView {
  const metrics: Record<string, number | string | boolean> = {};
  for (const [k, value] of Object.entries(v.metrics ?? {})) {
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean')
      metrics[k] = value;
  }
  const history = Array.isArray(v.metrics?.history) ? (v.metrics.history as unknown[]) : [];
  const curve = history
    .filter((h): h is Record<string, unknown> => typeof h === 'object' && h !== null)
    .map((h) =>
      Object.fromEntries(Object.entries(h).filter((e): e is [string, number] => typeof e[1] === 'number')),
    );
  return {
    version: v.version,
    kind: v.kind,
    active: v.active,
    dim: v.dim,
    dataset: typeof v.metrics?.dataset === 'string' ? v.metrics.dataset : null,
    createdAt: v.createdAt,
    activatedAt: v.activatedAt,
    metrics,
    curve,
    config: v.config ?? {},
  };
}
