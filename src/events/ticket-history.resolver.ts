import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { Message } from '../messages/message.type';
import { edgesOf } from '../shared/page-info.type';
import { DEFAULT_PAGE_SIZE } from '../shared/pagination';
import { Ticket } from '../tickets/ticket.type';
import { toTicketEvent } from './event.mapper';
import { eventIdOf } from './event.service';
import { TicketEventConnection } from './event.type';

/** Before any event: what a ticket or message that predates the log answers as its cursor. */
const beforeTheLog = (accountId: string) => eventIdOf({ accountId, seq: 0 });

/** `Ticket.history` and `Ticket.eventCursor`: the log belongs to this domain, so its fields on Ticket are resolved here. */
@Resolver(() => Ticket)
export class TicketHistoryResolver {
  @FieldResolver(() => TicketEventConnection, { description: "The ticket's events, oldest first; a user sees none of an internal note." })
  async history(
    @Root() ticket: Ticket,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: AppContext,
  ): Promise<TicketEventConnection> {
    const page = await ctx.services.events.history(viewerOf(ctx), Number(ticket.id), first, after);
    const { edges, pageInfo } = edgesOf(page, toTicketEvent);
    return Object.assign(new TicketEventConnection(), { edges, pageInfo, count: page.totalCount });
  }

  @FieldResolver(() => String, { description: 'The cursor of the last event of this ticket the viewer may see: pass it as `after` to resume.' })
  async eventCursor(@Root() ticket: Ticket, @Ctx() ctx: AppContext): Promise<string> {
    return ticket.knownEventCursor ?? (await ctx.loaders.eventCursors.ofTickets.load(Number(ticket.id))) ?? beforeTheLog(ticket.accountId);
  }
}

/** `Message.eventCursor`. */
@Resolver(() => Message)
export class MessageEventResolver {
  @FieldResolver(() => String, { description: "The cursor of this message's MESSAGE_ADDED event." })
  async eventCursor(@Root() message: Message, @Ctx() ctx: AppContext): Promise<string> {
    return message.knownEventCursor ?? (await ctx.loaders.eventCursors.ofMessages.load(message.id)) ?? beforeTheLog(viewerOf(ctx).accountId);
  }
}
