import { Inject, Injectable } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import { DatabaseRepository } from '@debut/catalog';
import { KAFKA } from '@debut/messaging';
import { backendName } from '@debut/models';
import { ModelRuntime } from '@debut/serving';

export interface Check {
  ok: boolean;
  detail: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { database: Check; broker: Check; index: Check };
  tfBackend: string;
}

const TIMEOUT_MS = 2000;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`${what}: no answer in ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref(),
    ),
  ]);
}

/** Database, broker and index health. The index is healthy when it is loaded or when no model is active yet. */
@Injectable()
export class HealthService {
  constructor(
    private readonly ds: DataSource,
    private readonly db: DatabaseRepository,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly runtime: ModelRuntime,
  ) {}

  async check(): Promise<HealthReport> {
    const [database, broker] = await Promise.all([this.database(), this.broker()]);
    const index = this.index();
    const ok = database.ok && broker.ok && index.ok;
    return { status: ok ? 'ok' : 'degraded', checks: { database, broker, index }, tfBackend: backendName() };
  }

  private async database(): Promise<Check> {
    try {
      await within(this.db.ping(), 'database');
      return { ok: true, detail: `${this.ds.options.database as string} reachable` };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    }
  }

  private async broker(): Promise<Check> {
    const admin = this.kafka.admin();
    try {
      await within(admin.connect(), 'broker');
      const { brokers } = await within(admin.describeCluster(), 'broker');
      return { ok: true, detail: `${brokers.length} broker(s)` };
    } catch (e) {
      return { ok: false, detail: e instanceof Error ? e.message : String(e) };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private index(): Check {
    const i2i = this.runtime.i2i;
    const dssm = this.runtime.dssm;
    if (!i2i && !dssm) return { ok: true, detail: 'no active model yet (train and activate one)' };
    const parts: string[] = [];
    if (i2i) parts.push(`warm pool ${i2i.warm.size} songs (i2i ${i2i.version})`);
    if (dssm) parts.push(`cold pool ${dssm.cold.size} songs (dssm ${dssm.version})`);
    return { ok: true, detail: parts.join('; ') };
  }
}
