import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from '../shared/page-info.type';

export enum TicketPriority {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(TicketPriority, {
  name: 'TicketPriority',
  description: 'How urgent a ticket is; it sets the SLA hours from which `due` is computed.',
});

export enum TicketStatus {
  UNASSIGNED = 'UNASSIGNED',
  OPEN = 'OPEN',
  ON_HOLD = 'ON_HOLD',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketStatus, {
  name: 'TicketStatus',
  description: 'The stored state of a ticket.',
  valuesConfig: {
    UNASSIGNED: { description: 'New; nobody is assigned yet.' },
    OPEN: { description: 'Assigned to an admin and being worked on.' },
    ON_HOLD: { description: 'Paused by an admin.' },
    CLOSED: { description: 'Resolved; may be rated or reopened.' },
  },
});

export enum TicketView {
  UNRESOLVED = 'UNRESOLVED',
  OVERDUE = 'OVERDUE',
  DUE_TODAY = 'DUE_TODAY',
  OPEN = 'OPEN',
  ON_HOLD = 'ON_HOLD',
  UNASSIGNED = 'UNASSIGNED',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketView, {
  name: 'TicketView',
  description: 'A saved filter evaluated at request time.',
  valuesConfig: {
    UNRESOLVED: { description: 'Every ticket that is not closed.' },
    OVERDUE: { description: 'Unresolved, and `due` is in the past.' },
    DUE_TODAY: { description: 'Unresolved, and `due` falls on the current calendar day in LEGACY_TIMEZONE.' },
    OPEN: { description: 'Status OPEN.' },
    ON_HOLD: { description: 'Status ON_HOLD.' },
    UNASSIGNED: { description: 'Status UNASSIGNED.' },
    CLOSED: { description: 'Status CLOSED.' },
  },
});

@ObjectType({ description: 'How a ticket was resolved, given when it is closed.', simpleResolvers: true })
export class Resolution {
  @Field({ description: 'The kind of resolution, e.g. "Refund".' })
  type!: string;

  @Field({ description: 'A short summary of the resolution.' })
  subject!: string;
}

@ObjectType({ description: 'A support request and its state. Its conversation and rating are fields of their own.', simpleResolvers: true })
export class Ticket {
  @Field(() => ID, { description: 'The sequential ticket id, as a string: "91".' })
  id!: string;

  @Field({ description: 'The account (tenant) that owns the ticket.' })
  accountId!: string;

  @Field(() => Int, { description: 'The id of the user who raised the ticket.' })
  userId!: number;

  @Field({ description: 'The ticket subject.' })
  subject!: string;

  @Field({ description: 'The ticket type, e.g. "Payment".' })
  type!: string;

  @Field({ description: 'The support group handling this type (the type itself unless TYPE_GROUPS maps it).' })
  groupName!: string;

  @Field(() => TicketPriority, { description: 'The priority; it sets the SLA.' })
  priority!: TicketPriority;

  @Field(() => TicketStatus, { description: 'The stored state.' })
  status!: TicketStatus;

  @Field(() => Date, { description: "When the SLA runs out: creation (or reopen) time plus the priority's SLA hours." })
  due!: Date;

  @Field({ description: 'True when the ticket is unresolved and `due` has passed.' })
  overdue!: boolean;

  @Field(() => String, { nullable: true, description: 'The username of the assigned admin; null when unassigned.' })
  assignedTo!: string | null;

  @Field(() => Date, { description: 'When the ticket was raised.' })
  createdAt!: Date;

  @Field(() => Date, { description: 'When the ticket last changed.' })
  updatedAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the ticket was closed; null unless CLOSED.' })
  closedAt!: Date | null;

  @Field(() => Resolution, { nullable: true, description: 'How the ticket was resolved, if a resolution was given.' })
  resolution!: Resolution | null;

  /** The cursor of the event it shows the ticket after, when known (a live or replayed ticketUpdated). */
  knownEventCursor?: string;
}

@ObjectType({ description: 'A ticket in a page of tickets.', simpleResolvers: true })
export class TicketEdge {
  @Field({ description: 'Opaque cursor of this ticket, for `after`.' })
  cursor!: string;

  @Field(() => Ticket, { description: 'The ticket.' })
  node!: Ticket;
}

@ObjectType({ description: 'A page of tickets in ascending id order.', simpleResolvers: true })
export class TicketConnection {
  @Field(() => [TicketEdge], { description: 'The tickets of this page.' })
  edges!: TicketEdge[];

  @Field(() => PageInfo, { description: 'How to fetch the next page.' })
  pageInfo!: PageInfo;

  /** Counted only when a client selects `totalCount`. */
  count!: () => Promise<number>;

  /** A count query of its own: priced like a page of 50, so aliases cannot multiply counts for free. */
  @Field(() => Int, { complexity: 50, description: 'How many tickets match the filter, across all pages.' })
  totalCount(): Promise<number> {
    return this.count();
  }
}
