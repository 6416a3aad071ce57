import 'reflect-metadata';
import cluster from 'node:cluster';
import { type NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { DEBUT_CONFIG, DebutConfig, Log, assertSafeForProduction, loadConfig } from '@debut/config';
import { initTf } from '@debut/models';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { registerSecurityHeaders } from './common/security-headers';
import { DebutValidationPipe } from './common/validation.pipe';
import { recordHttpMetrics } from './metrics/http-metrics.hook';
import { MAX_BODY_BYTES, MAX_PARAM_LENGTH, parseJsonBody, requestGuard } from './common/request-guard';
import { MetricsService } from './metrics/metrics.service';
import {
  API_PID_HEADER,
  API_PROCESS_SLOT,
  ApiCluster,
  serveClusterMetrics,
  shareMetricsWithPrimary,
} from './api-cluster';

const log = new Log('api');

/** How a Nest application is made from the adapter and options; tests pass their testing module's. */
export type AppFactory = (
  adapter: FastifyAdapter,
  options: NestApplicationOptions,
) => Promise<NestFastifyApplication>;

const defaultFactory: AppFactory = (adapter, options) =>
  NestFactory.create<NestFastifyApplication>(AppModule, adapter, { logger: ['error', 'warn'], ...options });

/** The API on Fastify, initialised and ready to serve (`app.getHttpServer()` or `listen`). */
export async function createApp(factory: AppFactory = defaultFactory): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: MAX_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  });
  // Nest's own body parsers off: the JSON parser below is the only one.
  const app = await factory(adapter, { bodyParser: false });
  const fastify = app.getHttpAdapter().getInstance();
  await registerSecurityHeaders(fastify);
  recordHttpMetrics(fastify, app.get(MetricsService));
  if (cluster.isWorker) {
    // Several api processes share the port: say which one answered (tests, debugging a node).
    const pid = String(process.pid);
    fastify.addHook('onRequest', (_req, reply, done) => {
      reply.header(API_PID_HEADER, pid);
      done();
    });
  }
  // Before the body is read, so a bad path or content type never gets parsed.
  fastify.addHook('onRequest', requestGuard);
  // Errors from the hook and the parser reach DomainErrorFilter through Nest's Fastify error handler.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
  app.useGlobalPipes(new DebutValidationPipe());
  const doc = new DocumentBuilder()
    .setTitle('Debut')
    .setDescription(
      'Cold-start music recommendation: first audiences of new songs (I2I2U) and per-user cold gating',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', name: 'x-api-key', in: 'header' }, 'api-key')
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'docs/openapi.json',
  });
  await app.init();
  await fastify.ready();
  return app;
}

/** One api process: alone (API_PROCESSES=1), or one of the cluster primary's. */
async function serve(startConfig: DebutConfig): Promise<void> {
  const tfBackend = await initTf({ backend: startConfig.models.tfBackend, log: () => undefined });
  log.info('tensorflow backend', { tfBackend });
  const app = await createApp();
  const slot = process.env[API_PROCESS_SLOT];
  if (cluster.isWorker && slot !== undefined) shareMetricsWithPrimary(app.get(MetricsService).registry, slot);
  const config = app.get<DebutConfig>(DEBUT_CONFIG);
  await app.listen(config.http.port, config.http.host);
  stopOnSignals(app);
  log.info('listening', {
    url: `http://${config.http.host}:${config.http.port}`,
    docs: '/docs',
    pid: process.pid,
    ...(slot !== undefined && { slot: Number(slot) }),
  });
}

/**
 * SIGTERM or SIGINT: finish the requests in flight, close the app (consumers, pools), exit 0.
 * Idempotent, since a process of a cluster may get the signal twice (from the terminal's
 * process group and from the primary passing it on).
 */
function stopOnSignals(app: NestFastifyApplication): void {
  let closing: Promise<void> | null = null;
  const stop = (signal: NodeJS.Signals) => {
    closing ??= app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        log.error('unclean stop', { signal, error: e instanceof Error ? e.message : String(e) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** The cluster primary (API_PROCESSES > 1): forks the api processes and watches them. */
async function runCluster(config: DebutConfig): Promise<never> {
  const apiCluster = new ApiCluster(config.http.processes);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info('stopping the api processes', { signal, pids: apiCluster.pids });
      void apiCluster.stop(signal);
    });
  }
  const metrics = config.metricsEnabled
    ? await serveClusterMetrics(config.http.host, config.http.clusterMetricsPort)
    : null;
  log.info('starting api processes', {
    processes: config.http.processes,
    port: config.http.port,
    primaryPid: process.pid,
    // Every process has its own pool: this is what PostgreSQL's max_connections must allow.
    databaseConnections: config.http.processes * config.db.poolSize,
    ...(metrics && { metrics: `http://${config.http.host}:${config.http.clusterMetricsPort}/metrics` }),
  });
  const code = await apiCluster.run();
  metrics?.close();
  log.info('api processes stopped', { exitCode: code });
  process.exit(code);
}

async function bootstrap(): Promise<void> {
  const startConfig = loadConfig();
  assertSafeForProduction(startConfig);
  if (cluster.isPrimary && startConfig.http.processes > 1) await runCluster(startConfig);
  else await serve(startConfig);
}

if (require.main === module) {
  bootstrap().catch((e: unknown) => {
    log.error('failed to start', { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
}
