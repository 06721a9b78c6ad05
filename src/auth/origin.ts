import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
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

/**
 * In open development mode every caller is an admin, so a web page could act through a developer's
 * browser (an image tag raising tickets): such requests are refused with 403.
 */
export function refuseCrossSite(corsOrigins: readonly string[]) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (isCrossSite(req, corsOrigins)) {
      next(new ForbiddenError('Cross-site requests are refused in open development mode: call from this machine, or configure credentials'));
      return;
    }
    next();
  };
}
