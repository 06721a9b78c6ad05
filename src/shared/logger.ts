import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON logs; credentials are redacted wherever they might appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'ticket-gateway' },
    redact: {
      paths: ['authorization', 'apiKey', 'api_key', 'token', 'password', '*.authorization', '*.apiKey', '*.api_key', '*.token', 'headers.authorization', 'headers["x-api-key"]'],
      censor: '[redacted]',
    },
  });
}
