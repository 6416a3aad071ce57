import { consoleLogger } from './logger';

describe('consoleLogger', () => {
  afterEach(() => jest.restoreAllMocks());

  it.each([
    ['debug', [1, 1, 1]],
    ['info', [1, 1, 1]],
    ['warn', [0, 1, 1]],
    ['error', [0, 0, 1]],
    ['nonsense', [1, 1, 1]], // unknown: info, as @debut/config's default
  ])('at LOG_LEVEL %s writes info/warn/error %j times', (level, counts) => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    const error = jest.spyOn(console, 'error').mockImplementation(() => {});
    const logger = consoleLogger('consumer t', level);
    logger.log('a');
    logger.warn('b');
    logger.error('c');
    expect([log, warn, error].map((s) => s.mock.calls.length)).toEqual(counts);
    if (counts[2]) expect(error.mock.calls[0][0]).toMatch(/^\S+ ERROR \[consumer t\] c$/);
  });
});
