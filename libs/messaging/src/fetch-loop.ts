import type { ConsumerRunConfig, EachBatchPayload, EachMessagePayload, KafkaMessage } from 'kafkajs';
import type { BatchHandler, BatchReject, MessageHandler, TopicConsumerOptions } from './consumer-options';
import { parseJsonValue, recordLabel, toConsumedMessage, type ConsumedMessage } from './message';
import type { OffsetCommitter } from './offset-commit';
import { completedUnlessStopped, type Heartbeat, type TransientRetry } from './retry';

/** What the loop hands records to; the TopicConsumer builds these once. */
export interface FetchLoopSteps {
  retry: Pick<TransientRetry, 'runHandler'>;
  committer: Pick<OffsetCommitter, 'settle'>;
  /** Aborted by stop(). */
  signal: AbortSignal;
  /** Registers a processing promise so stop() can wait for it. */
  track: <T>(p: Promise<T>) => Promise<T>;
}

/**
 * The kafkajs `run` configuration for the options' mode. Offsets are never committed by kafkajs
 * (autoCommit off, no auto-resolve of batches): the OffsetCommitter does it after the handler.
 */
export function fetchLoopConfig(options: TopicConsumerOptions, steps: FetchLoopSteps): ConsumerRunConfig {
  const partitionsConsumedConcurrently = options.partitionsConsumedConcurrently ?? 1;
  const requireJson = options.requireJson ?? true;
  if (options.batchHandler) {
    const onBatch = batchLoop(steps, options.batchHandler, requireJson, options.maxBatchSize);
    return {
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently,
      eachBatch: (payload) => steps.track(onBatch(payload)),
    };
  }
  const onMessage = messageLoop(steps, options.handler, requireJson);
  return {
    autoCommit: false,
    partitionsConsumedConcurrently,
    eachMessage: (payload) => steps.track(onMessage(payload)),
  };
}

/** Sets `json` on the record; the reason to dead-letter it when its value is not JSON. */
function admitJson(msg: ConsumedMessage, requireJson: boolean): string | null {
  if (!requireJson) return null;
  const parsed = parseJsonValue(msg.value);
  if (!parsed.ok) return parsed.reason;
  msg.json = parsed.value;
  return null;
}

function messageLoop(steps: FetchLoopSteps, handler: MessageHandler, requireJson: boolean) {
  return async (payload: EachMessagePayload): Promise<void> => {
    const { topic, partition, message } = payload;
    const heartbeat: Heartbeat = () => payload.heartbeat();
    // After stop() began, kafkajs may still hand over the rest of a fetched batch: leave those
    // records uncommitted (redelivered to whoever consumes next) without handling them.
    if (steps.signal.aborted) return;
    const msg = toConsumedMessage(topic, partition, message);
    await completedUnlessStopped(async () => {
      let reason = admitJson(msg, requireJson);
      if (reason === null) {
        const label = recordLabel(topic, partition, msg.offset);
        const outcome = await steps.retry.runHandler(label, heartbeat, () => handler(msg));
        if ('malformed' in outcome) reason = outcome.malformed;
      }
      const rejects = reason === null ? [] : [{ message: msg, reason }];
      await steps.committer.settle(topic, partition, [message.offset], rejects, heartbeat);
    });
  };
}

/**
 * eachBatch: kafkajs' fetched batch is cut into chunks of at most `maxBatchSize`, each handled,
 * settled and resolved before the next, with a heartbeat in between, so a large fetch neither
 * holds one long transaction nor lets the session time out.
 */
function batchLoop(steps: FetchLoopSteps, handler: BatchHandler, requireJson: boolean, maxBatchSize = 500) {
  const size = Math.max(1, maxBatchSize);
  return async (payload: EachBatchPayload): Promise<void> => {
    const { batch } = payload;
    const heartbeat: Heartbeat = () => payload.heartbeat();
    const all = batch.messages;
    for (let i = 0; i < all.length; i += size) {
      // Stopping, or the batch went stale (a seek or rebalance): its uncommitted records are
      // fetched again, so handling them now would only do the work twice.
      if (steps.signal.aborted || !payload.isRunning() || payload.isStale()) return;
      const chunk = all.slice(i, i + size);
      const done = await completedUnlessStopped(() =>
        handleChunk(steps, handler, requireJson, batch.topic, batch.partition, chunk, heartbeat),
      );
      if (!done) return;
      payload.resolveOffset(chunk[chunk.length - 1].offset);
      await heartbeat();
    }
  };
}

async function handleChunk(
  steps: FetchLoopSteps,
  handler: BatchHandler,
  requireJson: boolean,
  topic: string,
  partition: number,
  chunk: KafkaMessage[],
  heartbeat: Heartbeat,
): Promise<void> {
  const rejects: BatchReject[] = [];
  const good: ConsumedMessage[] = [];
  for (const m of chunk) {
    const msg = toConsumedMessage(topic, partition, m);
    const reason = admitJson(msg, requireJson);
    if (reason === null) good.push(msg);
    else rejects.push({ message: msg, reason });
  }
  if (good.length) {
    const label = recordLabel(topic, partition, good[0].offset, good[good.length - 1].offset);
    const outcome = await runBatch(steps, handler, label, good, heartbeat);
    if ('malformed' in outcome) {
      // The handler called the chunk malformed without saying which record: one at a time.
      for (const msg of good) {
        const one = await runBatch(
          steps,
          handler,
          recordLabel(topic, partition, msg.offset),
          [msg],
          heartbeat,
        );
        if ('malformed' in one) rejects.push({ message: msg, reason: one.malformed });
        else rejects.push(...one.done);
      }
    } else {
      rejects.push(...outcome.done);
    }
  }
  await steps.committer.settle(
    topic,
    partition,
    chunk.map((m) => m.offset),
    rejects,
    heartbeat,
  );
}

/** One call of the batch handler, retried while transient; `done` holds the rejects it returned. */
function runBatch(
  steps: FetchLoopSteps,
  handler: BatchHandler,
  label: string,
  messages: ConsumedMessage[],
  heartbeat: Heartbeat,
) {
  return steps.retry.runHandler(label, heartbeat, async () => {
    const out = await handler(messages);
    const rejects = Array.isArray(out) ? out : (out?.rejects ?? []);
    const own = new Set(messages);
    for (const r of rejects) {
      // Thrown as transient on purpose: it is a handler bug, and skipping would lose the chunk.
      if (!own.has(r.message)) throw new Error('batch handler rejected a message that is not in its batch');
    }
    return rejects;
  });
}
