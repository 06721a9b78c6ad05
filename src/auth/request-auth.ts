import type { Request } from 'express';
import type { AuthService, Credentials } from './auth.service';
import type { Viewer } from './viewer';

/** A request header's first value. */
export function headerOf(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const chosen = new WeakMap<Request, Credentials>();

/** Sets where this request's credentials are (a surface with credentials of its own, such as `?api_key=`, calls this first). */
export function useCredentials(req: Request, credentials: Credentials): void {
  chosen.set(req, credentials);
}

/** This request's credentials: what `useCredentials` chose, else `Authorization` and `X-API-Key`. */
export function credentialsOf(req: Request): Credentials {
  return chosen.get(req) ?? { authorization: headerOf(req, 'authorization'), apiKey: headerOf(req, 'x-api-key') };
}

/**
 * The viewer of a request, resolved once from its credentials: the rate limiter and the context
 * share the result. Rejects (an AppError) for credentials that are present but wrong.
 */
export function requestViewers(auth: Pick<AuthService, 'resolve'>): (req: Request) => Promise<Viewer | null> {
  const viewers = new WeakMap<Request, Promise<Viewer | null>>();
  return (req) => {
    let viewer = viewers.get(req);
    if (!viewer) {
      viewer = auth.resolve(credentialsOf(req));
      viewers.set(req, viewer);
    }
    return viewer;
  };
}
