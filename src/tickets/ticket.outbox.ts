import { Types } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { TicketRecord } from './ticket.mapper';

/** Every kind of change a ticket goes through; each change is one event of the log. */
export const TICKET_EVENT_TYPES = [
  'TICKET_RAISED',
  'MESSAGE_ADDED',
  'TICKET_ASSIGNED',
  'TICKET_ON_HOLD',
  'TICKET_RESUMED',
  'TICKET_CLOSED',
  'TICKET_REOPENED',
  'TICKET_RATED',
] as const;
export type TicketEventKind = (typeof TICKET_EVENT_TYPES)[number];

/** Who made a change: an admin (its username, `service:<key id>` for an API key), a user (its id as text), or the system. */
export interface Actor {
  role: 'admin' | 'user' | 'system';
  name: string | null;
}

export function actorOf(viewer: Viewer): Actor {
  return viewer.role === 'admin' ? { role: 'admin', name: viewer.username } : { role: 'user', name: String(viewer.userId) };
}

/** A ticket's state as the log records it after each change (the stored fields, and the rating value). */
export type TicketState = Omit<TicketRecord, '_id' | 'accountId' | 'messageSeq' | 'userMessageSeq'> & { rating: number | null };

/** A message an event adds, stored by the messages domain when the event is moved into the log. */
export interface MessageDraft {
  _id: Types.ObjectId;
  seq: number;
  /**
   * Its place among the messages a user sees (an internal note takes none): a user's cursors count
   * these, so they show no gap where a note sits.
   */
  userSeq: number;
  sender: 'admin' | 'user';
  senderName: string;
  body: string;
  showToUser: boolean;
  createdAt: Date;
}

/** A rating an event gives, stored by the ratings domain when the event is moved into the log. */
export interface RatingDraft {
  userId: number;
  value: number;
  createdAt: Date;
}

/**
 * A change waiting in its ticket's document to be moved into the event log. It is written in the same
 * single-document write as the change itself, so neither exists without the other, whatever stops the
 * process between writes (no multi-document transaction is needed); a relay moves entries, in order,
 * into the log and applies what they add (a message, a rating) to their own collections.
 */
export interface OutboxEntry {
  _id: Types.ObjectId;
  type: TicketEventKind;
  actor: Actor;
  at: Date;
  /** The ticket as it was just before this change, read by the same atomic write; null for a raise. */
  before: TicketState | null;
  /** What this change set. */
  set: Partial<TicketState>;
  message?: MessageDraft;
  rating?: RatingDraft;
}

/** What other domains may know of a ticket: its id, its account and the user it belongs to. */
export interface TicketRef {
  id: number;
  accountId: string;
  userId: number;
}

/** A ticket's identity and its pending changes, as the relay receives them. */
export interface PendingChanges {
  ticket: TicketRef;
  entries: OutboxEntry[];
}

/**
 * Moves pending changes into the log and answers once they are there (read your writes). The events
 * domain implements it; the container wires it in.
 */
export interface OutboxRelay {
  /**
   * `logged`: the entries may be in the log already (another instance's, or a stopped relay's): those
   * are looked up and left alone, their effects not applied again.
   */
  relay(pending: PendingChanges, options?: { logged?: boolean }): Promise<void>;
}

/** The state fields as the pipeline of an update reads them from the document, before it changes them. */
export const STATE_BEFORE = {
  userId: '$userId',
  subject: '$subject',
  type: '$type',
  groupName: '$groupName',
  priority: '$priority',
  status: '$status',
  due: '$due',
  assignedTo: { $ifNull: ['$assignedTo', null] },
  closedAt: { $ifNull: ['$closedAt', null] },
  resolution: { $ifNull: ['$resolution', null] },
  rating: { $ifNull: ['$ratingValue', null] },
  createdAt: '$createdAt',
  updatedAt: '$updatedAt',
} as const;

export function newEntry(
  type: TicketEventKind,
  actor: Actor,
  at: Date,
  set: Partial<TicketState>,
  extra: Pick<OutboxEntry, 'message' | 'rating'> = {},
): Omit<OutboxEntry, 'before'> {
  return { _id: new Types.ObjectId(), type, actor, at, set, ...extra };
}

/**
 * One stage of an update pipeline that sets `fields` (stored names, literal values) and `computed`
 * (values the pipeline computes, e.g. the next message position), and appends `entries` to the outbox,
 * each with `before` read from the document in the same atomic write (and its own computed values).
 * `inLog` are entries known to be in the log already: the same write drops them from the outbox.
 */
export function outboxStage(
  fields: Record<string, unknown>,
  entries: ReadonlyArray<{ entry: Omit<OutboxEntry, 'before'>; computed?: Record<string, unknown> }>,
  computed: Record<string, unknown> = {},
  inLog: readonly Types.ObjectId[] = [],
): Record<string, unknown>[] {
  const literalFields = Object.fromEntries(Object.entries(fields).map(([name, value]) => [name, { $literal: value }]));
  const appended = entries.map(({ entry, computed: own = {} }) => ({ $mergeObjects: [{ $literal: entry }, { before: STATE_BEFORE }, own] }));
  const current = { $ifNull: ['$outbox', []] };
  const kept = inLog.length === 0 ? current : { $filter: { input: current, cond: { $not: [{ $in: ['$$this._id', { $literal: [...inLog] }] }] } } };
  return [{ $set: { ...literalFields, ...computed, outbox: { $concatArrays: [kept, appended] } } }];
}

/** The next message position, as an update pipeline computes it from the document. */
export const NEXT_MESSAGE_SEQ = { $add: ['$messageSeq', 1] };

/** The place among what a user sees of the next message: one more if the user sees it, else the same. */
export function nextUserSeq(showToUser: boolean): unknown {
  return showToUser ? { $add: [{ $ifNull: ['$userMessageSeq', 0] }, 1] } : { $ifNull: ['$userMessageSeq', 0] };
}
