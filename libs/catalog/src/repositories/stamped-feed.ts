import type { DataSource } from 'typeorm';

/**
 * A position in a feed of xid-stamped rows: `<xid8>/<key>`, exclusive (an empty key: every row
 * of that transaction). Opaque to callers except that it can be stored and compared.
 */
export type FeedCursor = string;

/** Which stamped rows a feed reads: trusted identifiers only (never user input). */
export interface StampedFeed {
  table: string;
  /** The text column that orders rows within one transaction. */
  key: string;
  /** Further columns returned with each row. */
  columns: string[];
  /** Extra condition on the table's alias `t`, with parameters from $4 on. */
  where?: string;
}

/**
 * Rows whose writer's xid (a column stamped on insert and update) is past `cursor`, in
 * (xid, key) order, and the cursor to continue from. Only rows of transactions below the oldest
 * one in progress (pg_snapshot_xmin) are read, so a transaction that commits later can never
 * land behind the cursor: the feed misses no commit, whatever order transactions finish in.
 */
export async function readStampedRows<R extends Record<string, unknown>>(
  ds: DataSource,
  feed: StampedFeed,
  cursor: FeedCursor,
  limit: number,
  params: unknown[] = [],
): Promise<{ rows: Array<R & { key: string }>; cursor: FeedCursor }> {
  const [xid, key] = parseFeedCursor(cursor);
  const cols = feed.columns.map((c) => `t.${c}`).join(', ');
  const rows: Array<{ upto: string; xid: string | null; key: string | null } & R> = await ds.query(
    `WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS upto)
     SELECT h.upto::text AS upto, v.*
       FROM h LEFT JOIN LATERAL (
         SELECT t.xid::text AS xid, t.${feed.key} AS key${cols ? `, ${cols}` : ''} FROM ${feed.table} t
          WHERE (t.xid, t.${feed.key}) > ($1::xid8, $2::text) AND t.xid < h.upto${feed.where ? ` AND ${feed.where}` : ''}
          ORDER BY t.xid, t.${feed.key} LIMIT $3) v ON true
      ORDER BY v.xid, v.key`,
    [xid, key, limit, ...params],
  );
  const found = rows.filter((r) => r.key !== null) as Array<R & { key: string; xid: string }>;
  const last = found[found.length - 1];
  // A full page may stop inside a transaction's rows; otherwise everything below the horizon is read.
  let next = found.length === limit && last ? `${last.xid}/${last.key}` : `${rows[0].upto}/`;
  if (compareFeedCursors(next, cursor) < 0) next = cursor;
  return { rows: found, cursor: next };
}

/** Where a reader that has just read a whole table starts following its feed. */
export async function feedHorizon(ds: DataSource): Promise<FeedCursor> {
  const [{ upto }] = await ds.query<Array<{ upto: string }>>(
    'SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS upto',
  );
  return `${upto}/`;
}

function parseFeedCursor(cursor: FeedCursor): [string, string] {
  const m = /^(\d+)\/(.*)$/s.exec(cursor);
  if (!m) throw new Error(`bad feed cursor ${JSON.stringify(cursor)}`);
  return [m[1], m[2]];
}

/** Orders by xid; within one xid only "the whole transaction" ('') is known to come first. */
function compareFeedCursors(a: FeedCursor, b: FeedCursor): number {
  const [ax, ak] = parseFeedCursor(a);
  const [bx, bk] = parseFeedCursor(b);
  if (ax !== bx) return BigInt(ax) < BigInt(bx) ? -1 : 1;
  return ak === bk ? 0 : ak === '' ? -1 : bk === '' ? 1 : 0;
}
