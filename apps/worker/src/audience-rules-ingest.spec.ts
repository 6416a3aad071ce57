import type { ConsumedMessage } from '@debut/messaging';
import { ExposureIngest, ProfileIngest } from './audience-rules-ingest';

const record = (json: unknown, offset = '0'): ConsumedMessage => ({
  topic: 't',
  partition: 0,
  offset,
  key: null,
  value: Buffer.from(JSON.stringify(json)),
  headers: {},
  timestamp: '0',
  json,
});

describe('ProfileIngest', () => {
  it('applies valid profiles and returns malformed ones with their reason', async () => {
    const upsertProfiles = jest.fn().mockResolvedValue(1);
    const ingest = new ProfileIngest({ upsertProfiles });
    const good = { userId: 'u-1', region: 'SE', explicitOptOut: false, updatedAt: '2026-12-01T00:00:00Z' };
    const rejects = await ingest.handleBatch([record(good), record({ ...good, region: 'se' }, '1')]);
    expect(rejects.map((r) => [r.message.offset, r.reason])).toEqual([
      ['1', expect.stringMatching(/^region: /)],
    ]);
    expect(upsertProfiles).toHaveBeenCalledWith([{ ...good, updatedAt: new Date(good.updatedAt) }]);
  });
});

describe('ExposureIngest', () => {
  it('records exposures of known songs and dead-letters unknown songs and malformed records', async () => {
    const recordMany = jest.fn().mockResolvedValue(2);
    const existingIds = jest.fn().mockResolvedValue(new Set(['s-1']));
    const ingest = new ExposureIngest({ recordMany }, { existingIds });
    const good = { exposureId: 'x-1', songId: 's-1', userIds: ['a', 'b'], at: '2026-12-01T00:00:00Z' };
    const rejects = await ingest.handleBatch([
      record(good),
      record({ ...good, songId: 's-9' }, '1'),
      record({ ...good, userIds: [] }, '2'),
    ]);
    expect(rejects.map((r) => [r.message.offset, r.reason])).toEqual([
      ['2', 'userIds: must name at least one user'],
      ['1', 'songId: unknown song s-9'],
    ]);
    expect(recordMany).toHaveBeenCalledWith([{ ...good, at: new Date(good.at) }]);
  });
});
