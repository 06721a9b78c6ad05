import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config';
import { ForbiddenError } from '../errors';

/**
 * A browser's `Origin` that may act on the gateway: one listed in CORS_ORIGINS, or the gateway's own
 * (a page it serves). Other pages must not drive it with the browser's network position (an open
 * development gateway) or its credentials (cross-site WebSocket hijacking).
 */
export function isAllowedOrigin(origin: string, host: string | undefined, corsOrigins: readonly string[]): boolean {
  if (corsOrigins.includes(origin)) return true;
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && host !== undefined && url.host === host.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Whether a request comes from a page the gateway does not trust: an `Origin` it does not allow or,
 * for requests that carry none (a cross-site GET), a `Sec-Fetch-Site` other than same-origin or
 * none (typed by the user). Requests of non-browser clients carry neither and always pass.
 */
export function isCrossSite(req: IncomingMessage, corsOrigins: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin !== undefined) return !isAllowedOrigin(origin, req.headers.host, corsOrigins);
  const site = req.headers['sec-fetch-site'];
  return site !== undefined && site !== 'same-origin' && site !== 'none';
}

/** Names that reach this machine only. */
const LOOPBACK = /^(localhost|[\w-]+\.localhost|127(\.\d{1,3}){3}|\[::1\])$/;

const isLoopback = (host: string) => LOOPBACK.test(host.replace(/:\d+$/, '').toLowerCase());

/**
 * Why open development mode refuses a request, if it does. Every caller is an admin there, so a web
 * page could act through a developer's browser: a cross-site request (an image tag raising tickets),
 * or, on a gateway bound to this machine, one whose `Host` is not a loopback name (a page whose
 * name was rebound to 127.0.0.1: DNS rebinding makes it same-origin).
 */
export function openModeRefusal(req: IncomingMessage, config: Pick<Config, 'corsOrigins' | 'host'>): string | undefined {
  if (isCrossSite(req, config.corsOrigins)) return 'Cross-site requests are refused in open development mode: call from this machine, or configure credentials';
  const host = req.headers.host;
  if (host !== undefined && isLoopback(config.host) && !isLoopback(host)) {
    return 'Open development mode answers only requests for localhost: call it by that name, or set HOST';
  }
  return undefined;
}

/** {@link openModeRefusal} as a guard: refused requests are a 403. */
export function openModeGuard(config: Pick<Config, 'corsOrigins' | 'host'>) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    const refusal = openModeRefusal(req, config);
    next(refusal === undefined ? undefined : new ForbiddenError(refusal));
  };
}
