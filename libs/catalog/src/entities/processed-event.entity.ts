import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Event ids already applied: redelivery of one of these changes nothing. */
@Entity('processed_events')
export class ProcessedEventEntity {
  @PrimaryColumn('text', { name: 'event_id' }) eventId: string;
  @Column('text') topic: string;
  @Column('timestamptz', { name: 'processed_at', default: () => 'now()' }) processedAt: Date;
}
