import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Message } from '../messages/message.type';
import { PageInfo } from '../shared/page-info.type';

export enum TicketEventType {
  TICKET_RAISED = 'TICKET_RAISED',
  MESSAGE_ADDED = 'MESSAGE_ADDED',
  TICKET_ASSIGNED = 'TICKET_ASSIGNED',
  TICKET_ON_HOLD = 'TICKET_ON_HOLD',
  TICKET_RESUMED = 'TICKET_RESUMED',
  TICKET_CLOSED = 'TICKET_CLOSED',
  TICKET_REOPENED = 'TICKET_REOPENED',
  TICKET_RATED = 'TICKET_RATED',
}
registerEnumType(TicketEventType, {
  name: 'TicketEventType',
  description: 'What kind of change an event records.',
  valuesConfig: {
    TICKET_RAISED: { description: 'The ticket was raised; its changes list every initial field.' },
    MESSAGE_ADDED: { description: 'A message was added to the conversation (also the comments of a raise and the reason of a reopen).' },
    TICKET_ASSIGNED: { description: 'The ticket was assigned to an admin.' },
    TICKET_ON_HOLD: { description: 'The ticket was put on hold.' },
    TICKET_RESUMED: { description: 'The ticket was taken off hold.' },
    TICKET_CLOSED: { description: 'The ticket was closed.' },
    TICKET_REOPENED: { description: 'The ticket was reopened; `message` is the reason.' },
    TICKET_RATED: { description: 'The ticket was rated, or rated again.' },
  },
});

export enum ActorRole {
  ADMIN = 'ADMIN',
  USER = 'USER',
  SYSTEM = 'SYSTEM',
}
registerEnumType(ActorRole, { name: 'ActorRole', description: 'Who made a change: an admin or API key, a user, or the gateway itself.' });

@ObjectType({ description: 'Who made a change.', simpleResolvers: true })
export class Actor {
  @Field(() => ActorRole, { description: 'Admin (or API key), user, or system.' })
  role!: ActorRole;

  @Field(() => String, { nullable: true, description: "The admin's username (`service:<key id>` for an API key), the user id as text, or null for SYSTEM." })
  name!: string | null;
}

@ObjectType({ description: 'One field an event changed, with its values as the API shows them, as text.', simpleResolvers: true })
export class FieldChange {
  @Field({ description: 'The GraphQL field name: `status`, `assignedTo`, `priority`, `rating`, `resolution.type`, ...' })
  field!: string;

  @Field(() => String, { nullable: true, description: 'The value before (null when it had none).' })
  from!: string | null;

  @Field(() => String, { nullable: true, description: 'The value after (null when it has none).' })
  to!: string | null;
}

@ObjectType({ description: 'One change of a ticket, as the event log keeps it.', simpleResolvers: true })
export class TicketEvent {
  @Field(() => ID, { description: 'Orders the event within its account; also its cursor.' })
  id!: string;

  @Field(() => Int, { description: "Its place in the account's log: 1, 2, 3, ... without gaps." })
  sequence!: number;

  @Field(() => TicketEventType, { description: 'What kind of change it records.' })
  type!: TicketEventType;

  @Field(() => ID, { description: 'The ticket that changed.' })
  ticketId!: string;

  @Field(() => Actor, { description: 'Who made the change.' })
  actor!: Actor;

  @Field(() => Date, { description: 'When the change was made.' })
  createdAt!: Date;

  @Field(() => [FieldChange], { description: 'The fields it changed, before and after.' })
  changes!: FieldChange[];

  @Field(() => Message, { nullable: true, description: 'The message of a MESSAGE_ADDED, and the reason of a TICKET_REOPENED.' })
  message!: Message | null;
}

@ObjectType({ description: 'An event in a page of events.', simpleResolvers: true })
export class TicketEventEdge {
  @Field({ description: "The event's cursor (its id), for `after`." })
  cursor!: string;

  @Field(() => TicketEvent, { description: 'The event.' })
  node!: TicketEvent;
}

@ObjectType({ description: 'A page of events, oldest first.', simpleResolvers: true })
export class TicketEventConnection {
  @Field(() => [TicketEventEdge], { description: 'The events of this page.' })
  edges!: TicketEventEdge[];

  @Field(() => PageInfo, { description: 'How to fetch the next page.' })
  pageInfo!: PageInfo;

  count!: () => Promise<number>;

  /** Priced like a page of 50, as the ticket list's count. */
  @Field(() => Int, { complexity: 50, description: 'How many events match, across all pages.' })
  totalCount(): Promise<number> {
    return this.count();
  }
}
