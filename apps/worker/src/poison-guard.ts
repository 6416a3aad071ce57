import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import { DatabaseRepository, DeadLetterRepository } from '@debut/catalog';
import { KAFKA, type DeadLetterStore, type TopicConsumerOptions } from '@debut/messaging';

/** A probe that does not answer within this long counts as down. */
const PROBE_TIMEOUT_MS = 1500;

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * What both consumers need to tell a poison record from an outage and to lose nothing when
 * they refuse one: the poison budget, a probe of PostgreSQL and the broker (a record is called
 * poison only while both answer), and the `dead_letters` table as the store of full bytes.
 */
@Injectable()
export class PoisonGuard implements OnApplicationShutdown {
  private admin: Admin | null = null;
  private adminConnecting: Promise<void> | null = null;

  constructor(
    @Inject(DEBUT_CONFIG) private readonly config: DebutConfig,
    @Inject(KAFKA) private readonly kafka: Kafka,
    private readonly db: DatabaseRepository,
    private readonly deadLetters: DeadLetterRepository,
  ) {}

  readonly store: DeadLetterStore = { save: (letters) => this.deadLetters.saveMany(letters) };

  /** The consumer options that carry the guard. */
  options(): Pick<
    TopicConsumerOptions,
    'poisonBudgetMs' | 'dependenciesUp' | 'deadLetterStore' | 'dlqMaxRecordBytes'
  > {
    return {
      poisonBudgetMs: this.config.poison.budgetMs,
      dlqMaxRecordBytes: this.config.poison.dlqMaxRecordBytes,
      deadLetterStore: this.store,
      dependenciesUp: () => this.dependenciesUp(),
    };
  }

  async dependenciesUp(): Promise<boolean> {
    try {
      await within(Promise.all([this.db.ping(), this.brokerAnswers()]), PROBE_TIMEOUT_MS);
      return true;
    } catch {
      // A broker restart can leave the admin's connection dead: the next probe starts afresh.
      const admin = this.admin;
      this.admin = null;
      this.adminConnecting = null;
      await admin?.disconnect().catch(() => undefined);
      return false;
    }
  }

  private async brokerAnswers(): Promise<void> {
    this.admin ??= this.kafka.admin();
    const admin = this.admin;
    this.adminConnecting ??= admin.connect().catch((e: unknown) => {
      this.adminConnecting = null;
      throw e;
    });
    await this.adminConnecting;
    await admin.describeCluster();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.adminConnecting) await this.admin?.disconnect().catch(() => undefined);
  }
}
