/**
 * The only reader of `process.env`. Every setting is parsed, validated and frozen here, so a bad
 * value stops the start with a message naming the variable instead of failing later at request time.
 */

/** The one list of ticket priorities, as stored and as the legacy API and SLA_HOURS name them. */
export const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export interface ApiKey {
  key: string;
  accountId: string;
}

export interface Config {
  nodeEnv: string;
  production: boolean;
  host: string;
  port: number;
  logLevel: string;
  /** A real MongoDB; absent means "start the embedded in-memory one". */
  mongodbUri: string | undefined;
  mongodbDatabase: string;
  mongoServerSelectionTimeoutMs: number;
  /** `majority` on replica sets; `1` is accepted for a standalone server. */
  mongoWriteConcern: 'majority' | number;
  mongoRetryWrites: boolean;
  jwtSecret: string | undefined;
  /** Longest a JWT may live (`exp` − `iat`); every JWT must have an `exp`. */
  jwtMaxLifetimeS: number;
  /** Clock difference tolerated on `exp` and `iat`. */
  jwtClockSkewS: number;
  apiKeys: readonly ApiKey[];
  /** Neither JWT_SECRET nor API_KEYS is set (refused in production). */
  openMode: boolean;
  defaultAccountId: string;
  ticketIdStart: number;
  slaHours: Readonly<Record<Priority, number>>;
  typeGroups: Readonly<Record<string, string>>;
  legacyTimezone: string;
  corsOrigins: readonly string[];
  redisUrl: string | undefined;
  maxQueryDepth: number;
  maxQueryCost: number;
  maxQueryTokens: number;
  rateLimitWindowMs: number;
  rateLimitMax: number;
  shutdownTimeoutMs: number;
  wsInitTimeoutMs: number;
  wsMaxSubscriptionsPerConnection: number;
  wsMaxConnectionsPerCredential: number;
  wsMaxBufferedBytes: number;
  idempotencyTtlHours: number;
  /** Time a client has to send a whole request (headers and body). */
  httpRequestTimeoutMs: number;
  /** Time a client has to send the request headers. */
  httpHeadersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  httpKeepAliveTimeoutMs: number;
  /** How long the event log keeps events (EVENT_RETENTION_DAYS). */
  eventRetentionDays: number;
  /** How often a gateway looks for changes whose events a stopped relay left behind. */
  eventRelayIntervalMs: number;
  /** Tests only: the point between two writes where the process kills itself (never in production). */
  faultInjectionPoint: string | undefined;
}

export const DEFAULT_JWT_MAX_LIFETIME_S = 86400;
export const DEFAULT_JWT_CLOCK_SKEW_S = 30;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function faultPoint(env: Env, nodeEnv: string): string | undefined {
  const point = read(env, 'FAULT_INJECTION_POINT');
  if (point !== undefined && nodeEnv === 'production') throw new ConfigError('FAULT_INJECTION_POINT', 'is for tests and must not be set in production');
  return point;
}

function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes'].includes(raw)) return true;
  if (['false', '0', 'no'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function list(env: Env, name: string): string[] {
  return (read(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** `a=1,b=2` → entries; the name must not be empty. */
function pairs(env: Env, name: string, separator: string): Array<[string, string]> {
  return list(env, name).map((item) => {
    const at = item.indexOf(separator);
    const key = (at === -1 ? item : item.slice(0, at)).trim();
    const value = at === -1 ? '' : item.slice(at + 1).trim();
    if (key === '') throw new ConfigError(name, `has an empty name in "${item}"`);
    return [key, value];
  });
}

function parseApiKeys(env: Env, defaultAccountId: string): ApiKey[] {
  const keys = pairs(env, 'API_KEYS', ':').map(([key, account]) => {
    if (key.length < 16) throw new ConfigError('API_KEYS', 'keys must be at least 16 characters long');
    return { key, accountId: account || defaultAccountId };
  });
  if (new Set(keys.map((k) => k.key)).size !== keys.length) throw new ConfigError('API_KEYS', 'lists a key twice');
  return keys;
}

function parseSla(env: Env): Record<Priority, number> {
  const sla: Record<Priority, number> = { urgent: 1, high: 4, medium: 12, low: 24 };
  for (const [name, hours] of pairs(env, 'SLA_HOURS', '=')) {
    const priority = name.toLowerCase() as Priority;
    if (!PRIORITIES.includes(priority)) {
      throw new ConfigError('SLA_HOURS', `names an unknown priority "${name}" (allowed: ${PRIORITIES.join(', ')})`);
    }
    const value = Number(hours);
    if (hours === '' || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError('SLA_HOURS', `needs a positive number of hours for ${priority}, got "${hours}"`);
    }
    sla[priority] = value;
  }
  return sla;
}

function parseTimezone(env: Env): string {
  const zone = read(env, 'LEGACY_TIMEZONE') ?? 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new ConfigError('LEGACY_TIMEZONE', `is not an IANA time zone: "${zone}"`);
  }
  return zone;
}

function parseWriteConcern(env: Env): 'majority' | number {
  const raw = read(env, 'MONGODB_WRITE_CONCERN') ?? 'majority';
  if (raw === 'majority') return raw;
  if (/^\d+$/.test(raw)) return Number(raw);
  throw new ConfigError('MONGODB_WRITE_CONCERN', `must be "majority" or a number, got "${raw}"`);
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const nodeEnv = read(env, 'NODE_ENV') ?? 'development';
  const production = nodeEnv === 'production';
  const defaultAccountId = read(env, 'DEFAULT_ACCOUNT_ID') ?? 'default';
  const jwtSecret = read(env, 'JWT_SECRET');
  if (jwtSecret !== undefined && jwtSecret.length < 32) {
    throw new ConfigError('JWT_SECRET', 'must be at least 32 characters long (HS256 needs 256 bits)');
  }
  const apiKeys = parseApiKeys(env, defaultAccountId);
  const openMode = jwtSecret === undefined && apiKeys.length === 0;
  if (openMode && production) {
    throw new ConfigError('JWT_SECRET', 'or API_KEYS must be set when NODE_ENV=production (open mode is for development only)');
  }
  const mongodbUri = read(env, 'MONGODB_URI');
  if (mongodbUri !== undefined && !/^mongodb(\+srv)?:\/\//.test(mongodbUri)) {
    throw new ConfigError('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  }
  if (production && mongodbUri === undefined) {
    throw new ConfigError('MONGODB_URI', 'must be set when NODE_ENV=production (the embedded MongoDB keeps data in memory only)');
  }
  const redisUrl = read(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must start with redis:// or rediss://');
  }
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 15000, 1000);
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', Math.min(10000, httpRequestTimeoutMs), 500);
  if (httpHeadersTimeoutMs > httpRequestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not be longer than HTTP_REQUEST_TIMEOUT_MS (${httpRequestTimeoutMs}), got ${httpHeadersTimeoutMs}`);
  }
  const typeGroups = Object.fromEntries(
    pairs(env, 'TYPE_GROUPS', '=').map(([type, group]) => {
      if (group === '') throw new ConfigError('TYPE_GROUPS', `needs a group name for type "${type}"`);
      return [type, group];
    }),
  );

  return Object.freeze({
    nodeEnv,
    production,
    // Open mode makes every caller an admin: only this machine may call unless HOST says otherwise.
    host: read(env, 'HOST') ?? (openMode ? '127.0.0.1' : '0.0.0.0'),
    port: integer(env, 'PORT', 4000, 0, 65535),
    logLevel: read(env, 'LOG_LEVEL') ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    mongodbUri,
    mongodbDatabase: read(env, 'MONGODB_DATABASE') ?? 'ticket_gateway',
    mongoServerSelectionTimeoutMs: integer(env, 'MONGODB_SERVER_SELECTION_TIMEOUT_MS', 3000, 100),
    mongoWriteConcern: parseWriteConcern(env),
    mongoRetryWrites: boolean(env, 'MONGODB_RETRY_WRITES', true),
    jwtSecret,
    jwtMaxLifetimeS: integer(env, 'JWT_MAX_LIFETIME_S', DEFAULT_JWT_MAX_LIFETIME_S, 60),
    jwtClockSkewS: integer(env, 'JWT_CLOCK_SKEW_S', DEFAULT_JWT_CLOCK_SKEW_S, 0, 300),
    apiKeys: Object.freeze(apiKeys),
    openMode,
    defaultAccountId,
    ticketIdStart: integer(env, 'TICKET_ID_START', 1, 1),
    slaHours: Object.freeze(parseSla(env)),
    typeGroups: Object.freeze(typeGroups),
    legacyTimezone: parseTimezone(env),
    corsOrigins: Object.freeze(list(env, 'CORS_ORIGINS')),
    redisUrl,
    maxQueryDepth: integer(env, 'MAX_QUERY_DEPTH', 12, 1),
    maxQueryCost: integer(env, 'MAX_QUERY_COST', 20000, 1),
    maxQueryTokens: integer(env, 'MAX_QUERY_TOKENS', 2000, 50),
    rateLimitWindowMs: integer(env, 'RATE_LIMIT_WINDOW_MS', 60000, 1000),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 600, 1),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 10000, 100),
    wsInitTimeoutMs: integer(env, 'WS_INIT_TIMEOUT_MS', 5000, 100),
    wsMaxSubscriptionsPerConnection: integer(env, 'WS_MAX_SUBSCRIPTIONS', 100, 1),
    wsMaxConnectionsPerCredential: integer(env, 'WS_MAX_CONNECTIONS_PER_CREDENTIAL', 200, 1),
    wsMaxBufferedBytes: integer(env, 'WS_MAX_BUFFERED_BYTES', 1048576, 1024),
    idempotencyTtlHours: integer(env, 'IDEMPOTENCY_TTL_HOURS', 24, 1),
    httpRequestTimeoutMs,
    httpHeadersTimeoutMs,
    httpKeepAliveTimeoutMs: integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100),
    eventRetentionDays: integer(env, 'EVENT_RETENTION_DAYS', 30, 1),
    eventRelayIntervalMs: integer(env, 'EVENT_RELAY_INTERVAL_MS', 1000, 10),
    faultInjectionPoint: faultPoint(env, nodeEnv),
  });
}
