import type { BatchReject } from './consumer-options';
import type { ConsumedMessage } from './message';
import { OffsetCommitter } from './offset-commit';

const heartbeat = async () => {};

function reject(offset: string, reason = 'bad'): BatchReject {
  const message: ConsumedMessage = {
    topic: 't',
    partition: 2,
    offset,
    key: null,
    value: null,
    headers: {},
    timestamp: '0',
  };
  return { message, reason };
}

/** A committer over a fake consumer and DLQ sender that log the order of what they were asked. */
function setup(opts: { failDlq?: boolean; failCommit?: boolean } = {}) {
  const log: string[] = [];
  const counters = { processed: 0, commits: 0 };
  const consumer = {
    commitOffsets: async (o: Array<{ topic: string; partition: number; offset: string }>) => {
      if (opts.failCommit) throw new Error('rebalance in progress');
      log.push(`commit ${o.map((x) => `${x.topic}[${x.partition}]=${x.offset}`).join(',')}`);
    },
  };
  const dlq = {
    send: async (rejects: readonly BatchReject[]) => {
      if (opts.failDlq) throw new Error('broker down');
      if (rejects.length) log.push(`dlq ${rejects.map((r) => r.message.offset).join(',')}`);
    },
  };
  return { committer: new OffsetCommitter(consumer, dlq, counters), log, counters };
}

describe('OffsetCommitter.settle', () => {
  it('commits the offset after the last record of the chunk and counts it processed', async () => {
    const s = setup();
    await s.committer.settle('t', 2, ['41'], [], heartbeat);
    expect(s.log).toEqual(['commit t[2]=42']);
    expect(s.counters).toEqual({ processed: 1, commits: 1 });
  });

  it('dead-letters first, in offset order, then commits once past the whole chunk', async () => {
    const s = setup();
    const offsets = ['8', '9', '10', '11'];
    await s.committer.settle('t', 2, offsets, [reject('10'), reject('9')], heartbeat);
    expect(s.log).toEqual(['dlq 9,10', 'commit t[2]=12']);
    expect(s.counters).toEqual({ processed: 2, commits: 1 });
  });

  it('orders offsets numerically, beyond what a double holds exactly', async () => {
    const s = setup();
    const big = ['9007199254740993', '9007199254740992'];
    await s.committer.settle(
      't',
      2,
      ['9007199254740992', '9007199254740993'],
      big.map((o) => reject(o)),
      heartbeat,
    );
    expect(s.log).toEqual(['dlq 9007199254740992,9007199254740993', 'commit t[2]=9007199254740994']);
    expect(s.counters.processed).toBe(0);
  });

  it('counts a record rejected twice once', async () => {
    const s = setup();
    await s.committer.settle('t', 2, ['1', '2'], [reject('1', 'a'), reject('1', 'b')], heartbeat);
    expect(s.counters.processed).toBe(1);
  });

  it('does not commit while the dead letters are not out', async () => {
    const s = setup({ failDlq: true });
    await expect(s.committer.settle('t', 2, ['1', '2'], [reject('1')], heartbeat)).rejects.toThrow(
      'broker down',
    );
    expect(s.log).toEqual([]);
    expect(s.counters).toEqual({ processed: 0, commits: 0 });
  });

  it('lets a failed commit through to kafkajs and counts nothing', async () => {
    const s = setup({ failCommit: true });
    await expect(s.committer.settle('t', 2, ['1'], [], heartbeat)).rejects.toThrow('rebalance in progress');
    expect(s.counters).toEqual({ processed: 0, commits: 0 });
  });
});
