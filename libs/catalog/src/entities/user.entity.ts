import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/** A listener. `vectorsStale` marks users whose DSSM vectors need a (batched) refresh. */
@Entity('users')
@Index('users_vectors_stale_idx', ['vectorsStale'], { where: 'vectors_stale' })
@Index('users_draw_key_idx', ['drawKey', 'id'])
export class UserEntity {
  @PrimaryColumn('text') id: string;
  @Column('jsonb', { default: () => "'{}'" }) profile: Record<string, unknown>;
  @Column('boolean', { name: 'vectors_stale', default: false }) vectorsStale: boolean;
  /** The market the user listens in (ISO 3166-1 alpha-2); null = unknown. */
  @Column('text', { nullable: true }) region: string | null;
  @Column('boolean', { name: 'explicit_opt_out', default: false }) explicitOptOut: boolean;
  /** `updatedAt` of the profile applied last (a profile older than this one changes nothing). */
  @Column('timestamptz', { name: 'profile_updated_at', nullable: true }) profileUpdatedAt: Date | null;
  /** The user's place on the exploration ring (ring_key: first 32 bits of md5(id)); PostgreSQL computes it. */
  @Column({
    type: 'integer',
    name: 'draw_key',
    generatedType: 'STORED',
    asExpression: 'ring_key(id)',
    insert: false,
    update: false,
  })
  drawKey: number;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
}
