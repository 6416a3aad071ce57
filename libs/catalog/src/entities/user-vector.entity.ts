import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A user's DSSM interest vector u and boundary vector b under one model version. */
@Entity('user_vectors')
export class UserVectorEntity {
  @PrimaryColumn('text', { name: 'model_version' }) modelVersion: string;
  @PrimaryColumn('text', { name: 'user_id' }) userId: string;
  @Column('real', { array: true, name: 'user_vector' }) userVector: number[];
  @Column('real', { array: true, name: 'boundary_vector' }) boundaryVector: number[];
  /** Next-intent vectors h_next (issue 16); null until computed (readers fall back to u and b). */
  @Column('real', { array: true, name: 'next_user_vector', nullable: true }) nextUserVector: number[] | null;
  @Column('real', { array: true, name: 'next_boundary_vector', nullable: true })
  nextBoundaryVector: number[] | null;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
