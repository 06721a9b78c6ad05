import DataLoader from 'dataloader';
import type { Viewer } from '../auth/viewer';
import type { ConversationPage, MessageService } from '../messages/message.service';
import type { RatingRecord } from '../ratings/rating.mapper';
import type { RatingService } from '../ratings/rating.service';

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
 * Conversation pages through the batching loader, with one addition: a page can be started before
 * its field resolver runs (a ticket's conversation is read alongside the ticket, one round trip to
 * the database instead of two), and the resolver then takes it. A started page is taken once, so
 * nothing is ever served twice.
 */
export class ConversationLoader {
  private readonly started = new Map<string, Promise<ConversationPage>>();

  constructor(private readonly loader: DataLoader<ConversationKey, ConversationPage>) {}

  /** Starts loading the pages of a ticket's conversation that `selections` (the arguments of each `messages`) will ask for. */
  prefetch(ticketId: number, selections: ReadonlyArray<Record<string, unknown>>): void {
    for (const args of selections) {
      const key = conversationKey(ticketId, args.first as number | null | undefined, args.after as string | null | undefined);
      const id = keyOf(key);
      if (this.started.has(id)) continue;
      const page = this.loader.load(key);
      // Whoever takes the page sees its failure; a page nobody takes must not fail unhandled.
      page.catch(() => undefined);
      this.started.set(id, page);
    }
  }

  /** Forgets the pages started for a ticket that turned out not to be visible. */
  discard(ticketId: number): void {
    for (const id of this.started.keys()) if (id.startsWith(`${ticketId}|`)) this.started.delete(id);
  }

  load(key: ConversationKey): Promise<ConversationPage> {
    const id = keyOf(key);
    const page = this.started.get(id);
    if (!page) return this.loader.load(key);
    this.started.delete(id);
    return page;
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
    ratings: new DataLoader<number, RatingRecord | null>(
      async (ids) => {
        const found = await services.ratings.byTickets(need(), ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false },
    ),
    conversations: new ConversationLoader(
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
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
