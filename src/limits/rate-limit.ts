import type { Request, RequestHandler } from 'express';
import { ipKeyGenerator, MemoryStore, rateLimit, type Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import type Redis from 'ioredis';
import type { Config } from '../config';
import type { Viewer } from '../auth/viewer';
import { OPEN_CREDENTIAL } from '../auth/auth.service';
import { RateLimitedError } from '../errors';

export interface RateLimiter {
  /** The express middleware for HTTP requests (GraphQL and the legacy shim). */
  middleware: RequestHandler;
  /** Counts one operation of an open WebSocket against the same budget; throws RATE_LIMITED when spent. */
  consume(key: string): Promise<void>;
}

/** Whose budget a request spends: its credential, or its IP when anonymous or in open mode. */
export function rateLimitKey(viewer: Viewer | null | undefined, ip: string | undefined): string {
  // IPv6 clients are grouped by their /56 network, so one host cannot rotate addresses.
  // Credential ids are JSON arrays, so none is mistaken for an address.
  return viewer && viewer.credentialId !== OPEN_CREDENTIAL ? viewer.credentialId : `ip:${ipKeyGenerator(ip ?? 'unknown')}`;
}

/**
 * rate-limit-redis loads its Lua scripts once, at start; if Redis is down then (or restarts without
 * them), every later count would fail. This store loads them again after any failure.
 */
class ReloadingRedisStore extends RedisStore {
  override async init(options: Parameters<RedisStore['init']>[0]): Promise<void> {
    await super.init(options).catch(() => undefined); // loaded again on first use
  }

  override async increment(key: string) {
    try {
      return await super.increment(key);
    } catch {
      this.incrementScriptSha = this.loadIncrementScript();
      this.incrementScriptSha.catch(() => undefined);
      return super.increment(key); // fails fast again while Redis is down (no offline queue)
    }
  }
}

export interface RateLimiterDeps {
  config: Pick<Config, 'rateLimitWindowMs' | 'rateLimitMax'>;
  /** The viewer of a request (memoised per request), or null when its credentials are missing or wrong. */
  viewerOf(req: Request): Promise<Viewer | null>;
  /** Shares counters between gateway instances; it should fail fast while Redis is down (no offline queue). */
  redis?: Redis;
}

/**
 * One budget per credential per window, with `RateLimit-*` and `Retry-After` headers, counted in
 * Redis when several instances run. If the counter store fails, requests pass (fail open) rather than
 * an outage of Redis becoming an outage of the API.
 */
export function createRateLimiter({ config, viewerOf, redis }: RateLimiterDeps): RateLimiter {
  const store: Store = redis
    ? new ReloadingRedisStore({ prefix: 'tg:rl:', sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as never })
    : new MemoryStore();
  const middleware = rateLimit({
    windowMs: config.rateLimitWindowMs,
    limit: config.rateLimitMax,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    passOnStoreError: true,
    store,
    keyGenerator: async (req) => rateLimitKey(await viewerOf(req).catch(() => null), req.ip),
    // The refusal travels as an error, so each surface answers it in its own shape
    // (GraphQL errors on /graphql, the envelope on /api/v1).
    handler: (req, res, next, options) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit;
      const seconds = Math.max(1, Math.ceil(((info?.resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      res.setHeader('Retry-After', String(seconds));
      next(new RateLimitedError(seconds));
    },
    validate: { trustProxy: false, xForwardedForHeader: false, keyGeneratorIpFallback: false },
  });
  return {
    middleware,
    async consume(key) {
      let hits: number;
      let resetTime: Date | undefined;
      try {
        ({ totalHits: hits, resetTime } = await store.increment(key));
      } catch {
        return; // fail open, as for HTTP
      }
      if (hits > config.rateLimitMax) {
        throw new RateLimitedError(Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + config.rateLimitWindowMs) - Date.now()) / 1000)));
      }
    },
  };
}
