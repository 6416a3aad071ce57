import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import {
  AudienceCache,
  AudienceService,
  GateService,
  ModelRuntime,
  registerServingGauges,
} from '@debut/serving';

/** Prometheus registry of the api process. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'debut_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly gateDecisions = new Counter({
    name: 'debut_gate_decisions_total',
    help: 'Cold-gate decisions by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly audienceSize = new Histogram({
    name: 'debut_audience_size',
    help: 'Size of audiences served or selected',
    buckets: [0, 10, 50, 100, 200, 500, 1000],
    registers: [this.registry],
  });

  constructor(
    runtime: ModelRuntime,
    gate: GateService,
    audience: AudienceService,
    audienceCache: AudienceCache,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix: 'debut_' });
    registerServingGauges(this.registry, { runtime, gate, audience, audienceCache });
  }
}
