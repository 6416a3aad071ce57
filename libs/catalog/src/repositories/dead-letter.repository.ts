import { DataSource } from 'typeorm';
import type { DeadLetterRow } from '../entities/dead-letter.entity';

export type { DeadLetterRow } from '../entities/dead-letter.entity';

/** A dead letter to store: the row without its id and replay mark, its key as text. */
export type NewDeadLetter = Omit<DeadLetterRow, 'id' | 'replayedAt' | 'key'> & { key: string | null };

/** A dead letter as listed (without its bytes). */
export type DeadLetterSummary = Omit<DeadLetterRow, 'key' | 'value'>;

/** NUL is the one character jsonb and text refuse; header values are kept readable otherwise. */
const storable = (s: string) => s.replaceAll('\u0000', '\uFFFD');

const SUMMARY = `id::text AS id, topic, partition, "offset"::text AS "offset", headers, reason, size, sha256,
  failed_at AS "failedAt", replayed_at AS "replayedAt"`;

/** Dead letters' full bytes, for inspection and replay. The only place that speaks SQL about them. */
export class DeadLetterRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Stores the letters and returns their ids, in order. A second refusal of the same source
   * record (a redelivery) keeps the first row and its id, with the latest reason.
   */
  async saveMany(letters: NewDeadLetter[]): Promise<string[]> {
    if (!letters.length) return [];
    const headers = letters.map((l) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(l.headers).map(([k, v]) => [storable(k), storable(v)])),
      ),
    );
    const rows: Array<{ id: string; topic: string; partition: number; offset: string }> = await this.ds.query(
      `INSERT INTO dead_letters (topic, partition, "offset", key, value, headers, reason, size, sha256, failed_at)
       SELECT t.topic, t.partition, t."offset", t.key, t.value, t.headers, t.reason, t.size, t.sha256, t.failed_at
       FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[], $5::bytea[], $6::jsonb[], $7::text[],
                   $8::int[], $9::text[], $10::timestamptz[])
         AS t(topic, partition, "offset", key, value, headers, reason, size, sha256, failed_at)
       ON CONFLICT (topic, partition, "offset") DO UPDATE SET reason = EXCLUDED.reason
       RETURNING id::text AS id, topic, partition, "offset"::text AS "offset"`,
      [
        letters.map((l) => l.topic),
        letters.map((l) => l.partition),
        letters.map((l) => l.offset),
        letters.map((l) => (l.key === null ? null : Buffer.from(storable(l.key), 'utf8'))),
        letters.map((l) => l.value),
        headers,
        letters.map((l) => storable(l.reason)),
        letters.map((l) => l.size),
        letters.map((l) => l.sha256),
        letters.map((l) => l.failedAt),
      ],
    );
    const byKey = new Map(
      rows.map((r) => [`${r.topic}\u0001${r.partition}\u0001${r.offset}`, r.id] as const),
    );
    return letters.map((l) => byKey.get(`${l.topic}\u0001${l.partition}\u0001${l.offset}`) ?? '');
  }

  /** Dead letters, newest first; only those not yet replayed unless `all`. */
  list(options: { all?: boolean; limit?: number } = {}): Promise<DeadLetterSummary[]> {
    return this.ds.query(
      `SELECT ${SUMMARY} FROM dead_letters
       WHERE $1::boolean OR replayed_at IS NULL ORDER BY id DESC LIMIT $2`,
      [options.all ?? false, options.limit ?? 100],
    );
  }

  /** Per source topic: how many dead letters it has, and how many of them wait for a replay. */
  topics(): Promise<Array<{ topic: string; total: number; pending: number }>> {
    return this.ds.query(
      `SELECT topic, count(*)::int AS total, count(*) FILTER (WHERE replayed_at IS NULL)::int AS pending
         FROM dead_letters GROUP BY topic ORDER BY topic`,
    );
  }

  /**
   * Dead letters of one source topic (every topic when null), newest first, replayed ones
   * included, each with the first `previewBytes` bytes of its value.
   */
  recent(options: {
    topic: string | null;
    limit: number;
    previewBytes: number;
  }): Promise<Array<DeadLetterSummary & { preview: Buffer | null }>> {
    return this.ds.query(
      `SELECT ${SUMMARY}, substring(value FROM 1 FOR $3) AS preview FROM dead_letters
       WHERE $1::text IS NULL OR topic = $1 ORDER BY id DESC LIMIT $2`,
      [options.topic, options.limit, options.previewBytes],
    );
  }

  /** Full rows (with their bytes): these ids, or (`'pending'`) every one not yet replayed, oldest first. */
  forReplay(ids: string[] | 'pending', limit = 1000): Promise<DeadLetterRow[]> {
    return ids === 'pending'
      ? this.ds.query(
          `SELECT ${SUMMARY}, key, value FROM dead_letters WHERE replayed_at IS NULL ORDER BY id LIMIT $1`,
          [limit],
        )
      : this.ds.query(
          `SELECT ${SUMMARY}, key, value FROM dead_letters WHERE id = ANY($1::bigint[]) ORDER BY id`,
          [ids],
        );
  }

  async markReplayed(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await this.ds.query('UPDATE dead_letters SET replayed_at = now() WHERE id = ANY($1::bigint[])', [ids]);
  }
}
