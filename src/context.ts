import type { Viewer } from './auth/viewer';
import type { Container } from './container';
import { UnauthenticatedError } from './errors';
import { createLoaders, type Loaders } from './shared/loaders';
import { newRequestId } from './shared/request-id';
import type { Clock } from './shared/time';

/**
 * The one context for every entry point (HTTP, WebSocket, the legacy shim, tests): an auth or
 * visibility rule therefore cannot differ between transports.
 */
export interface AppContext {
  /** Null for an anonymous caller; every field then answers UNAUTHENTICATED. */
  viewer: Viewer | null;
  requestId: string;
  services: Container['services'];
  loaders: Loaders;
  clock: Clock;
  /** The request's `Idempotency-Key`, if any (HTTP and the legacy shim). */
  idempotencyKey?: string;
}

export function createContext(viewer: Viewer | null, container: Pick<Container, 'services' | 'clock'>, requestId: string = newRequestId(), idempotencyKey?: string): AppContext {
  return {
    viewer,
    requestId,
    idempotencyKey,
    services: container.services,
    loaders: createLoaders(viewer, container.services),
    clock: container.clock,
  };
}

/** The viewer of an `@Authorized` resolver. */
export function viewerOf(context: AppContext): Viewer {
  if (!context.viewer) throw new UnauthenticatedError();
  return context.viewer;
}
