import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../context';
import { Ticket } from '../tickets/ticket.type';
import { toRating } from './rating.mapper';
import { Rating } from './rating.type';

/** `Ticket.rating`: ratings belong to this domain, so their field on Ticket is resolved here. */
@Resolver(() => Ticket)
export class TicketRatingResolver {
  @FieldResolver(() => Rating, { nullable: true, description: "The user's rating, once the closed ticket has been rated." })
  async rating(@Root() ticket: Ticket, @Ctx() ctx: AppContext): Promise<Rating | null> {
    const record = await ctx.loaders.ratings.load(Number(ticket.id));
    return record && toRating(record);
  }
}
