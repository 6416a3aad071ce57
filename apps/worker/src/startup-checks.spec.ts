import { ConfigError, loadConfig } from '@debut/config';
import { StartupChecks } from './startup-checks';

describe('production start-up checks', () => {
  it('refuse the public default API key in production and name the variable to set', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(() => new StartupChecks(config)).toThrow(ConfigError);
    expect(() => new StartupChecks(config)).toThrow(/set API_KEY/);
  });

  it('accept a key of its own in production, and the default outside production', () => {
    expect(
      () => new StartupChecks(loadConfig({ NODE_ENV: 'production', API_KEY: 's3cret-key-123' })),
    ).not.toThrow();
    expect(() => new StartupChecks(loadConfig({ NODE_ENV: 'development' }))).not.toThrow();
  });
});
