import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { edgesOf } from '../shared/page-info.type';
import { toTicketEvent } from './event.mapper';
import { TicketEvent, TicketEventConnection, TicketEventType } from './event.type';

@Resolver(() => TicketEvent)
export class EventResolver {
  @Authorized('admin')
  @Query(() => TicketEventConnection, { description: "The account's event log after a cursor, oldest first (admins only)." })
  async events(
    @Arg('after', () => String, { nullable: true, description: 'The cursor of the last event already seen; omit to start at the oldest kept.' }) after: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 100, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('types', () => [TicketEventType], { nullable: true, description: 'Only events of these types; omit for every type.' }) types: TicketEventType[] | null,
    @Ctx() ctx: AppContext,
  ): Promise<TicketEventConnection> {
    const page = await ctx.services.events.list(viewerOf(ctx), after, first, types);
    const { edges, pageInfo } = edgesOf(page, toTicketEvent);
    return Object.assign(new TicketEventConnection(), { edges, pageInfo, count: page.totalCount });
  }
}
