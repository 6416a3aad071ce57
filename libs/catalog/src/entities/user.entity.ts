import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A listener. `vectorsStale` marks users whose DSSM vectors need a (batched) refresh. */
@Entity('users')
@Index('users_vectors_stale_idx', ['vectorsStale'], { where: 'vectors_stale' })
export class UserEntity {
  @PrimaryColumn('text') id: string;
  @Column('jsonb', { default: () => "'{}'" }) profile: Record<string, unknown>;
  @Column('boolean', { name: 'vectors_stale', default: false }) vectorsStale: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
