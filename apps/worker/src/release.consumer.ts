import {
  Inject,
  Injectable,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { DEBUT_CONFIG, DebutConfig, Log } from '@debut/config';
import {
  AudienceRepository,
  EmbeddingRepository,
  ProcessedEventRepository,
  SongRepository,
} from '@debut/catalog';
import {
  EventPublisher,
  KAFKA,
  TOPICS,
  TopicConsumer,
  TopicNames,
  TopicReader,
  consumerGroup,
} from '@debut/messaging';
import { AudienceService, ModelRuntime, OutboxSweep, loadDeploymentSchema } from '@debut/serving';

import { ReleasePipeline } from './release-pipeline';
import { WorkerMetrics } from './worker-metrics';
import { PoisonGuard } from './poison-guard';

const RELEASE_CHUNK = 256;

/** Runs the release pipeline on song.released; shutdown finishes the in-flight event first. */
@Injectable()
export class ReleaseConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly pipeline: ReleasePipeline;
  private consumer: TopicConsumer | null = null;
  private sweep: OutboxSweep | null = null;
  private readonly reader: TopicReader;
  private readonly log = new Log('release-consumer');

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(TOPICS) private readonly topics: TopicNames,
    ds: DataSource,
    songs: SongRepository,
    embeddings: EmbeddingRepository,
    private readonly audiences: AudienceRepository,
    processed: ProcessedEventRepository,
    private readonly runtime: ModelRuntime,
    audience: AudienceService,
    private readonly publisher: EventPublisher,
    private readonly metrics: WorkerMetrics,
    // Absent only in unit tests that wire the consumer by hand.
    @Optional() private readonly guard?: PoisonGuard,
  ) {
    this.reader = new TopicReader(kafka);
    this.pipeline = new ReleasePipeline(
      ds,
      songs,
      embeddings,
      audiences,
      processed,
      runtime,
      audience,
      publisher,
      topics.songAudienceSelected,
      loadDeploymentSchema(),
      this.reader,
      { maxAudienceSize: config.audience.maxLimit },
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    // Before joining the group: the first releases then find their neighbours' listeners cached.
    await this.pipeline.warmListeners();
    this.consumer = new TopicConsumer(this.kafka, {
      topic: this.topics.songReleased,
      groupId: consumerGroup(this.config.kafka.groupId, 'songReleased'),
      dlqPublisher: this.publisher,
      ...this.guard?.options(),
      // Chunks of a partition at a time (one model pass, one transaction, one publish each);
      // two partitions in flight so the database round trips of one overlap the other's work.
      batchHandler: async (messages) => {
        const done = this.metrics.releaseChunkSeconds.startTimer();
        try {
          return await this.pipeline.handleBatch(messages);
        } finally {
          done();
        }
      },
      maxBatchSize: RELEASE_CHUNK,
      partitionsConsumedConcurrently: 2,
    });
    this.pipeline.onPublished = (rows) => {
      this.metrics.audiencesSelected.inc(rows.length);
      for (const r of rows) this.metrics.audienceSize.observe(r.members.length);
    };
    this.metrics.watch(this.topics.songReleased, () => this.consumer?.counters);
    await this.consumer.start();
    this.sweep = new OutboxSweep(
      this.audiences,
      this.publisher,
      this.reader,
      this.topics.songAudienceSelected,
      {},
      (e) => this.log.warn('outbox sweep failed; tried again later', { error: String(e) }),
    );
    this.sweep.start();
    this.log.info('consuming', {
      topic: this.topics.songReleased,
      group: consumerGroup(this.config.kafka.groupId, 'songReleased'),
    });
  }

  get counters() {
    return this.consumer?.counters;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.sweep?.stop();
    await this.consumer?.stop();
    this.runtime.save();
  }
}
