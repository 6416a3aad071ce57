import type { BatchReject, ConsumerCounters } from './consumer-options';
import { buildDlqRecord } from './dlq';
import type { MessagingLogger } from './logger';
import { recordLabel } from './message';
import type { EventPublisher } from './publisher';
import type { Heartbeat, TransientRetry } from './retry';

/**
 * The consumer's dead-letter step: the rejects of one record or chunk go to `<topic>.dlq` (built
 * by `buildDlqRecord`) in one request. A failed send is transient like any other, retried until
 * it gets through, because the offset commit that follows would otherwise lose the record.
 */
export class DlqSender {
  constructor(
    private readonly publisher: Pick<EventPublisher, 'publishRaw'>,
    private readonly retry: Pick<TransientRetry, 'run'>,
    private readonly logger: MessagingLogger,
    private readonly counters: Pick<ConsumerCounters, 'dlq'>,
  ) {}

  /** Resolves once the broker acknowledged every dead letter (nothing to do when `rejects` is empty). */
  async send(rejects: readonly BatchReject[], heartbeat: Heartbeat): Promise<void> {
    if (!rejects.length) return;
    // Built once, so a retried send carries the same failure time as the first attempt.
    const records = rejects.map((r) => buildDlqRecord(r.message, r.reason));
    const topic = records[0].topic;
    await this.retry.run(`dead-lettering to ${topic}`, heartbeat, () =>
      this.publisher.publishRaw(
        topic,
        records.map((r) => ({ key: r.key, value: r.value, headers: r.headers })),
      ),
    );
    this.counters.dlq += rejects.length;
    for (const { message: m, reason } of rejects) {
      this.logger.warn(`${recordLabel(m.topic, m.partition, m.offset)} → DLQ: ${reason}`);
    }
  }
}
