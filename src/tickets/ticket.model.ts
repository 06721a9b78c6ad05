import { Schema, trusted, type Connection } from 'mongoose';
import { PRIORITIES } from '../config';

export const TICKET_STATUSES = ['unassigned', 'open', 'onhold', 'closed'] as const;
export type StoredStatus = (typeof TICKET_STATUSES)[number];

/**
 * Filters pass through mongoose's `sanitizeFilter`, which neutralises `$` operators that could come
 * from client input; operators written by services are marked `trusted`, like this one.
 */
export const NOT_CLOSED = trusted({ $ne: 'closed' }) as { $ne: 'closed' };

const ticketSchema = new Schema(
  {
    /** The sequential legacy id, also the primary key: unique across accounts, never reused. */
    _id: { type: Number, required: true },
    accountId: { type: String, required: true },
    userId: { type: Number, required: true },
    subject: { type: String, required: true },
    type: { type: String, required: true },
    groupName: { type: String, required: true },
    priority: { type: String, required: true, enum: PRIORITIES },
    status: { type: String, required: true, enum: TICKET_STATUSES },
    due: { type: Date, required: true },
    assignedTo: { type: String, default: null },
    closedAt: { type: Date, default: null },
    resolution: {
      type: new Schema({ type: { type: String, required: true }, subject: { type: String, required: true } }, { _id: false }),
      default: null,
    },
    /** Position of the last message; a message takes `messageSeq + 1` atomically with the state check. */
    messageSeq: { type: Number, required: true, default: 0 },
    /** How many of its messages a user sees: the userSeq of the last one shown to users. */
    userMessageSeq: { type: Number, default: 0 },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    /** The current rating's value (the ratings domain stores the rating), so a rating's event can say what it replaced. */
    ratingValue: { type: Number, default: null },
    /** Changes written with the ticket whose events the relay has not yet moved into the log (ticket.outbox.ts). */
    outbox: { type: [Schema.Types.Mixed], default: undefined },
  },
  { versionKey: false, collection: 'tickets', strict: 'throw' },
);

// Every query is scoped by account first; these cover the views, the user and the assignee filters,
// each ending in _id so that pages in id order come straight off the index.
ticketSchema.index({ accountId: 1, _id: 1 });
ticketSchema.index({ accountId: 1, status: 1, _id: 1 });
ticketSchema.index({ accountId: 1, status: 1, due: 1 });
ticketSchema.index({ accountId: 1, userId: 1, _id: 1 });
ticketSchema.index({ accountId: 1, assignedTo: 1, _id: 1 });
// What the relay sweeps: tickets with changes still waiting for the log (few, and only after a stop midway).
ticketSchema.index({ 'outbox.0.at': 1 }, { sparse: true });

const counterSchema = new Schema({ _id: { type: String, required: true }, seq: { type: Number, required: true } }, { versionKey: false, collection: 'counters' });

export function ticketModels(connection: Connection) {
  return {
    Ticket: connection.model('Ticket', ticketSchema),
    Counter: connection.model('Counter', counterSchema),
  };
}
export type TicketModels = ReturnType<typeof ticketModels>;
