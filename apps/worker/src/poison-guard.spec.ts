import type { Kafka } from 'kafkajs';
import type { DatabaseRepository, DeadLetterRepository } from '@debut/catalog';
import { testConfig } from '../../../libs/serving/src/testing/fakes';
import { PoisonGuard } from './poison-guard';

function guard(db: () => Promise<void>, broker: () => Promise<unknown>) {
  const admins: string[] = [];
  const kafka = {
    admin: () => {
      admins.push('new');
      return { connect: async () => {}, describeCluster: broker, disconnect: async () => {} };
    },
  } as unknown as Kafka;
  const saved: unknown[] = [];
  const deadLetters = { saveMany: async (l: unknown[]) => (saved.push(...l), l.map(() => '1')) };
  const g = new PoisonGuard(
    testConfig({ POISON_BUDGET_MS: '1234' }),
    kafka,
    { ping: db } as unknown as DatabaseRepository,
    deadLetters as unknown as DeadLetterRepository,
  );
  return { g, admins, saved };
}

describe('PoisonGuard', () => {
  it('reports the dependencies up only when PostgreSQL and the broker both answer', async () => {
    const ok = async () => {};
    expect(await guard(ok, ok).g.dependenciesUp()).toBe(true);
    expect(await guard(() => Promise.reject(new Error('ECONNREFUSED')), ok).g.dependenciesUp()).toBe(false);
    expect(await guard(ok, () => Promise.reject(new Error('broker down'))).g.dependenciesUp()).toBe(false);
  });

  it('starts a fresh admin connection after a failed probe', async () => {
    let up = false;
    const { g, admins } = guard(
      async () => {},
      async () => {
        if (!up) throw new Error('down');
      },
    );
    expect(await g.dependenciesUp()).toBe(false);
    up = true;
    expect(await g.dependenciesUp()).toBe(true);
    expect(admins).toHaveLength(2);
  });

  it('hands the consumers the budget, the probe and the dead_letters store', async () => {
    const { g, saved } = guard(
      async () => {},
      async () => {},
    );
    const o = g.options();
    expect(o.poisonBudgetMs).toBe(1234);
    expect(await o.deadLetterStore!.save([{ topic: 't' } as never])).toEqual(['1']);
    expect(saved).toHaveLength(1);
  });
});
