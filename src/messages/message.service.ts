import { trusted, Types } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { Clock } from '../shared/time';
import { filter, pipe } from '@graphql-yoga/subscription';
import type { EventBus, MessageAddedEvent } from '../shared/events';
import { ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { optionalText, parseTicketId, requiredText } from '../shared/input';
import { decodeCursor, encodeCursor, pageSize } from '../shared/pagination';
import { NOT_CLOSED, type TicketModels } from '../tickets/ticket.model';
import type { TicketRecord } from '../tickets/ticket.mapper';
import { canSeeMessage, ticketScope } from '../tickets/ticket.visibility';

import type { MessageModels } from './message.model';
import { type MessageRecord, toMessageEvent } from './message.mapper';
import { SenderRole } from './message.type';
import type { SendMessageInput } from './message.inputs';

export interface ConversationEntry {
  sender: 'admin' | 'user';
  senderName: string;
  body: string;
  showToUser: boolean;
}

export interface ConversationPage {
  items: MessageRecord[];
  hasNextPage: boolean;
  /** How many messages the viewer may see; a count of its own for a single conversation, so only when asked. */
  totalCount(): Promise<number>;
}

export const MESSAGE_CURSOR = 'm';

/** The conversation of a ticket: sending, listing in batches, and the entries other rules append. */
export class MessageService {
  constructor(
    private readonly models: MessageModels & TicketModels,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async send(viewer: Viewer, input: SendMessageInput): Promise<MessageRecord> {
    const ticketId = parseTicketId(input.ticketId, 'ticketId');
    const body = requiredText(input.body, 'body');
    const senderName = optionalText(input.senderName);
    let sender: 'admin' | 'user';
    if (viewer.role === 'user') {
      if (input.sender === SenderRole.ADMIN) throw new ForbiddenError('A user may only send messages as USER');
      sender = 'user';
    } else {
      sender = input.sender === SenderRole.USER ? 'user' : 'admin';
    }
    const now = this.clock();
    // Taking the next position and checking "not closed" is one atomic update, so a message can
    // never land on a ticket that was closed a moment before.
    const ticket = await this.models.Ticket.findOneAndUpdate(
      { _id: ticketId, ...ticketScope(viewer), status: NOT_CLOSED },
      { $inc: { messageSeq: 1 }, $set: { updatedAt: now } },
      { returnDocument: 'after' },
    ).lean<TicketRecord>();
    if (!ticket) {
      const existing = await this.models.Ticket.findOne({ _id: ticketId, ...ticketScope(viewer) }, { _id: 1 }).lean();
      if (!existing) throw new NotFoundError('ticket', ticketId);
      throw new ConflictError(`Ticket ${ticketId} is closed: reopen it before sending a message`);
    }
    const name = senderName ?? (sender === 'user' ? String(ticket.userId) : viewer.role === 'admin' ? viewer.username : String(viewer.userId));
    return this.append(
      ticket,
      ticket.messageSeq,
      {
        sender,
        senderName: name,
        body,
        // A user's own words are always visible to the user.
        showToUser: sender === 'user' ? true : (input.showToUser ?? true),
      },
      now,
    );
  }

  /**
   * Stores one conversation entry at `seq` (already reserved on the ticket) and publishes it.
   * Rules that append entries (raise, reopen) call this after their own state change.
   */
  async append(ticket: Pick<TicketRecord, '_id' | 'accountId' | 'userId'>, seq: number, entry: ConversationEntry, now: Date): Promise<MessageRecord> {
    const record: MessageRecord = {
      _id: new Types.ObjectId(),
      accountId: ticket.accountId,
      ticketId: ticket._id,
      seq,
      ...entry,
      createdAt: now,
    };
    await this.models.Message.create(record);
    this.events.messageAdded(toMessageEvent(record, ticket.userId));
    return record;
  }

  async remove(ticketId: number, seq: number): Promise<void> {
    await this.models.Message.deleteOne({ ticketId, seq });
  }

  /**
   * Pages of the conversations of one or more tickets (the DataLoader batch). `after` is shared by the
   * batch; the loader groups keys by (first, after).
   */
  async pages(viewer: Viewer, ticketIds: readonly number[], first: number, after: string | null | undefined): Promise<Map<number, ConversationPage>> {
    const size = pageSize(first);
    const afterSeq = decodeCursor(MESSAGE_CURSOR, after) ?? 0;
    return ticketIds.length === 1 ? this.onePage(viewer, ticketIds[0], size, afterSeq) : this.manyPages(viewer, ticketIds, size, afterSeq);
  }

  /**
   * One ticket's conversation (a ticket's details): a find of the page on the `{accountId, ticketId,
   * seq}` index, as a hand-written handler would; with the aggregate below, the database spent about
   * twice the CPU on each ticket read (docs/benchmarks.md, optimisation 4).
   */
  private async onePage(viewer: Viewer, ticketId: number, size: number, afterSeq: number): Promise<Map<number, ConversationPage>> {
    const visible: Record<string, unknown> = { accountId: viewer.accountId, ticketId };
    if (viewer.role === 'user') visible.showToUser = true;
    // Positions start at 1: without a cursor the page starts at the beginning, no condition needed.
    const items = await this.models.Message.find(afterSeq > 0 ? { ...visible, seq: trusted({ $gt: afterSeq }) } : visible)
      .sort({ seq: 1 })
      .limit(size + 1)
      .lean<MessageRecord[]>();
    let count: Promise<number> | undefined;
    const totalCount = () => (count ??= this.models.Message.countDocuments(visible).exec());
    return new Map([[ticketId, { items: items.slice(0, size), hasNextPage: items.length > size, totalCount }]]);
  }

  /** First pages of several conversations, and their counts, in one database command. */
  private async manyPages(viewer: Viewer, ticketIds: readonly number[], size: number, afterSeq: number): Promise<Map<number, ConversationPage>> {
    const match: Record<string, unknown> = { accountId: viewer.accountId, ticketId: { $in: [...ticketIds] } };
    if (viewer.role === 'user') match.showToUser = true;
    const groups = await this.models.Message.aggregate<{ _id: number; total: number; items: MessageRecord[] }>([
      { $match: match },
      { $sort: { ticketId: 1, seq: 1 } },
      { $group: { _id: '$ticketId', total: { $sum: 1 }, items: { $push: '$$ROOT' } } },
      {
        $project: {
          total: 1,
          items: { $slice: [{ $filter: { input: '$items', as: 'm', cond: { $gt: ['$$m.seq', afterSeq] } } }, size + 1] },
        },
      },
      // One batch for every conversation of the page (the default first batch holds 101 groups).
    ]).option({ batchSize: Math.max(1, ticketIds.length) });
    const result = new Map<number, ConversationPage>();
    for (const group of groups) {
      const total = Promise.resolve(group.total);
      result.set(group._id, { items: group.items.slice(0, size), hasNextPage: group.items.length > size, totalCount: () => total });
    }
    const none = Promise.resolve(0);
    for (const id of ticketIds) if (!result.has(id)) result.set(id, { items: [], hasNextPage: false, totalCount: () => none });
    return result;
  }

  /** New messages of one visible ticket (NOT_FOUND otherwise); a user gets only those shown to users. */
  async watch(viewer: Viewer, rawTicketId: string): Promise<AsyncIterable<MessageAddedEvent>> {
    const ticketId = parseTicketId(rawTicketId, 'ticketId');
    const ticket = await this.models.Ticket.findOne({ _id: ticketId, ...ticketScope(viewer) }, { _id: 1 }).lean();
    if (!ticket) throw new NotFoundError('ticket', ticketId);
    return pipe(
      this.events.messagesOf(viewer.accountId, ticketId),
      filter((event: MessageAddedEvent) => canSeeMessage(viewer, event)),
    );
  }

  cursorOf(message: Pick<MessageRecord, 'seq'>): string {
    return encodeCursor(MESSAGE_CURSOR, message.seq);
  }
}
