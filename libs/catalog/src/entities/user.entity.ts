import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A listener. `vectorsStale` marks users whose DSSM vectors need a (batched) refresh. */
@Entity('users')
@Index('users_vectors_stale_idx', ['vectorsStale'], { where: 'vectors_stale' })
export class UserEntity {
  @PrimaryColumn('text') id: string;
  @Column('jsonb', { default: () => "'{}'" }) profile: Record<string, unknown>;
  @Column('boolean', { name: 'vectors_stale', default: false }) vectorsStale: boolean;
  /** The market the user listens in (ISO 3166-1 alpha-2); null = unknown. */
  @Column('text', { nullable: true }) region: string | null;
  @Column('boolean', { name: 'explicit_opt_out', default: false }) explicitOptOut: boolean;
  /** `updatedAt` of the profile applied last (a profile older than this one changes nothing). */
  @Column('timestamptz', { name: 'profile_updated_at', nullable: true }) profileUpdatedAt: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
