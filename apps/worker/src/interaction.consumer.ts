import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DEBUT_CONFIG, DebutConfig, Log } from '@debut/config';
import { EmbeddingRepository, InteractionRepository, SongRepository } from '@debut/catalog';
import { EventPublisher, KAFKA, TOPICS, TopicConsumer, TopicNames, consumerGroup } from '@debut/messaging';
import { ModelRuntime, UserVectorRefresher } from '@debut/serving';
import { InteractionIngest } from './interaction-ingest';
import { WorkerMetrics } from './worker-metrics';
import { PoisonGuard } from './poison-guard';

const REFRESH_EVERY_MS = 2000;

/** Consumes user.interaction in batches and refreshes stale user vectors in the background. */
@Injectable()
export class InteractionConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly ingest: InteractionIngest;
  readonly refresher: UserVectorRefresher;
  private consumer: TopicConsumer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<unknown> = Promise.resolve();
  private readonly log = new Log('interaction-consumer');

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    interactions: InteractionRepository,
    songs: SongRepository,
    embeddings: EmbeddingRepository,
    runtime: ModelRuntime,
    private readonly publisher: EventPublisher,
    private readonly metrics: WorkerMetrics,
    // Absent only in unit tests that wire the consumer by hand.
    @Optional() private readonly guard?: PoisonGuard,
  ) {
    this.ingest = new InteractionIngest(interactions, songs, config.audience.graduateAfterListeners);
    this.refresher = new UserVectorRefresher(
      () => runtime.dssm,
      interactions,
      embeddings,
      undefined,
      config.models.nextMemory.recent,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = new TopicConsumer(this.kafka, {
      topic: this.topics.userInteraction,
      groupId: consumerGroup(this.config.kafka.groupId, 'userInteraction'),
      dlqPublisher: this.publisher,
      ...this.guard?.options(),
      batchHandler: (messages) => this.ingest.handleBatch(messages),
    });
    this.metrics.watch(this.topics.userInteraction, () => this.consumer?.counters);
    await this.consumer.start();
    this.timer = setInterval(() => {
      this.refreshing = this.refresher
        .refreshOnce()
        .catch((e: unknown) => this.log.warn('user vector refresh failed', { error: String(e) }));
    }, REFRESH_EVERY_MS);
    this.log.info('consuming', { topic: this.topics.userInteraction });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.consumer?.stop();
    await this.refreshing;
  }
}
