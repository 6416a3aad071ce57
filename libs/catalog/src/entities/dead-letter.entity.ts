/**
 * A row of `dead_letters`: a record a consumer refused, with its full bytes. The DLQ topic may
 * hold only a truncated copy (a record larger than it accepts), so this row is what inspection
 * and replay read. Plain rows (DeadLetterRepository speaks SQL), not a TypeORM entity.
 */
export interface DeadLetterRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  reason: string;
  size: number;
  sha256: string;
  failedAt: Date;
  replayedAt: Date | null;
}
