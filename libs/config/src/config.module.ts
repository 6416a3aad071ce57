import { Global, Module } from '@nestjs/common';
import { DebutConfig, loadConfig } from './config';

export const DEBUT_CONFIG = Symbol('DEBUT_CONFIG');

/** Provides the validated configuration; a bad variable stops the process at start. */
@Global()
@Module({
  providers: [{ provide: DEBUT_CONFIG, useFactory: (): DebutConfig => loadConfig() }],
  exports: [DEBUT_CONFIG],
})
export class DebutConfigModule {}
