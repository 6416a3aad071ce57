import { Inject, Injectable } from '@nestjs/common';
import { DEBUT_CONFIG, DebutConfig, assertSafeForProduction } from '@debut/config';

/** Refuses to build the worker with production-unsafe defaults (the public API key). */
@Injectable()
export class StartupChecks {
  constructor(@Inject(DEBUT_CONFIG) config: DebutConfig) {
    assertSafeForProduction(config);
  }
}
