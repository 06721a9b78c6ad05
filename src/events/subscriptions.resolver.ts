import { Arg, Authorized, Ctx, ID, Resolver, Root, Subscription } from 'type-graphql';
import { type AppContext, viewerOf } from '../context';
import { messageFromEvent } from '../messages/message.mapper';
import { Message } from '../messages/message.type';
import { encodeEventCursor } from '../shared/event-cursor';
import type { MessageAddedEvent, TicketUpdatedEvent } from '../shared/events';
import { fromTicketEvent, toTicket } from '../tickets/ticket.mapper';
import { Ticket } from '../tickets/ticket.type';
import { liveMessageOf, liveTicketOf } from './event.record';

const AFTER = {
  nullable: true,
  description: 'The last eventCursor seen (of a message or a ticket): first what the viewer may see since then, then live; nothing missed, nothing twice.',
} as const;

/**
 * The live feeds, resumable from the event log: `messageAdded` carries MESSAGE_ADDED events,
 * `ticketUpdated` every other event of a ticket (the ticket as it was right after it). Without
 * `after` a subscription starts at the newest event.
 */
@Resolver()
export class SubscriptionResolver {
  @Authorized()
  @Subscription(() => Message, {
    description: 'New messages of one ticket, as they are written; a user gets only messages shown to users, of its own tickets.',
    subscribe: async ({ args, context }) => {
      const ctx = context as AppContext;
      const viewer = viewerOf(ctx);
      const live = await ctx.services.messages.watch(viewer, args.ticketId as string);
      const scope = { ticketId: ctx.services.tickets.parseId(args.ticketId as string, 'ticketId'), messages: true };
      return ctx.services.events.resumable(viewer, args.after as string | null | undefined, scope, live, liveMessageOf);
    },
  })
  messageAdded(
    @Root() event: MessageAddedEvent,
    @Arg('ticketId', () => ID, { description: 'The ticket to follow.' }) _ticketId: string,
    @Arg('after', () => String, AFTER) _after: string | null,
  ): Message {
    return messageFromEvent(event);
  }

  @Authorized()
  @Subscription(() => Ticket, {
    description: 'Changes to one ticket, or with no id to every ticket the viewer may see.',
    subscribe: async ({ args, context }) => {
      const ctx = context as AppContext;
      const viewer = viewerOf(ctx);
      const id = args.id as string | null | undefined;
      const live = await ctx.services.tickets.watch(viewer, id);
      const scope = { ticketId: id === null || id === undefined ? undefined : ctx.services.tickets.parseId(id), messages: false };
      return ctx.services.events.resumable(viewer, args.after as string | null | undefined, scope, live, liveTicketOf);
    },
  })
  ticketUpdated(
    @Root() event: TicketUpdatedEvent,
    @Arg('id', () => ID, { nullable: true, description: 'The ticket to follow; omit for all visible tickets.' }) _id: string | null,
    @Arg('after', () => String, AFTER) _after: string | null,
    @Ctx() ctx: AppContext,
  ): Ticket {
    const ticket = toTicket(fromTicketEvent(event), ctx.clock());
    if (event.eventSeq !== undefined) ticket.knownEventCursor = encodeEventCursor(event.accountId, event.eventSeq);
    return ticket;
  }
}
