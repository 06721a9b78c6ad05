/** The settings the security fixes added: defaults, and refusals that name the variable. */
import { ConfigError, loadConfig } from '../../src/config';

const CREDENTIALS = { JWT_SECRET: 'x'.repeat(32) };

it('binds open mode to 127.0.0.1 unless HOST is given; with credentials, every interface', () => {
  expect(loadConfig({}).host).toBe('127.0.0.1');
  expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  expect(loadConfig(CREDENTIALS).host).toBe('0.0.0.0');
});

it('has JWT lifetime and HTTP timeout defaults', () => {
  expect(loadConfig(CREDENTIALS)).toMatchObject({
    jwtMaxLifetimeS: 86400,
    jwtClockSkewS: 30,
    httpRequestTimeoutMs: 15000,
    httpHeadersTimeoutMs: 10000,
    httpKeepAliveTimeoutMs: 5000,
  });
});

it.each([
  [{ JWT_CLOCK_SKEW_S: '301' }, 'JWT_CLOCK_SKEW_S'],
  [{ JWT_MAX_LIFETIME_S: '10' }, 'JWT_MAX_LIFETIME_S'],
  [{ HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_HEADERS_TIMEOUT_MS: '3000' }, 'HTTP_HEADERS_TIMEOUT_MS'],
  [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: 'soon' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
])('refuses %p naming %s', (env, variable) => {
  expect(() => loadConfig({ ...CREDENTIALS, ...env })).toThrow(ConfigError);
  expect(() => loadConfig({ ...CREDENTIALS, ...env })).toThrow(variable);
});
