import { Column, Entity, PrimaryColumn } from 'typeorm';

export interface AudienceMember {
  userId: string;
  score: number;
  /** The neighbour songs that put this user in the audience. */
  because: string[];
  /** Chosen for exploration, outside the song's nearest audience (absent = false). */
  explore?: boolean;
}

/** The selected first audience of a song under one I2I model version (one row, never two). */
@Entity('audiences')
export class AudienceEntity {
  @PrimaryColumn('text', { name: 'song_id' }) songId: string;
  @PrimaryColumn('text', { name: 'model_version' }) modelVersion: string;
  @Column('jsonb') members: AudienceMember[];
  @Column('jsonb') neighbours: Array<{ songId: string; similarity: number }>;
  @Column('text', { name: 'event_id', nullable: true }) eventId: string | null;
  @Column('timestamptz', { name: 'selected_at' }) selectedAt: Date;
  /** When the release event reached the worker (null: selected without one, e.g. a recompute). */
  @Column('timestamptz', { name: 'received_at', nullable: true }) receivedAt?: Date | null;
  /** The audience method that selected the members (i2i2u, content-ridge, u2i-audience, fusion). */
  @Column('text', { default: 'i2i2u' }) method: string;
  /** The song's semantic ID under this version when it was selected (null: no codebook). */
  @Column('text', { nullable: true }) sid?: string | null;
  /** Outbox mark: when song.audience.selected was published (null = not yet). */
  @Column('timestamptz', { name: 'published_at', nullable: true }) publishedAt: Date | null;
}
