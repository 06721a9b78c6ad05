import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { edgesOf } from '../shared/page-info.type';
import { DEFAULT_PAGE_SIZE } from '../shared/pagination';
import { Ticket } from '../tickets/ticket.type';
import { conversationKey } from './message.loaders';
import { toMessage } from './message.mapper';
import { MessageConnection } from './message.type';

/** `Ticket.messages`: the conversation belongs to this domain, so its field on Ticket is resolved here. */
@Resolver(() => Ticket)
export class TicketMessagesResolver {
  @FieldResolver(() => MessageConnection, { description: 'The conversation in the order written; a user sees only messages shown to users.' })
  async messages(
    @Root() ticket: Ticket,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: AppContext,
  ): Promise<MessageConnection> {
    const page = await ctx.loaders.conversations.load(conversationKey(Number(ticket.id), first, after));
    const { edges, pageInfo } = edgesOf({ ...page, cursorOf: (m) => ctx.services.messages.cursorOf(viewerOf(ctx), m) }, toMessage);
    return Object.assign(new MessageConnection(), { edges, pageInfo, count: page.totalCount });
  }
}
