import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DEBUT_CONFIG, DebutConfig, Log } from '@debut/config';
import { ExposureRepository, SongRepository, UserRepository } from '@debut/catalog';
import {
  type BatchReject,
  type ConsumedMessage,
  EventPublisher,
  KAFKA,
  TOPICS,
  TopicConsumer,
  type TopicKey,
  TopicNames,
  consumerGroup,
} from '@debut/messaging';
import { ExposureIngest, ProfileIngest } from './audience-rules-ingest';
import { PoisonGuard } from './poison-guard';
import { WorkerMetrics } from './worker-metrics';

/** Consumes what the audience rules read: user.profile and song.exposed (a consumer group each). */
@Injectable()
export class AudienceRulesConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly profiles: ProfileIngest;
  readonly exposures: ExposureIngest;
  private readonly consumers: TopicConsumer[] = [];
  private readonly log = new Log('audience-rules-consumer');

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    users: UserRepository,
    exposures: ExposureRepository,
    songs: SongRepository,
    private readonly publisher: EventPublisher,
    private readonly metrics: WorkerMetrics,
    // Absent only in unit tests that wire the consumer by hand.
    @Optional() private readonly guard?: PoisonGuard,
  ) {
    this.profiles = new ProfileIngest(users);
    this.exposures = new ExposureIngest(exposures, songs);
  }

  async onApplicationBootstrap(): Promise<void> {
    // Joined together: each group join waits for the coordinator, and the two do not depend on each other.
    await Promise.all([
      this.consume('userProfile', (m) => this.profiles.handleBatch(m)),
      this.consume('songExposed', (m) => this.exposures.handleBatch(m)),
    ]);
  }

  private async consume(
    key: Extract<TopicKey, 'userProfile' | 'songExposed'>,
    batchHandler: (messages: ConsumedMessage[]) => Promise<BatchReject[]>,
  ): Promise<void> {
    const topic = this.topics[key];
    const consumer = new TopicConsumer(this.kafka, {
      topic,
      groupId: consumerGroup(this.config.kafka.groupId, key),
      dlqPublisher: this.publisher,
      ...this.guard?.options(),
      batchHandler,
    });
    this.consumers.push(consumer);
    this.metrics.watch(topic, () => consumer.counters);
    await consumer.start();
    this.log.info('consuming', { topic });
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }
}
