import type { GraphQLResolveInfo } from 'graphql';
import type { Viewer } from './auth/viewer';
import type { Container } from './container';
import { UnauthenticatedError } from './errors';
import { type ConversationLoader, createConversationLoader, prefetchConversations } from './messages/message.loaders';
import { createRatingLoader, prefetchRating, type RatingLoader } from './ratings/rating.loaders';
import { newRequestId } from './shared/request-id';
import type { Clock } from './shared/time';

/** Per-request (per-operation on a WebSocket) batching of the field resolvers, one loader per domain. */
export interface Loaders {
  conversations: ConversationLoader;
  ratings: RatingLoader;
}

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
  /**
   * Starts what a `ticket(id)` selection will ask of the ticket (its conversation pages, its rating) so
   * it is read alongside the ticket: one round trip instead of two. Call the returned function when the
   * ticket turns out not to be visible.
   */
  prefetchTicketFields(ticketId: number, info: GraphQLResolveInfo): () => void;
}

export function createContext(viewer: Viewer | null, container: Pick<Container, 'services' | 'clock'>, requestId: string = newRequestId(), idempotencyKey?: string): AppContext {
  const { services } = container;
  const need = (): Viewer => {
    if (!viewer) throw new Error('loaders need a viewer; resolvers must be @Authorized');
    return viewer;
  };
  const loaders: Loaders = {
    conversations: createConversationLoader(need, services.messages),
    ratings: createRatingLoader(need, services.ratings),
  };
  return {
    viewer,
    requestId,
    idempotencyKey,
    services,
    loaders,
    clock: container.clock,
    prefetchTicketFields(ticketId, info) {
      const discards = [prefetchConversations(loaders.conversations, ticketId, info), prefetchRating(loaders.ratings, ticketId, info)];
      return () => discards.forEach((discard) => discard());
    },
  };
}

/** The viewer of an `@Authorized` resolver. */
export function viewerOf(context: AppContext): Viewer {
  if (!context.viewer) throw new UnauthenticatedError();
  return context.viewer;
}
