import 'reflect-metadata';
import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { DEBUT_CONFIG, DebutConfig, Log, assertSafeForProduction, loadConfig } from '@debut/config';
import { initTf } from '@debut/models';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import { AppModule } from './app.module';
import {
  MAX_BODY_BYTES,
  refuseUnstorableStrings,
  requestGuard,
  verifyJsonDepth,
} from './common/request-guard';

const log = new Log('api');

export async function createApp() {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  app.use(helmet());
  // Before the body parsers (registered at init), so a bad path or content type never gets parsed.
  app.use(requestGuard);
  app.useBodyParser('json', {
    limit: MAX_BODY_BYTES,
    verify: verifyJsonDepth,
    reviver: refuseUnstorableStrings,
  });
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One readable sentence per bad field, e.g. "songIds must contain no more than 500 elements".
      exceptionFactory: (errors) =>
        new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: errors.flatMap((e) =>
            Object.values(e.constraints ?? { [e.property]: `${e.property} is invalid` }),
          ),
        }),
    }),
  );
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
