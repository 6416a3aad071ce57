import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type SongPool = 'warm' | 'cold';

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
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
