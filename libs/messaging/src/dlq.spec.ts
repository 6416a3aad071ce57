import {
  buildDlqRecord,
  DLQ_HEADERS,
  isMalformedEventError,
  MalformedEventError,
  parseDlqEnvelope,
} from './dlq';
import { decodeHeaders, nextOffset, parseJsonValue } from './message';

const msg = {
  topic: 'p.song.released',
  partition: 3,
  offset: '41',
  key: 's-123',
  value: Buffer.from('{"songId":"s-123","features":{"audio":[1,2'),
  headers: { 'x-trace': 'abc' },
};

describe('dead-letter records', () => {
  it('go to <topic>.dlq keyed like the original, with the reason as header and in the envelope', () => {
    const at = new Date('2026-11-23T10:00:00.000Z');
    const r = buildDlqRecord(msg, 'invalid JSON: Unexpected end', at);
    expect(r.topic).toBe('p.song.released.dlq');
    expect(r.key).toBe('s-123');
    expect(r.headers).toEqual({
      'x-trace': 'abc',
      [DLQ_HEADERS.reason]: 'invalid JSON: Unexpected end',
      [DLQ_HEADERS.topic]: 'p.song.released',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '41',
      [DLQ_HEADERS.failedAt]: '2026-11-23T10:00:00.000Z',
    });
    expect(parseDlqEnvelope(r.value)).toEqual({
      reason: 'invalid JSON: Unexpected end',
      topic: 'p.song.released',
      partition: 3,
      offset: '41',
      key: 's-123',
      value: '{"songId":"s-123","features":{"audio":[1,2',
      headers: { 'x-trace': 'abc' },
      failedAt: '2026-11-23T10:00:00.000Z',
      size: 42,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string,
    });
    expect(DLQ_HEADERS.reason).toBe('x-dlq-reason');
  });

  it('keep a tombstone as null and cap an absurdly long reason in the header only', () => {
    const reason = 'r'.repeat(5000);
    const r = buildDlqRecord({ ...msg, key: null, value: null }, reason);
    expect(r.key).toBeNull();
    expect(r.headers[DLQ_HEADERS.reason].length).toBe(1000);
    const env = parseDlqEnvelope(Buffer.from(r.value));
    expect(env.value).toBeNull();
    expect(env.reason).toBe(reason);
  });

  it('MalformedEventError carries its reason and is recognised', () => {
    const e = new MalformedEventError('features.audio: length 3, expected 64');
    expect(e.reason).toBe('features.audio: length 3, expected 64');
    expect(e).toBeInstanceOf(Error);
    expect(isMalformedEventError(e)).toBe(true);
    expect(isMalformedEventError(new Error('db down'))).toBe(false);
    expect(isMalformedEventError('x')).toBe(false);
  });
});

describe('message helpers', () => {
  it('parse JSON values and explain failures', () => {
    expect(parseJsonValue(Buffer.from('{"a":1}'))).toEqual({ ok: true, value: { a: 1 } });
    const bad = parseJsonValue(Buffer.from('{"a":'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^invalid JSON: /);
    expect(parseJsonValue(null)).toEqual({ ok: false, reason: 'empty value (tombstone)' });
  });

  it('compute the offset to commit without losing precision', () => {
    expect(nextOffset('0')).toBe('1');
    expect(nextOffset('9007199254740993')).toBe('9007199254740994');
  });

  it('decode headers to strings', () => {
    expect(
      decodeHeaders({ a: Buffer.from('x'), b: 'y', c: [Buffer.from('1'), Buffer.from('2')], d: undefined }),
    ).toEqual({ a: 'x', b: 'y', c: '2' });
    expect(decodeHeaders(undefined)).toEqual({});
  });
});
