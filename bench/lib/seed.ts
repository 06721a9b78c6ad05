/**
 * Direct seeding with the mongodb driver: the same document shapes as src/tickets/ticket.model.ts,
 * src/messages/message.model.ts and src/ratings/rating.model.ts, inserted in batches. Seeding
 * 100,000 tickets through GraphQL would take minutes; this takes seconds.
 */
import { MongoClient, ObjectId, type Db } from 'mongodb';
import { BENCH_ACCOUNT } from './processes';
import type { StoredStatus } from '../../src/tickets/ticket.model';
import type { TicketRecord } from '../../src/tickets/ticket.mapper';
import type { MessageRecord } from '../../src/messages/message.mapper';

/** The storage shapes of the gateway, so the seed cannot drift from the models. */
export type Status = StoredStatus;
export type TicketDoc = TicketRecord;
export type MessageDoc = Omit<MessageRecord, '_id'> & { _id: ObjectId };

const TYPES = ['Payment', 'Login', 'Delivery', 'Refund', 'Account'] as const;
const PRIORITIES = ['low', 'medium', 'high', 'urgent'] as const;
const SLA_HOURS = { urgent: 1, high: 4, medium: 12, low: 24 } as const;
/** 30% closed, 20% unassigned, 40% open, 10% on hold. */
const STATUS_BY_DECILE: readonly Status[] = ['closed', 'closed', 'closed', 'unassigned', 'unassigned', 'open', 'open', 'open', 'open', 'onhold'];
const HOUR = 3_600_000;

export interface TicketOptions {
  /** The ticket's user; default 1 + (i mod users). */
  userId?: number;
  users?: number;
  status?: Status;
  messages?: number;
  /** Spread creation times over this many days before now (default 90). */
  days?: number;
  /** How many tickets the spread is over. */
  total?: number;
}

/** A deterministic ticket: the i-th of `total`, created `days` ago at most. */
export function ticketDoc(id: number, i: number, options: TicketOptions = {}): TicketDoc {
  const total = options.total ?? 1000;
  const status = options.status ?? STATUS_BY_DECILE[i % 10];
  const priority = PRIORITIES[i % 4];
  const type = TYPES[i % TYPES.length];
  const now = Date.now();
  const createdAt = new Date(now - Math.round(((total - i) / total) * (options.days ?? 90) * 24 * HOUR) - 60_000);
  const closedAt = status === 'closed' ? new Date(createdAt.getTime() + 2 * HOUR) : null;
  return {
    _id: id,
    accountId: BENCH_ACCOUNT,
    userId: options.userId ?? 1 + (i % (options.users ?? 50)),
    subject: `Ticket ${id}: ${type.toLowerCase()} problem`,
    type,
    groupName: type,
    priority,
    status,
    due: new Date(createdAt.getTime() + SLA_HOURS[priority] * HOUR),
    assignedTo: status === 'unassigned' ? null : `agent${i % 20}@example.com`,
    closedAt,
    resolution: status === 'closed' ? { type: 'Fixed', subject: 'Resolved by support' } : null,
    messageSeq: options.messages ?? 1 + (i % 3),
    userMessageSeq: shownCount(options.messages ?? 1 + (i % 3)),
    createdAt,
    updatedAt: closedAt ?? createdAt,
  };
}

/** Every fourth admin message (every fourth position) is an internal note. */
const shownToUser = (seq: number) => seq % 2 === 1 || seq % 4 !== 0;
const shownCount = (messages: number) => Array.from({ length: messages }, (_, k) => k + 1).filter(shownToUser).length;

/** The conversation of a ticket: its user's first message, then admin and user taking turns. */
export function messageDocs(ticket: TicketDoc): MessageDoc[] {
  const out: MessageDoc[] = [];
  let userSeq = 0;
  for (let seq = 1; seq <= ticket.messageSeq; seq++) {
    const fromUser = seq % 2 === 1;
    const showToUser = shownToUser(seq);
    if (showToUser) userSeq += 1;
    out.push({
      _id: new ObjectId(),
      accountId: ticket.accountId,
      ticketId: ticket._id,
      seq,
      userSeq,
      sender: fromUser ? 'user' : 'admin',
      senderName: fromUser ? String(ticket.userId) : `agent${ticket._id % 20}@example.com`,
      body: fromUser ? `Message ${seq} from the user: the payment page times out after I enter my card details.` : `Message ${seq} from support: we are looking into it.`,
      showToUser,
      createdAt: new Date(ticket.createdAt.getTime() + (seq - 1) * 60_000),
    });
  }
  return out;
}

export async function connect(uri: string, database: string): Promise<{ client: MongoClient; db: Db }> {
  const client = await new MongoClient(uri, { maxPoolSize: 4 }).connect();
  return { client, db: client.db(database) };
}

/** Inserts tickets, their conversations and (for every 5th closed one) a rating, in batches of 1,000. */
export async function insertTickets(db: Db, tickets: readonly TicketDoc[]): Promise<void> {
  for (let at = 0; at < tickets.length; at += 1000) {
    const batch = tickets.slice(at, at + 1000);
    await db.collection<TicketDoc>('tickets').insertMany([...batch]);
    const messages = batch.flatMap(messageDocs);
    for (let m = 0; m < messages.length; m += 1000) await db.collection<MessageDoc>('messages').insertMany(messages.slice(m, m + 1000));
    const ratings = batch
      .filter((t) => t.status === 'closed' && t._id % 5 === 0)
      .map((t) => ({ _id: t._id, accountId: t.accountId, userId: t.userId, value: 1 + (t._id % 5), createdAt: t.closedAt! }));
    if (ratings.length) await db.collection<{ _id: number }>('ratings').insertMany(ratings);
  }
  const last = tickets.reduce((max, t) => Math.max(max, t._id), 0);
  await db.collection<{ _id: string; seq: number }>('counters').updateOne({ _id: 'ticketId' }, { $max: { seq: last } }, { upsert: true });
}

/** Takes `n` ticket ids from the gateway's own counter, so they never collide with raised tickets. */
export async function reserveIds(db: Db, n: number): Promise<number[]> {
  const counter = await db
    .collection<{ _id: string; seq: number }>('counters')
    .findOneAndUpdate({ _id: 'ticketId' }, { $inc: { seq: n } }, { upsert: true, returnDocument: 'after' });
  const last = counter!.seq;
  return Array.from({ length: n }, (_, k) => last - n + 1 + k);
}

/**
 * `total` tickets of the usual mix (ids 1..total) with 20 tickets per user, their conversations
 * (1 to 3 messages) and ratings. Returns how long it took.
 */
export async function seedTickets(db: Db, total: number, options: Omit<TicketOptions, 'total'> = {}): Promise<number> {
  const started = Date.now();
  const users = options.users ?? Math.max(1, Math.round(total / 20));
  for (let at = 0; at < total; at += 10_000) {
    const chunk = Array.from({ length: Math.min(10_000, total - at) }, (_, k) => ticketDoc(at + k + 1, at + k, { ...options, users, total }));
    await insertTickets(db, chunk);
  }
  return Date.now() - started;
}
