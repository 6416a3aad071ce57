import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { consoleLogger, errorMessage, type MessagingLogger } from './logger';

/** One record read back from a topic. */
export interface ReadRecord {
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
}

/**
 * Reads back what a topic already holds in a time window: every record appended at or after a
 * timestamp, up to each partition's end as it was when the read began. The outbox uses it after
 * a crash to tell which owed events actually reached the broker (acknowledged, or written
 * without the acknowledgement arriving) before sending them again.
 *
 * Rare and bounded by design: a throw-away consumer group per read (deleted afterwards), no
 * committed offsets, a deadline. A failure is thrown (transient: the caller retries).
 */
export class TopicReader {
  private readonly logger: MessagingLogger;

  constructor(
    private readonly kafka: Kafka,
    logger?: MessagingLogger,
  ) {
    this.logger = logger ?? consoleLogger('topic-reader');
  }

  async recordsSince(topic: string, sinceMs: number, deadlineMs = 30_000): Promise<ReadRecord[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    let ranges: Array<{ partition: number; from: bigint; end: bigint }>;
    try {
      ranges = await this.ranges(admin, topic, sinceMs);
    } finally {
      await admin.disconnect();
    }
    if (!ranges.length) return [];
    return this.read(topic, ranges, deadlineMs);
  }

  /** Per partition: the first offset at or after `sinceMs`, and the end offset now (exclusive). */
  private async ranges(admin: Admin, topic: string, sinceMs: number) {
    const [starts, ends] = await Promise.all([
      admin.fetchTopicOffsetsByTimestamp(topic, sinceMs),
      admin.fetchTopicOffsets(topic),
    ]);
    const endOf = new Map(ends.map((e) => [e.partition, BigInt(e.high)] as const));
    return starts
      .map((s) => {
        const end = endOf.get(s.partition) ?? 0n;
        // -1: no record at or after the timestamp.
        const from = BigInt(s.offset) < 0n ? end : BigInt(s.offset);
        return { partition: s.partition, from, end };
      })
      .filter((r) => r.from < r.end);
  }

  private async read(
    topic: string,
    ranges: Array<{ partition: number; from: bigint; end: bigint }>,
    deadlineMs: number,
  ): Promise<ReadRecord[]> {
    const groupId = `debut-topic-reader-${randomUUID()}`;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const records: ReadRecord[] = [];
    const open = new Map(ranges.map((r) => [r.partition, r] as const));
    let timer: NodeJS.Timeout | undefined;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`reading ${topic} back took longer than ${deadlineMs} ms`)),
          deadlineMs,
        );
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const range = open.get(batch.partition);
              if (!range) return;
              for (const m of batch.messages) {
                const offset = BigInt(m.offset);
                if (offset < range.from || offset >= range.end) continue;
                records.push({
                  partition: batch.partition,
                  offset: m.offset,
                  key: m.key?.toString('utf8') ?? null,
                  value: m.value,
                });
              }
              const last = BigInt(batch.lastOffset());
              if (last + 1n >= range.end) open.delete(batch.partition);
              if (!open.size) resolve();
              await Promise.resolve();
            },
          })
          .then(() => {
            for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: String(r.from) });
          })
          .catch(reject);
      });
      return records;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
      await this.dropGroup(groupId);
    }
  }

  private async dropGroup(groupId: string): Promise<void> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      await admin.deleteGroups([groupId]);
    } catch (e) {
      // An empty group with nothing committed expires on its own; not worth failing the read.
      this.logger.warn(`could not delete consumer group ${groupId}: ${errorMessage(e)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}
