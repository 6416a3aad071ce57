import type { Consumer } from 'kafkajs';
import type { BatchReject, ConsumerCounters } from './consumer-options';
import type { DlqSender } from './dlq-sender';
import { nextOffset } from './message';
import type { Heartbeat } from './retry';

/**
 * Settles a record or chunk once its handler is done, in the one safe order: the handler's
 * database write has already succeeded when this runs; the dead letters are acknowledged next;
 * only then is the offset committed, and only a committed record counts as processed. A crash
 * anywhere before the commit therefore means redelivery, never a lost record.
 */
export class OffsetCommitter {
  constructor(
    private readonly consumer: Pick<Consumer, 'commitOffsets'>,
    private readonly dlq: Pick<DlqSender, 'send'>,
    private readonly counters: Pick<ConsumerCounters, 'processed' | 'commits'>,
  ) {}

  /**
   * `offsets` are those of the whole record or chunk, in order; `rejects` the ones among them
   * that are malformed. A failed commit is thrown to kafkajs, which redelivers from the last
   * committed offset (the handlers are idempotent by event id).
   */
  async settle(
    topic: string,
    partition: number,
    offsets: readonly string[],
    rejects: readonly BatchReject[],
    heartbeat: Heartbeat,
  ): Promise<void> {
    // Offset order, so the DLQ reads like the topic it came from.
    const ordered = [...rejects].sort((a, b) =>
      BigInt(a.message.offset) < BigInt(b.message.offset) ? -1 : 1,
    );
    await this.dlq.send(ordered, heartbeat);
    await this.commit(topic, partition, offsets[offsets.length - 1]);
    const rejected = new Set(ordered.map((r) => r.message.offset));
    this.counters.processed += offsets.filter((o) => !rejected.has(o)).length;
  }

  private async commit(topic: string, partition: number, offset: string): Promise<void> {
    // Kafka wants the next record to read, not the last one read.
    await this.consumer.commitOffsets([{ topic, partition, offset: nextOffset(offset) }]);
    this.counters.commits++;
  }
}
