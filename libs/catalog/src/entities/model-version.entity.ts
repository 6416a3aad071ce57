import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type ModelKind = 'i2i' | 'dssm' | 'audience' | 'search';

/** A trained model artifact. At most one version per kind is active (partial unique index). */
@Entity('model_versions')
@Index('model_versions_one_active', ['kind'], { unique: true, where: 'active' })
export class ModelVersionEntity {
  @PrimaryColumn('text') version: string;
  @Column('text') kind: ModelKind;
  @Column('text', { name: 'artifact_path' }) artifactPath: string;
  @Column('int') dim: number;
  @Column('jsonb', { default: () => "'{}'" }) config: Record<string, unknown>;
  @Column('jsonb', { default: () => "'{}'" }) metrics: Record<string, unknown>;
  @Column('boolean', { default: false }) active: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { name: 'activated_at', nullable: true }) activatedAt: Date | null;
}
