import type { BatchReject, ConsumerCounters } from './consumer-options';
import {
  buildFromLetter,
  DEFAULT_DLQ_MAX_RECORD_BYTES,
  DLQ_HEADERS,
  recordBytes,
  toDeadLetter,
  type DeadLetter,
  type DeadLetterStore,
  type DlqRecord,
} from './dlq';
import { classifyFailure } from './failure';
import { errorMessage, type MessagingLogger } from './logger';
import { recordLabel } from './message';
import type { EventPublisher } from './publisher';
import type { Heartbeat, TransientRetry } from './retry';
import { dlqTopic } from './topics';

export interface DlqSenderOptions {
  store?: DeadLetterStore;
  maxRecordBytes?: number;
}

/** Smallest copy tried when the broker refuses even a truncated record (its limit is lower than ours). */
const LAST_RESORT_BYTES = 8 * 1024;

/**
 * The consumer's dead-letter step: the rejects of one record or chunk are first saved with their
 * full bytes in the dead-letter store (when there is one), then go to `<topic>.dlq` (built by
 * `buildFromLetter`, truncated beyond `maxRecordBytes`) in requests that stay under that size.
 * A failed save or send is retried like any transient failure, because the offset commit that
 * follows would otherwise lose the record; a send the broker refuses for its size is retried
 * once per record with a much smaller copy, since the full bytes are already stored.
 */
export class DlqSender {
  private readonly maxRecordBytes: number;

  constructor(
    private readonly publisher: Pick<EventPublisher, 'publishRaw'>,
    private readonly retry: Pick<TransientRetry, 'run'>,
    private readonly logger: MessagingLogger,
    private readonly counters: Pick<ConsumerCounters, 'dlq'>,
    private readonly options: DlqSenderOptions = {},
  ) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_DLQ_MAX_RECORD_BYTES;
  }

  /** Resolves once the broker acknowledged every dead letter (nothing to do when `rejects` is empty). */
  async send(rejects: readonly BatchReject[], heartbeat: Heartbeat): Promise<void> {
    if (!rejects.length) return;
    // Built once, so a retried send carries the same failure time as the first attempt.
    const letters = rejects.map((r) => toDeadLetter(r.message, r.reason));
    const topic = dlqTopic(letters[0].topic);
    const store = this.options.store;
    const ids = store
      ? await this.retry.run(`storing dead letters of ${letters[0].topic}`, heartbeat, () =>
          store.save(letters),
        )
      : [];
    const records = letters.map((l, i) =>
      buildFromLetter(l, { maxBytes: this.maxRecordBytes, deadLetterId: ids[i] }),
    );
    const pending = this.groups(records);
    await this.retry.run(`dead-lettering to ${topic}`, heartbeat, async () => {
      while (pending.length) {
        await this.sendGroup(pending[0], letters, records);
        pending.shift();
      }
    });
    this.counters.dlq += rejects.length;
    letters.forEach((l, i) => {
      const where = recordLabel(l.topic, l.partition, l.offset);
      this.logger.warn(`${where} → DLQ${ids[i] ? ` (dead letter ${ids[i]})` : ''}: ${l.reason}`);
    });
  }

  /** Consecutive records in requests of at most maxRecordBytes each (a record alone may reach it). */
  private groups(records: DlqRecord[]): DlqRecord[][] {
    const out: DlqRecord[][] = [];
    let bytes = Infinity;
    for (const r of records) {
      const n = recordBytes(r);
      if (bytes + n > this.maxRecordBytes) {
        out.push([]);
        bytes = 0;
      }
      out[out.length - 1].push(r);
      bytes += n;
    }
    return out;
  }

  private async sendGroup(group: DlqRecord[], letters: DeadLetter[], records: DlqRecord[]): Promise<void> {
    const publish = (rs: DlqRecord[]) =>
      this.publisher.publishRaw(
        rs[0].topic,
        rs.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      );
    try {
      await publish(group);
    } catch (e) {
      if (classifyFailure(e).kind !== 'permanent') throw e;
      this.logger.warn(
        `${group[0].topic} refused ${group.length} dead letters (${errorMessage(e)}); sending smaller copies`,
      );
      for (const r of group) {
        const letter = letters[records.indexOf(r)];
        const id = r.headers[DLQ_HEADERS.id];
        await publish([buildFromLetter(letter, { maxBytes: LAST_RESORT_BYTES, deadLetterId: id })]);
      }
    }
  }
}
