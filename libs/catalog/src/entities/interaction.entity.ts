import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type InteractionKind = 'play' | 'complete' | 'favorite' | 'skip';

/** One listening signal. `weight` is the kind's signal strength (or a play count on import). */
@Entity('interactions')
@Index('interactions_song_idx', ['songId', 'occurredAt'])
@Index('interactions_user_idx', ['userId', 'occurredAt'])
export class InteractionEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' }) id: string;
  @Column('text', { name: 'event_id', nullable: true, unique: true }) eventId: string | null;
  @Column('text', { name: 'user_id' }) userId: string;
  @Column('text', { name: 'song_id' }) songId: string;
  @Column('text') kind: InteractionKind;
  @Column('real') weight: number;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
}
