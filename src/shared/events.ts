import { createPubSub, type PubSub } from '@graphql-yoga/subscription';

/**
 * The typed topics of every live event. Payloads hold only primitives (strings, numbers, booleans,
 * ISO dates) so they cross Redis unchanged; each carries what subscribers need to decide visibility
 * (account, the ticket's user, showToUser) without a database read per subscriber.
 */
export interface MessageAddedEvent {
  accountId: string;
  ticketId: number;
  /** The user who owns the ticket: a user viewer sees only events of its own tickets. */
  ticketUserId: number;
  id: string;
  seq: number;
  sender: 'admin' | 'user';
  senderName: string;
  body: string;
  showToUser: boolean;
  createdAt: string;
  /** Its event's place in the account's log (absent on events that are not from the log). */
  eventSeq?: number;
}

export interface TicketUpdatedEvent {
  accountId: string;
  ticketId: number;
  userId: number;
  subject: string;
  type: string;
  groupName: string;
  priority: string;
  status: string;
  due: string;
  assignedTo: string | null;
  closedAt: string | null;
  resolutionType: string | null;
  resolutionSubject: string | null;
  createdAt: string;
  updatedAt: string;
  /** Its event's place in the account's log (absent on events that are not from the log). */
  eventSeq?: number;
}

export const Topic = {
  MESSAGE_ADDED: 'MESSAGE_ADDED',
  TICKET_UPDATED: 'TICKET_UPDATED',
} as const;

/** Topic → [routing id, payload]. Messages route by `<account>:<ticket>`, ticket changes by account. */
export type TopicPayloads = {
  [Topic.MESSAGE_ADDED]: [string, MessageAddedEvent];
  [Topic.TICKET_UPDATED]: [string, TicketUpdatedEvent];
};

export type EventPubSub = PubSub<TopicPayloads>;

export const messageRoute = (accountId: string, ticketId: number) => `${accountId}:${ticketId}`;

/** In-process delivery; a Redis-backed event target replaces it when REDIS_URL is set. */
export function createInProcessPubSub(): EventPubSub {
  return createPubSub<TopicPayloads>();
}

/** What services publish through: one method per topic, so a payload cannot go to the wrong topic. */
export class EventBus {
  constructor(readonly pubSub: EventPubSub) {}

  messageAdded(event: MessageAddedEvent): void {
    this.pubSub.publish(Topic.MESSAGE_ADDED, messageRoute(event.accountId, event.ticketId), event);
  }

  ticketUpdated(event: TicketUpdatedEvent): void {
    this.pubSub.publish(Topic.TICKET_UPDATED, event.accountId, event);
  }

  /** Every ticket change of an account; the caller filters by visibility. */
  ticketUpdates(accountId: string): AsyncIterable<TicketUpdatedEvent> {
    return this.pubSub.subscribe(Topic.TICKET_UPDATED, accountId);
  }

  messagesOf(accountId: string, ticketId: number): AsyncIterable<MessageAddedEvent> {
    return this.pubSub.subscribe(Topic.MESSAGE_ADDED, messageRoute(accountId, ticketId));
  }
}
