import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Authorized, Ctx, ID, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { edgesOf } from '../shared/page-info.type';
import { DEFAULT_PAGE_SIZE } from '../shared/pagination';
import { toTicket } from './ticket.mapper';
import { RaiseTicketInput, ReopenTicketInput, ResolutionInput, TicketFilter } from './ticket.inputs';
import { Ticket, TicketConnection } from './ticket.type';

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized()
  @Query(() => Ticket, { nullable: true, description: 'One ticket; null when it does not exist or the viewer may not see it.' })
  async ticket(@Arg('id', () => ID, { description: 'The ticket id, e.g. "91".' }) id: string, @Ctx() ctx: AppContext, @Info() info: GraphQLResolveInfo): Promise<Ticket | null> {
    const viewer = viewerOf(ctx);
    const ticketId = ctx.services.tickets.parseId(id);
    // What it is asked for besides itself (its conversation, its rating) is read alongside it.
    const discard = ctx.prefetchTicketFields(ticketId, info);
    const record = await ctx.services.tickets.findVisible(viewer, ticketId);
    if (!record) discard();
    return record && toTicket(record, ctx.clock());
  }

  @Authorized()
  @Query(() => TicketConnection, { description: 'The tickets the viewer may see, in ascending id order, a page at a time.' })
  async tickets(
    @Arg('filter', () => TicketFilter, { nullable: true, description: 'Conditions every ticket must meet.' }) filterArg: TicketFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: DEFAULT_PAGE_SIZE, description: 'Page size, at most 200.' }) first: number | null,
    @Arg('after', () => String, { nullable: true, description: 'The endCursor of the previous page.' }) after: string | null,
    @Ctx() ctx: AppContext,
  ): Promise<TicketConnection> {
    const page = await ctx.services.tickets.list(viewerOf(ctx), filterArg, first, after);
    const now = ctx.clock();
    const { edges, pageInfo } = edgesOf(page, (record) => toTicket(record, now));
    return Object.assign(new TicketConnection(), { edges, pageInfo, count: page.totalCount });
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
}
