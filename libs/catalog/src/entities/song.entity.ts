import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type SongPool = 'warm' | 'cold';

/** A release's audience budget as stored: either part may be absent (the configured default). */
export interface SongAudienceBudget {
  size?: number;
  explorationShare?: number;
}

/** A song and its content modalities. `pool` says whether it is established or still cold. */
@Entity('songs')
@Index('songs_pool_idx', ['pool'])
export class SongEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { default: '' }) title: string;
  @Column('text', { name: 'artist_id' }) artistId: string;
  @Column('text', { nullable: true }) language: string | null;
  @Column('text', { array: true, default: () => "'{}'" }) genres: string[];
  @Column('timestamptz', { name: 'released_at' }) releasedAt: Date;
  /** Dense modality vectors by name, e.g. { audio: [...], text: [...] }. */
  @Column('jsonb') features: Record<string, number[]>;
  @Column('text', { default: 'cold' }) pool: SongPool;
  @Column('int', { name: 'listener_count', default: 0 }) listenerCount: number;
  /** Markets the song may be sent in (ISO 3166-1 alpha-2); null = everywhere. */
  @Column('text', { array: true, nullable: true }) availability: string[] | null;
  /** Never sent to users who opted out of explicit content. */
  @Column('boolean', { default: false }) explicit: boolean;
  /** The release's audience budget (size, exploration share); null = the configured defaults. */
  @Column('jsonb', { name: 'audience_budget', nullable: true }) audienceBudget: SongAudienceBudget | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
