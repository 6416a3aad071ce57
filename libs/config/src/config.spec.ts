import * as os from 'node:os';
import { ConfigError, MAX_API_PROCESSES, loadConfig } from './config';

describe('loadConfig', () => {
  it('gives working local defaults with an empty environment', () => {
    const c = loadConfig({});
    expect(c.db).toMatchObject({ host: '127.0.0.1', port: 5432, database: 'debut' });
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(c.http.port).toBe(3000);
    expect(c.index.kind).toBe('hnsw');
  });

  it('parses lists and numbers from strings', () => {
    const c = loadConfig({ KAFKA_BROKERS: 'a:1, b:2', HTTP_PORT: '8080', METRICS_ENABLED: 'false' });
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2']);
    expect(c.http.port).toBe(8080);
    expect(c.metricsEnabled).toBe(false);
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PGDATABASE: '' }).db.database).toBe('debut');
  });

  it('names every bad variable with its value and the reason', () => {
    let err: unknown;
    try {
      loadConfig({
        HTTP_PORT: 'eighty',
        KAFKA_BROKERS: 'nohostport',
        INDEX_KIND: 'ivf',
        PGDATABASE: 'Bad-Name',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/HTTP_PORT="eighty"/);
    expect(problems).toMatch(/KAFKA_BROKERS="nohostport".*host:port/);
    expect(problems).toMatch(/INDEX_KIND="ivf"/);
    expect(problems).toMatch(/PGDATABASE="Bad-Name"/);
  });

  it('rejects a short API key', () => {
    expect(() => loadConfig({ API_KEY: 'short' })).toThrow(/API_KEY.*at least 8/);
  });

  describe('API_PROCESSES', () => {
    const cores = Math.min(os.availableParallelism(), MAX_API_PROCESSES);

    it('is one process on a developer machine and in tests, one per core in production', () => {
      expect(loadConfig({}).http.processes).toBe(1);
      expect(loadConfig({ NODE_ENV: 'test' }).http.processes).toBe(1);
      expect(loadConfig({ NODE_ENV: 'production' }).http.processes).toBe(cores);
    });

    it('takes a count or auto', () => {
      expect(loadConfig({ API_PROCESSES: '2' }).http.processes).toBe(2);
      expect(loadConfig({ NODE_ENV: 'production', API_PROCESSES: '1' }).http.processes).toBe(1);
      expect(loadConfig({ API_PROCESSES: 'auto' }).http.processes).toBe(cores);
    });

    it.each(['0', '-1', '1.5', 'many', String(MAX_API_PROCESSES + 1)])('refuses %s', (value) => {
      expect(() => loadConfig({ API_PROCESSES: value })).toThrow(/API_PROCESSES/);
    });

    it('has a port for the cluster metrics', () => {
      expect(loadConfig({}).http.clusterMetricsPort).toBe(9465);
      expect(loadConfig({ API_METRICS_PORT: '9999' }).http.clusterMetricsPort).toBe(9999);
      expect(() => loadConfig({ API_METRICS_PORT: '0' })).toThrow(/API_METRICS_PORT/);
    });
  });
});
