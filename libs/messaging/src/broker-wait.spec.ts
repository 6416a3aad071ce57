import { expect } from '@jest/globals';
import { untilBrokerAnswers } from './broker-wait';

const closed = () => Object.assign(new Error('Closed connection'), { name: 'KafkaJSConnectionClosedError' });

describe('untilBrokerAnswers', () => {
  it('waits through transient broker failures and returns the step’s result, warning once at first', async () => {
    const warnings: string[] = [];
    let calls = 0;
    const result = await untilBrokerAnswers(
      'checking topics',
      () => (++calls < 3 ? Promise.reject(closed()) : Promise.resolve('ready')),
      { log: () => undefined, warn: (m) => warnings.push(m), error: () => undefined },
      { initialMs: 1, maxMs: 2 },
    );
    expect(result).toBe('ready');
    expect(calls).toBe(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/checking topics: broker not answering \(Closed connection\)/);
  });

  it('throws at once what waiting cannot fix', async () => {
    let calls = 0;
    const refusal = new Error('topic x is replicated 1 times, KAFKA_REPLICATION_FACTOR says 3');
    await expect(
      untilBrokerAnswers('checking topics', () => (calls++, Promise.reject(refusal)), {
        log: () => undefined,
        warn: () => undefined,
        error: () => undefined,
      }),
    ).rejects.toBe(refusal);
    expect(calls).toBe(1);
  });
});
