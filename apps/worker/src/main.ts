import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Log, loadConfig } from '@debut/config';
import { initTf } from '@debut/models';
import { WorkerModule } from './worker.module';

const log = new Log('worker');

/** The worker process: Kafka consumers, no HTTP. SIGTERM/SIGINT shut it down gracefully. */
async function bootstrap(): Promise<void> {
  const tfBackend = await initTf({ backend: loadConfig().models.tfBackend, log: () => undefined });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  log.info('worker started', { pid: process.pid, tfBackend });
}

bootstrap().catch((e: unknown) => {
  log.error('failed to start', { error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
