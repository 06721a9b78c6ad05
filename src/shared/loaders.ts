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
    conversations: new DataLoader<ConversationKey, ConversationPage>(
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
        return keys.map((key) => pages.get(`${key.ticketId}|${key.first}|${key.after ?? ''}`)!);
      },
      { cache: false },
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
