import 'reflect-metadata';
import { type NestApplicationOptions } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { DEBUT_CONFIG, DebutConfig, Log, assertSafeForProduction, loadConfig } from '@debut/config';
import { initTf } from '@debut/models';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import fastifyHelmet from '@fastify/helmet';
import { AppModule } from './app.module';
import { DebutValidationPipe } from './common/validation.pipe';
import { MAX_BODY_BYTES, MAX_PARAM_LENGTH, parseJsonBody, requestGuard } from './common/request-guard';

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
  app.enableShutdownHooks();
  const fastify = app.getHttpAdapter().getInstance();
  await app.register(fastifyHelmet);
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

async function bootstrap(): Promise<void> {
  const startConfig = loadConfig();
  assertSafeForProduction(startConfig);
  const tfBackend = await initTf({ backend: startConfig.models.tfBackend, log: () => undefined });
  log.info('tensorflow backend', { tfBackend });
  const app = await createApp();
  const config = app.get<DebutConfig>(DEBUT_CONFIG);
  await app.listen(config.http.port, config.http.host);
  log.info('listening', { url: `http://${config.http.host}:${config.http.port}`, docs: '/docs' });
}

if (require.main === module) {
  bootstrap().catch((e: unknown) => {
    log.error('failed to start', { error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  });
}
