import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { DEBUT_CONFIG, DebutConfig } from '@debut/config';
import { untilBrokerAnswers } from './broker-wait';
import { createKafka, ensureTopics } from './kafka';
import { consoleLogger } from './logger';
import { EventPublisher } from './publisher';
import { topicNames, TopicNames } from './topics';

export const KAFKA = Symbol('KAFKA');
export const TOPICS = Symbol('TOPICS');

/**
 * The broker client, topic names and one connected publisher for a Nest process (api, worker).
 * Topics are created at start, so a fresh broker needs nothing done by hand.
 */
@Global()
@Module({})
export class MessagingModule implements OnApplicationShutdown {
  constructor(@Inject(EventPublisher) private readonly publisher: EventPublisher) {}

  /** `role` names the process in the broker's client id (debut-api, debut-worker). */
  static forRole(role: string): DynamicModule {
    return {
      module: MessagingModule,
      providers: [
        {
          provide: KAFKA,
          inject: [DEBUT_CONFIG],
          useFactory: async (c: DebutConfig) => {
            const kafka = createKafka(c, { clientIdSuffix: `-${role}` });
            const logger = consoleLogger(role);
            await untilBrokerAnswers('checking topics', () => ensureTopics(kafka, c, { logger }), logger);
            return kafka;
          },
        },
        {
          provide: TOPICS,
          inject: [DEBUT_CONFIG],
          useFactory: (c: DebutConfig): TopicNames => topicNames(c.kafka.topicPrefix),
        },
        {
          provide: EventPublisher,
          inject: [KAFKA],
          useFactory: async (kafka: Kafka) => {
            const p = new EventPublisher(kafka);
            await untilBrokerAnswers('connecting the producer', () => p.connect(), consoleLogger(role));
            return p;
          },
        },
      ],
      exports: [KAFKA, TOPICS, EventPublisher],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.disconnect();
  }
}
