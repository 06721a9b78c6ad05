import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { Viewer } from '../auth/viewer';
import type { ConversationPage, MessageService } from '../messages/message.service';
import type { RatingRecord } from '../ratings/rating.mapper';
import type { RatingService } from '../ratings/rating.service';
import { subfieldArguments } from './selection';

export interface ConversationKey {
  ticketId: number;
  first: number;
  after: string | null | undefined;
}

/** The page a `messages(first, after)` selection asks for; an explicit `first: null` is the default 50. */
export function conversationKey(ticketId: number, first: number | null | undefined, after: string | null | undefined): ConversationKey {
  return { ticketId, first: first ?? 50, after };
}

const keyOf = (key: ConversationKey) => `${key.ticketId}|${key.first}|${key.after ?? ''}`;

/**
 * A per-request DataLoader whose loads can start before their field resolver runs: what a `ticket`
 * selection will ask of the ticket (its conversation pages, its rating) is read alongside the ticket,
 * one round trip to the database instead of two. The resolver then takes the started load; a load
 * is taken once, so nothing is ever served twice.
 */
export class PrefetchingLoader<K, V> {
  private readonly started = new Map<string, { key: K; value: Promise<V> }>();

  constructor(
    private readonly loader: DataLoader<K, V>,
    private readonly idOf: (key: K) => string,
  ) {}

  /** Starts a load the operation is going to ask for. */
  prefetch(key: K): void {
    const id = this.idOf(key);
    if (this.started.has(id)) return;
    const value = this.loader.load(key);
    // Whoever takes the load sees its failure; a load nobody takes must not fail unhandled.
    value.catch(() => undefined);
    this.started.set(id, { key, value });
  }

  /** Forgets started loads nobody will take (those of a ticket that turned out not to be visible). */
  discard(unwanted: (key: K) => boolean): void {
    for (const [id, { key }] of this.started) if (unwanted(key)) this.started.delete(id);
  }

  load(key: K): Promise<V> {
    const id = this.idOf(key);
    const started = this.started.get(id);
    if (!started) return this.loader.load(key);
    this.started.delete(id);
    return started.value;
  }
}

/**
 * Per-request (per-operation on a WebSocket) batching of the Ticket field resolvers: a page of N tickets
 * costs one command for all ratings and one for all conversations. Loaders do not cache across
 * batches, so a long-lived subscription never serves stale data.
 */
export function createLoaders(viewer: Viewer | null, services: { ratings: RatingService; messages: MessageService }) {
  const need = (): Viewer => {
    if (!viewer) throw new Error('loaders need a viewer; resolvers must be @Authorized');
    return viewer;
  };
  return {
    ratings: new PrefetchingLoader(
      new DataLoader<number, RatingRecord | null>(
        async (ids) => {
          const found = await services.ratings.byTickets(need(), ids);
          return ids.map((id) => found.get(id) ?? null);
        },
        { cache: false },
      ),
      String,
    ),
    conversations: new PrefetchingLoader(
      new DataLoader<ConversationKey, ConversationPage>(
        async (keys) => {
          // Keys asking for the same page shape share one aggregate.
          const groups = new Map<string, ConversationKey[]>();
          for (const key of keys) {
            const shape = `${key.first}|${key.after ?? ''}`;
            groups.set(shape, [...(groups.get(shape) ?? []), key]);
          }
          const pages = new Map<string, ConversationPage>();
          await Promise.all(
            [...groups.entries()].map(async ([shape, group]) => {
              const found = await services.messages.pages(need(), [...new Set(group.map((k) => k.ticketId))], group[0].first, group[0].after);
              for (const [ticketId, page] of found) pages.set(`${ticketId}|${shape}`, page);
            }),
          );
          return keys.map((key) => pages.get(keyOf(key))!);
        },
        { cache: false },
      ),
      keyOf,
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;

/**
 * Starts what a `ticket(id)` selection will ask of the ticket (every `messages` page, the `rating`)
 * so it is read alongside the ticket itself. `discard()` when the ticket is not visible.
 */
export function prefetchTicketFields(loaders: Loaders, ticketId: number, info: GraphQLResolveInfo): { discard(): void } {
  for (const args of subfieldArguments(info, 'messages')) {
    loaders.conversations.prefetch(conversationKey(ticketId, args.first as number | null | undefined, args.after as string | null | undefined));
  }
  if (subfieldArguments(info, 'rating').length) loaders.ratings.prefetch(ticketId);
  return {
    discard() {
      loaders.conversations.discard((key) => key.ticketId === ticketId);
      loaders.ratings.discard((id) => id === ticketId);
    },
  };
}
