import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { DEFAULT_PAGE_SIZE } from '../shared/pagination';
import { PrefetchingLoader } from '../shared/prefetching-loader';
import { subfieldArguments } from '../shared/selection';
import type { ConversationPage, MessageService } from './message.service';

export interface ConversationKey {
  ticketId: number;
  first: number;
  after: string | null | undefined;
}

/** The page a `messages(first, after)` selection asks for; an explicit `first: null` is the default page size. */
export function conversationKey(ticketId: number, first: number | null | undefined, after: string | null | undefined): ConversationKey {
  return { ticketId, first: first ?? DEFAULT_PAGE_SIZE, after };
}

const keyOf = (key: ConversationKey) => `${key.ticketId}|${key.first}|${key.after ?? ''}`;

/**
 * Per-request (per-operation on a WebSocket) batching of `Ticket.messages`: a page of N tickets costs one
 * command for all their conversations. No cache across batches, so a long-lived subscription never
 * serves stale data.
 */
export function createConversationLoader(viewer: () => Viewer, messages: MessageService) {
  return new PrefetchingLoader(
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
            const found = await messages.pages(viewer(), [...new Set(group.map((k) => k.ticketId))], group[0].first, group[0].after);
            for (const [ticketId, page] of found) pages.set(`${ticketId}|${shape}`, page);
          }),
        );
        return keys.map((key) => pages.get(keyOf(key))!);
      },
      { cache: false },
    ),
    keyOf,
  );
}

export type ConversationLoader = ReturnType<typeof createConversationLoader>;

/** Starts every `messages` page a `ticket(id)` selection asks for, alongside the ticket; the returned function forgets them. */
export function prefetchConversations(loader: ConversationLoader, ticketId: number, info: GraphQLResolveInfo): () => void {
  for (const args of subfieldArguments(info, 'messages')) {
    loader.prefetch(conversationKey(ticketId, args.first as number | null | undefined, args.after as string | null | undefined));
  }
  return () => loader.discard((key) => key.ticketId === ticketId);
}
