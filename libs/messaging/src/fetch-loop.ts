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
  if (good.length) rejects.push(...(await isolate(steps, handler, good, heartbeat)));
  await steps.committer.settle(
    topic,
    partition,
    chunk.map((m) => m.offset),
    rejects,
    heartbeat,
  );
}

/**
 * Runs the handler on `messages`; when it refuses them as a whole (a permanent failure, or poison
 * after the budget) without saying which record, bisects: each half is run on its own, down to
 * the single record that is refused, so one poison record costs its chunk about 2·log2(n) extra
 * calls instead of failing it. The halves inherit no budget: the whole already spent it, so an
 * unknown failure there is refused at once (when the dependencies are up).
 */
async function isolate(
  steps: FetchLoopSteps,
  handler: BatchHandler,
  messages: ConsumedMessage[],
  heartbeat: Heartbeat,
  budgetMs?: number,
): Promise<BatchReject[]> {
  const first = messages[0];
  const label = recordLabel(first.topic, first.partition, first.offset, messages[messages.length - 1].offset);
  const outcome = await runBatch(steps, handler, label, messages, heartbeat, budgetMs);
  if ('done' in outcome) return outcome.done;
  if (messages.length === 1) return [{ message: first, reason: outcome.malformed }];
  const mid = Math.ceil(messages.length / 2);
  return [
    ...(await isolate(steps, handler, messages.slice(0, mid), heartbeat, 0)),
    ...(await isolate(steps, handler, messages.slice(mid), heartbeat, 0)),
  ];
}

/** One call of the batch handler, retried while transient; `done` holds the rejects it returned. */
function runBatch(
  steps: FetchLoopSteps,
  handler: BatchHandler,
  label: string,
  messages: ConsumedMessage[],
  heartbeat: Heartbeat,
  budgetMs?: number,
) {
  return steps.retry.runHandler(
    label,
    heartbeat,
    async () => {
      const out = await handler(messages);
      const rejects = Array.isArray(out) ? out : (out?.rejects ?? []);
      const own = new Set(messages);
      for (const r of rejects) {
        // Retried as transient on purpose: it is a handler bug, and refusing would dead-letter the chunk.
        if (!own.has(r.message)) {
          throw Object.assign(new Error('batch handler rejected a message that is not in its batch'), {
            retriable: true,
          });
        }
      }
      return rejects;
    },
    { budgetMs },
  );
}
