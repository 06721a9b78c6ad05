import { ConfigError, loadConfig } from '../src/config';

const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
};

describe('config', () => {
  it('has working defaults for development (open mode, embedded MongoDB)', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 4000, openMode: true, mongodbUri: undefined, legacyTimezone: 'UTC', ticketIdStart: 1, defaultAccountId: 'default' });
    expect(config.slaHours).toEqual({ urgent: 1, high: 4, medium: 12, low: 24 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('parses keys, SLA overrides, type groups and CORS origins', () => {
    const config = loadConfig({
      API_KEYS: 'aaaaaaaaaaaaaaaa:acme, bbbbbbbbbbbbbbbb',
      DEFAULT_ACCOUNT_ID: 'main',
      SLA_HOURS: 'urgent=0.5,LOW=48',
      TYPE_GROUPS: 'Payment=Billing,Login=Access',
      CORS_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.apiKeys).toEqual([
      { key: 'aaaaaaaaaaaaaaaa', accountId: 'acme' },
      { key: 'bbbbbbbbbbbbbbbb', accountId: 'main' },
    ]);
    expect(config.openMode).toBe(false);
    expect(config.slaHours).toEqual({ urgent: 0.5, high: 4, medium: 12, low: 48 });
    expect(config.typeGroups).toEqual({ Payment: 'Billing', Login: 'Access' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
  });

  it('stops with a message naming the variable', () => {
    expect(failure({ PORT: 'eighty' })).toContain('PORT');
    expect(failure({ TICKET_ID_START: '0' })).toContain('TICKET_ID_START');
    expect(failure({ SLA_HOURS: 'critical=2' })).toContain('SLA_HOURS');
    expect(failure({ SLA_HOURS: 'low=-1' })).toContain('SLA_HOURS');
    expect(failure({ LEGACY_TIMEZONE: 'Mars/Olympus' })).toContain('LEGACY_TIMEZONE');
    expect(failure({ JWT_SECRET: 'short' })).toContain('JWT_SECRET');
    expect(failure({ MONGODB_URI: 'http://x' })).toContain('MONGODB_URI');
    expect(failure({ API_KEYS: 'tiny' })).toContain('API_KEYS');
  });

  it('refuses to start in production without credentials or a real MongoDB', () => {
    expect(failure({ NODE_ENV: 'production', MONGODB_URI: 'mongodb://db/' })).toMatch(/JWT_SECRET.*API_KEYS/);
    expect(failure({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toContain('MONGODB_URI');
  });
});
