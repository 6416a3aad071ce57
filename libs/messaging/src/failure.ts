import { isMalformedEventError } from './dlq';
import { errorMessage } from './logger';

/**
 * What a handler failure means for the record that caused it:
 * - `permanent`: the record itself is refused (validation, a PostgreSQL data error, a broker that
 *   says the record is too large). Retrying cannot help, so it is dead-lettered at once.
 * - `transient`: a dependency is down or contended (connection lost, serialization failure,
 *   deadlock, admin shutdown). Retried with backoff for as long as it lasts, never dead-lettered.
 * - `unknown`: anything else. Retried, but only within the poison budget while the database
 *   and the broker answer; after that it is treated as the record's fault.
 */
export type FailureKind = 'permanent' | 'transient' | 'unknown';

export interface FailureClass {
  kind: FailureKind;
  /** What a person reads in the dead letter or the log. */
  reason: string;
}

/**
 * SQLSTATE classes that describe the data, not the server: 22 data exception (NUL in text,
 * out-of-range date or number, invalid encoding), 23 integrity constraint violation, 54 program
 * limit exceeded (a row or an index entry too large).
 */
const PERMANENT_SQL_CLASSES = new Set(['22', '23', '54']);
/**
 * SQLSTATEs of a server that is away or contended: 40001 serialization failure, 40P01 deadlock,
 * class 08 connection exceptions, 53 insufficient resources, 57P01..57P03 shutdown / cannot
 * connect now, 55P03 lock not available, 58 system errors (I/O).
 */
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '57P01', '57P02', '57P03', '55P03', '57014']);
const TRANSIENT_SQL_CLASSES = new Set(['08', '53', '58']);

/** Node's socket and DNS errors: the other side is unreachable for now. */
const TRANSIENT_SYSCALL_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
]);

/** kafkajs protocol errors that refuse the record, whatever the broker's state. */
const PERMANENT_KAFKA_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_REQUIRED_ACKS',
]);

/** Connection-level messages of pg and TypeORM that carry no code. */
const TRANSIENT_MESSAGES = [
  /connection terminated/i,
  /connection (?:is )?closed/i,
  /terminating connection/i,
  /timeout exceeded when trying to connect/i,
  /driver not connected/i,
  /cannot use a pool after calling end/i,
  /client has encountered a connection error/i,
  /the database system is (?:starting up|shutting down)/i,
];

/** The error and every error it wraps (cause, kafkajs' originalError, TypeORM's driverError). */
function chain(e: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [e];
  while (queue.length && out.length < 16) {
    const x = queue.shift();
    if (x === null || x === undefined || out.includes(x)) continue;
    out.push(x);
    if (typeof x !== 'object') continue;
    const o = x as Record<string, unknown>;
    queue.push(o.driverError, o.originalError, o.cause);
    if (Array.isArray(o.errors)) queue.push(...(o.errors as unknown[]));
  }
  return out;
}

function prop(x: unknown, name: string): unknown {
  return typeof x === 'object' && x !== null ? (x as Record<string, unknown>)[name] : undefined;
}

function sqlState(x: unknown): string | null {
  const code = prop(x, 'code');
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : null;
}

/** Classifies a failure by the first decisive error in its chain (permanent before transient). */
export function classifyFailure(e: unknown): FailureClass {
  if (isMalformedEventError(e)) return { kind: 'permanent', reason: e.reason };
  const errors = chain(e);
  for (const x of errors) {
    const state = sqlState(x);
    if (state && PERMANENT_SQL_CLASSES.has(state.slice(0, 2))) {
      return { kind: 'permanent', reason: `refused by PostgreSQL (SQLSTATE ${state}): ${errorMessage(x)}` };
    }
    const type = prop(x, 'type');
    if (typeof type === 'string' && PERMANENT_KAFKA_TYPES.has(type)) {
      return { kind: 'permanent', reason: `refused by the broker (${type}): ${errorMessage(x)}` };
    }
  }
  for (const x of errors) {
    const state = sqlState(x);
    if (state && (TRANSIENT_SQLSTATES.has(state) || TRANSIENT_SQL_CLASSES.has(state.slice(0, 2)))) {
      return { kind: 'transient', reason: `PostgreSQL unavailable (SQLSTATE ${state}): ${errorMessage(x)}` };
    }
    const code = prop(x, 'code') ?? prop(x, 'errno');
    if (typeof code === 'string' && TRANSIENT_SYSCALL_CODES.has(code)) {
      return { kind: 'transient', reason: `${code}: ${errorMessage(x)}` };
    }
    const name = prop(x, 'name');
    if (
      typeof name === 'string' &&
      /^KafkaJS(?:Connection|RequestTimeout|NumberOfRetriesExceeded|BrokerNotFound|LockTimeout|Timeout)/.test(
        name,
      )
    ) {
      return { kind: 'transient', reason: `broker unavailable (${name}): ${errorMessage(x)}` };
    }
    if (prop(x, 'retriable') === true) return { kind: 'transient', reason: errorMessage(x) };
    const message = errorMessage(x);
    if (TRANSIENT_MESSAGES.some((re) => re.test(message))) return { kind: 'transient', reason: message };
  }
  return { kind: 'unknown', reason: errorMessage(e) };
}
