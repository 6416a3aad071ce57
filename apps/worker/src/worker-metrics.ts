import { timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DEBUT_CONFIG, DebutConfig, Log } from '@debut/config';
import type { ConsumerCounters } from '@debut/messaging';
import { EmbeddingRepository } from '@debut/catalog';
import { AudienceService, ModelRuntime, checkPools, registerServingGauges } from '@debut/serving';

/**
 * The worker's Prometheus metrics on its own small HTTP server (`WORKER_METRICS_PORT`, path
 * /metrics): records consumed, dead-lettered and retried per topic (read from the consumers'
 * counters at scrape time), release-chunk latency, and the sizes of the audiences selected.
 */
@Injectable()
export class WorkerMetrics implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly registry = new Registry();
  readonly releaseChunkSeconds = new Histogram({
    name: 'debut_release_chunk_seconds',
    help: 'Time to process one chunk of song.released (model, FAISS, database, publish)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly audienceSize = new Histogram({
    name: 'debut_audience_size',
    help: 'Users in each selected first audience',
    buckets: [0, 10, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });
  readonly audiencesSelected = new Counter({
    name: 'debut_audiences_selected_total',
    help: 'Audiences selected and published',
    registers: [this.registry],
  });
  private readonly sources = new Map<string, () => ConsumerCounters | undefined>();
  private server: http.Server | null = null;
  private readonly log = new Log('worker-metrics');

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    // Absent only in unit tests that build the metrics by hand.
    @Optional() private readonly runtime?: ModelRuntime,
    @Optional() audience?: AudienceService,
    @Optional() private readonly embeddings?: EmbeddingRepository,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'debut_worker_' });
    if (runtime) registerServingGauges(this.registry, { runtime, audience });
    const sources = this.sources;
    for (const [name, field, help] of [
      ['debut_consumer_records_total', 'processed', 'Records handled successfully, per topic'],
      ['debut_consumer_dlq_total', 'dlq', 'Records sent to the dead-letter topic, per source topic'],
      ['debut_consumer_retries_total', 'retries', 'Transient-failure retries, per topic'],
    ] as const) {
      new Counter({
        name,
        help,
        labelNames: ['topic'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const [topic, read] of sources) this.inc({ topic }, read()?.[field] ?? 0);
        },
      });
    }
  }

  /** Registers a consumer's counters under its topic name. */
  watch(topic: string, counters: () => ConsumerCounters | undefined): void {
    this.sources.set(topic, counters);
  }

  onApplicationBootstrap(): void {
    if (!this.config.metricsEnabled) return;
    this.server = http.createServer((req, res) => {
      if (req.url === '/pools/check') {
        this.poolCheck(req, res);
        return;
      }
      if (req.url !== '/metrics') {
        res.writeHead(404).end('see /metrics (and /pools/check with x-api-key)\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    this.server.on('error', (e) =>
      this.log.warn('metrics server failed', { error: String(e), port: this.config.workerMetricsPort }),
    );
    this.server.listen(this.config.workerMetricsPort, this.config.http.host);
  }

  /** The worker's pools against PostgreSQL (`trainer check`), behind the API key like the api's admin routes. */
  private poolCheck(req: http.IncomingMessage, res: http.ServerResponse): void {
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const given = Buffer.from(String(req.headers['x-api-key'] ?? ''));
    const key = Buffer.from(this.config.http.apiKey);
    if (given.length !== key.length || !timingSafeEqual(given, key)) {
      json(401, {
        statusCode: 401,
        error: 'Unauthorized',
        message: 'send the API key in the x-api-key header',
      });
      return;
    }
    if (!this.runtime || !this.embeddings) {
      json(503, {
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'no serving state in this process',
      });
      return;
    }
    checkPools(this.runtime, this.embeddings).then(
      (report) => json(200, report),
      (e: unknown) => json(503, { statusCode: 503, error: 'Service Unavailable', message: String(e) }),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
