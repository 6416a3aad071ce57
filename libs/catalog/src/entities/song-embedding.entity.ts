import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A song's vector under one model version (I2I vector, or DSSM item vector). */
@Entity('song_embeddings')
export class SongEmbeddingEntity {
  @PrimaryColumn('text', { name: 'model_version' }) modelVersion: string;
  @PrimaryColumn('text', { name: 'song_id' }) songId: string;
  @Column('real', { array: true }) vector: number[];
  /** Semantic ID under this version ("12-5-40"); null when the version has no codebook. */
  @Column('text', { nullable: true }) sid: string | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
