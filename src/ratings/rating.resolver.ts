import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { toRating } from './rating.mapper';
import { RateTicketInput } from './rating.inputs';
import { Rating } from './rating.type';

@Resolver(() => Rating)
export class RatingResolver {
  @Authorized()
  @Mutation(() => Rating, { description: 'Rate a closed ticket from 1 to 5; rating again replaces the earlier rating.' })
  async rateTicket(@Arg('input', () => RateTicketInput) input: RateTicketInput, @Ctx() ctx: AppContext): Promise<Rating> {
    return toRating(await ctx.services.ratings.rate(viewerOf(ctx), input));
  }
}
