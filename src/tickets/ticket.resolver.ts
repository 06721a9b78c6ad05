import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import type { TicketUpdatedEvent } from '../shared/events';
import { parseTicketId } from '../shared/input';
import { conversationKey, prefetchTicketFields } from '../shared/loaders';
import { edgesOf } from '../shared/page-info.type';
import { MessageConnection } from '../messages/message.type';
import { toMessage } from '../messages/message.mapper';
import { Rating } from '../ratings/rating.type';
import { toRating } from '../ratings/rating.mapper';
import { fromTicketEvent, toTicket } from './ticket.mapper';
import { RaiseTicketInput, ReopenTicketInput, ResolutionInput, TicketFilter } from './ticket.inputs';
import { Ticket, TicketConnection } from './ticket.type';

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized()
  @Query(() => Ticket, { nullable: true, description: 'One ticket; null when it does not exist or the viewer may not see it.' })
  async ticket(@Arg('id', () => ID, { description: 'The ticket id, e.g. "91".' }) id: string, @Ctx() ctx: AppContext, @Info() info: GraphQLResolveInfo): Promise<Ticket | null> {
    const viewer = viewerOf(ctx);
    const ticketId = parseTicketId(id);
    // Its conversation and rating, when selected, are read alongside it: one round trip, not two.
    const prefetched = prefetchTicketFields(ctx.loaders, ticketId, info);
    const record = await ctx.services.tickets.findVisible(viewer, ticketId);
    if (!record) prefetched.discard();
    return record && toTicket(record, ctx.clock());
  }

  @Authorized()
  @Query(() => TicketConnection, { description: 'The tickets the viewer may see, in ascending id order, a page at a time.' })
  async tickets(
    @Arg('filter', () => TicketFilter, { nullable: true, description: 'Conditions every ticket must meet.' }) filterArg: TicketFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: AppContext,
  ): Promise<TicketConnection> {
    const page = await ctx.services.tickets.list(viewerOf(ctx), filterArg, first, after);
    const now = ctx.clock();
    const { edges, pageInfo } = edgesOf(page, (record) => toTicket(record, now));
    return Object.assign(new TicketConnection(), { edges, pageInfo, count: page.totalCount });
  }

  @FieldResolver(() => Rating, { nullable: true, description: "The user's rating, once the closed ticket has been rated." })
  async rating(@Root() ticket: Ticket, @Ctx() ctx: AppContext): Promise<Rating | null> {
    const record = await ctx.loaders.ratings.load(Number(ticket.id));
    return record && toRating(record);
  }

  @FieldResolver(() => MessageConnection, { description: 'The conversation in the order written; a user sees only messages shown to users.' })
  async messages(
    @Root() ticket: Ticket,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: AppContext,
  ): Promise<MessageConnection> {
    const page = await ctx.loaders.conversations.load(conversationKey(Number(ticket.id), first, after));
    const { edges, pageInfo } = edgesOf({ ...page, cursorOf: (m) => ctx.services.messages.cursorOf(m) }, toMessage);
    return Object.assign(new MessageConnection(), { edges, pageInfo, count: page.totalCount });
  }

  @Authorized()
  @Mutation(() => Ticket, { description: 'Raise a ticket; `comments` becomes the first message. A user raises for itself.' })
  async raiseTicket(@Arg('input', () => RaiseTicketInput) input: RaiseTicketInput, @Ctx() ctx: AppContext): Promise<Ticket> {
    return toTicket(await ctx.services.tickets.raise(viewerOf(ctx), input), ctx.clock());
  }

  @Authorized()
  @Mutation(() => Ticket, { description: 'Close a ticket, optionally with its resolution. Closing a closed ticket changes nothing.' })
  async closeTicket(
    @Arg('id', () => ID, { description: 'The ticket to close.' }) id: string,
    @Arg('resolution', () => ResolutionInput, { nullable: true, description: 'How it was resolved.' }) resolution: ResolutionInput | null,
    @Ctx() ctx: AppContext,
  ): Promise<Ticket> {
    return toTicket(await ctx.services.tickets.close(viewerOf(ctx), id, resolution), ctx.clock());
  }

  @Authorized('admin')
  @Mutation(() => Ticket, { description: 'Assign a ticket to an admin (admins only). UNASSIGNED becomes OPEN; a closed ticket is a CONFLICT.' })
  async assignTicket(
    @Arg('id', () => ID, { description: 'The ticket to assign.' }) id: string,
    @Arg('admin', { description: "The admin's username." }) admin: string,
    @Ctx() ctx: AppContext,
  ): Promise<Ticket> {
    return toTicket(await ctx.services.tickets.assign(viewerOf(ctx), id, admin), ctx.clock());
  }

  @Authorized('admin')
  @Mutation(() => Ticket, { description: 'Put a ticket on hold or take it off hold (admins only).' })
  async setTicketOnHold(
    @Arg('id', () => ID, { description: 'The ticket.' }) id: string,
    @Arg('onHold', { description: 'True to hold, false to resume.' }) onHold: boolean,
    @Ctx() ctx: AppContext,
  ): Promise<Ticket> {
    return toTicket(await ctx.services.tickets.setOnHold(viewerOf(ctx), id, onHold), ctx.clock());
  }

  @Authorized()
  @Mutation(() => Ticket, { description: 'Reopen a closed ticket; the reason is appended as a user message and `due` restarts.' })
  async reopenTicket(@Arg('input', () => ReopenTicketInput) input: ReopenTicketInput, @Ctx() ctx: AppContext): Promise<Ticket> {
    return toTicket(await ctx.services.tickets.reopen(viewerOf(ctx), input), ctx.clock());
  }

  @Authorized()
  @Subscription(() => Ticket, {
    description: 'Changes to one ticket, or with no id to every ticket the viewer may see.',
    subscribe: ({ args, context }) => {
      const ctx = context as AppContext;
      return ctx.services.tickets.watch(viewerOf(ctx), args.id as string | null | undefined);
    },
  })
  ticketUpdated(
    @Root() event: TicketUpdatedEvent,
    @Arg('id', () => ID, { nullable: true, description: 'The ticket to follow; omit for all visible tickets.' }) _id: string | null,
    @Ctx() ctx: AppContext,
  ): Ticket {
    return toTicket(fromTicketEvent(event), ctx.clock());
  }
}
