import { DataSource } from 'typeorm';
import { ModelKind, ModelVersionEntity } from '../entities';

/** Trained model versions; activation is atomic (one active per kind). */
export class ModelVersionRepository {
  constructor(private readonly ds: DataSource) {}

  private get repo() {
    return this.ds.getRepository(ModelVersionEntity);
  }

  async register(v: Omit<ModelVersionEntity, 'createdAt' | 'activatedAt' | 'active'>): Promise<void> {
    await this.ds.query(
      `INSERT INTO model_versions (version, kind, artifact_path, dim, config, metrics) VALUES ($1, $2, $3, $4, $5, $6)`,
      [v.version, v.kind, v.artifactPath, v.dim, JSON.stringify(v.config), JSON.stringify(v.metrics)],
    );
  }

  find(version: string): Promise<ModelVersionEntity | null> {
    return this.repo.findOneBy({ version });
  }

  active(kind: ModelKind): Promise<ModelVersionEntity | null> {
    return this.repo.findOneBy({ kind, active: true });
  }

  async hasActive(kind: ModelKind): Promise<boolean> {
    const rows: unknown[] = await this.ds.query('SELECT 1 FROM model_versions WHERE kind = $1 AND active', [
      kind,
    ]);
    return rows.length > 0;
  }

  list(): Promise<ModelVersionEntity[]> {
    return this.repo.find({ order: { createdAt: 'DESC' } });
  }

  async activate(version: string): Promise<ModelVersionEntity> {
    return this.ds.transaction(async (m) => {
      const v = await m.findOneBy(ModelVersionEntity, { version });
      if (!v) throw new Error(`unknown model version ${version}`);
      await m.query('UPDATE model_versions SET active = false WHERE kind = $1 AND active', [v.kind]);
      await m.query('UPDATE model_versions SET active = true, activated_at = now() WHERE version = $1', [
        version,
      ]);
      return { ...v, active: true };
    });
  }
}
