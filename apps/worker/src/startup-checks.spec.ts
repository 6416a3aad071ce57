import { ConfigError, loadConfig } from '@debut/config';
import { StartupChecks } from './startup-checks';

describe('production start-up checks', () => {
  it('refuse the public default API key in production and name the variable to set', () => {
    const config = loadConfig({ NODE_ENV: 'production', PGPASSWORD: 'db-secret' });
    expect(() => new StartupChecks(config)).toThrow(ConfigError);
    expect(() => new StartupChecks(config)).toThrow(/set API_KEY/);
  });

  it('refuse the default database credentials (no password) in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', API_KEY: 's3cret-key-123' });
    expect(() => new StartupChecks(config)).toThrow(/set PGPASSWORD/);
  });

  it('accept a key and a password of their own in production, and the defaults outside production', () => {
    expect(
      () =>
        new StartupChecks(
          loadConfig({ NODE_ENV: 'production', API_KEY: 's3cret-key-123', PGPASSWORD: 'db-secret' }),
        ),
    ).not.toThrow();
    expect(() => new StartupChecks(loadConfig({ NODE_ENV: 'development' }))).not.toThrow();
  });
});
