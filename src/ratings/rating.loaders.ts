import DataLoader from 'dataloader';
import type { GraphQLResolveInfo } from 'graphql';
import type { Viewer } from '../auth/viewer';
import { PrefetchingLoader } from '../shared/prefetching-loader';
import { subfieldArguments } from '../shared/selection';
import type { RatingRecord } from './rating.mapper';
import type { RatingService } from './rating.service';

/** Per-request batching of `Ticket.rating`: a page of N tickets costs one command for all their ratings. */
export function createRatingLoader(viewer: () => Viewer, ratings: RatingService) {
  return new PrefetchingLoader(
    new DataLoader<number, RatingRecord | null>(
      async (ids) => {
        const found = await ratings.byTickets(viewer(), ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false },
    ),
    String,
  );
}

export type RatingLoader = ReturnType<typeof createRatingLoader>;

/** Starts the rating a `ticket(id)` selection asks for, alongside the ticket; the returned function forgets it. */
export function prefetchRating(loader: RatingLoader, ticketId: number, info: GraphQLResolveInfo): () => void {
  if (subfieldArguments(info, 'rating').length) loader.prefetch(ticketId);
  return () => loader.discard((id) => id === ticketId);
}
