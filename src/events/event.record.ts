import type { Types } from 'mongoose';
import type { Actor, MessageDraft, OutboxEntry, TicketEventKind, TicketState } from '../tickets/ticket.outbox';
import { toMessageEvent } from '../messages/message.mapper';
import type { MessageAddedEvent, TicketUpdatedEvent } from '../shared/events';
import { toTicketEvent } from '../tickets/ticket.mapper';

export interface FieldChangeRecord {
  field: string;
  from: string | null;
  to: string | null;
}

/** An event as the log stores it. */
export interface EventRecord {
  _id: Types.ObjectId;
  accountId: string;
  seq: number;
  ticketId: number;
  ticketUserId: number;
  type: TicketEventKind;
  actor: Actor;
  createdAt: Date;
  changes: FieldChangeRecord[];
  message: MessageDraft | null;
  ticket: TicketUpdatedEvent;
  userVisible: boolean;
}

const STATUS_TEXT: Record<string, string> = { unassigned: 'UNASSIGNED', open: 'OPEN', onhold: 'ON_HOLD', closed: 'CLOSED' };

/** The fields an event reports, each with how the GraphQL API shows its value, as text. */
const REPORTED: ReadonlyArray<[string, (state: Partial<TicketState>) => string | null]> = [
  ['userId', (s) => (s.userId === undefined ? null : String(s.userId))],
  ['subject', (s) => s.subject ?? null],
  ['type', (s) => s.type ?? null],
  ['groupName', (s) => s.groupName ?? null],
  ['priority', (s) => (s.priority ? s.priority.toUpperCase() : null)],
  ['status', (s) => (s.status ? STATUS_TEXT[s.status] : null)],
  ['due', (s) => (s.due ? new Date(s.due).toISOString() : null)],
  ['assignedTo', (s) => s.assignedTo ?? null],
  ['closedAt', (s) => (s.closedAt ? new Date(s.closedAt).toISOString() : null)],
  ['resolution.type', (s) => s.resolution?.type ?? null],
  ['resolution.subject', (s) => s.resolution?.subject ?? null],
  ['rating', (s) => (s.rating === null || s.rating === undefined ? null : String(s.rating))],
];

/** What an entry changed: every reported field whose text differs before and after (from null for a raise). */
export function changesOf(before: Partial<TicketState> | null, after: Partial<TicketState>): FieldChangeRecord[] {
  const changes: FieldChangeRecord[] = [];
  for (const [field, text] of REPORTED) {
    const from = before ? text(before) : null;
    const to = text(after);
    if (from !== to) changes.push({ field, from, to });
  }
  return changes;
}

/** The event an outbox entry becomes, but for its place in the log (`seq`), given when it enters. */
export function eventOf(ticket: { id: number; accountId: string; userId: number }, entry: OutboxEntry): Omit<EventRecord, 'seq'> {
  const after: TicketState = { ...(entry.before as TicketState), ...entry.set };
  const message = entry.message ?? null;
  return {
    _id: entry._id,
    accountId: ticket.accountId,
    ticketId: ticket.id,
    ticketUserId: ticket.userId,
    type: entry.type,
    actor: entry.actor,
    createdAt: entry.at,
    changes: entry.type === 'MESSAGE_ADDED' ? [] : changesOf(entry.before, after),
    message,
    // The ticket right after this event, in the shape of a live ticketUpdated payload.
    ticket: toTicketEvent({ ...after, _id: ticket.id, accountId: ticket.accountId, messageSeq: 0 }),
    userVisible: !(entry.type === 'MESSAGE_ADDED' && message !== null && !message.showToUser),
  };
}

/** A MESSAGE_ADDED as the messageAdded subscription receives it, live or replayed. */
export function liveMessageOf(event: EventRecord): MessageAddedEvent {
  return { ...toMessageEvent({ ...event.message!, accountId: event.accountId, ticketId: event.ticketId }, event.ticketUserId), eventSeq: event.seq };
}

/** Any other event as the ticketUpdated subscription receives it: the ticket right after it. */
export function liveTicketOf(event: EventRecord): TicketUpdatedEvent {
  return { ...event.ticket, eventSeq: event.seq };
}
