import { trusted } from 'mongoose';
import { filter, pipe } from '@graphql-yoga/subscription';
import type { Viewer } from '../auth/viewer';
import type { Clock } from '../shared/time';
import type { EventBus, MessageAddedEvent } from '../shared/events';
import { ForbiddenError } from '../errors';
import { optionalText, requiredText } from '../shared/input';
import { decodeCursor, encodeCursor, pageSize } from '../shared/pagination';
import type { TicketService } from '../tickets/ticket.service';
import type { MessageModels } from './message.model';
import type { MessageRecord } from './message.mapper';
import { SenderRole } from './message.type';
import type { SendMessageInput } from './message.inputs';
import { messageScope, showsMessageTo } from './message.visibility';

export interface ConversationPage {
  items: MessageRecord[];
  hasNextPage: boolean;
  /** How many messages the viewer may see; a count of its own for a single conversation, so only when asked. */
  totalCount(): Promise<number>;
}

export const MESSAGE_CURSOR = 'm';

/**
 * What a viewer's message cursors count: an admin, every message (`seq`); a user, the messages it sees
 * (`userSeq`), so that its cursors say nothing of the internal notes between them.
 */
function positionField(viewer: Viewer): 'seq' | 'userSeq' {
  return viewer.role === 'admin' ? 'seq' : 'userSeq';
}

/** The conversation of a ticket: sending, listing in batches, following live. */
export class MessageService {
  constructor(
    private readonly models: MessageModels,
    private readonly tickets: TicketService,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async send(viewer: Viewer, input: SendMessageInput): Promise<MessageRecord> {
    const ticketId = this.tickets.parseId(input.ticketId, 'ticketId');
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
    // A USER message an admin writes is signed, by default, with the ticket's user id: the ticket
    // write fills it in (null here).
    const name = senderName ?? (sender === 'user' ? (viewer.role === 'user' ? String(viewer.userId) : null) : viewer.role === 'admin' ? viewer.username : String(viewer.userId));
    const { ticket, message } = await this.tickets.addMessage(
      viewer,
      ticketId,
      {
        sender,
        senderName: name,
        body,
        // A user's own words are always visible to the user.
        showToUser: sender === 'user' ? true : (input.showToUser ?? true),
      },
      now,
    );
    return { ...message, accountId: ticket.accountId, ticketId: ticket.id };
  }

  /**
   * Pages of the conversations of one or more tickets (the DataLoader batch). `after` is shared by the
   * batch; the loader groups keys by (first, after).
   */
  async pages(viewer: Viewer, ticketIds: readonly number[], first: number, after: string | null | undefined): Promise<Map<number, ConversationPage>> {
    const size = pageSize(first);
    const position = decodeCursor(MESSAGE_CURSOR, after) ?? 0;
    return ticketIds.length === 1 ? this.onePage(viewer, ticketIds[0], size, position) : this.manyPages(viewer, ticketIds, size, position);
  }

  /**
   * One ticket's conversation (a ticket's details): a find of the page on the `{accountId, ticketId,
   * seq}` index, as a hand-written handler would; with the aggregate below, the database spent about
   * twice the CPU on each ticket read (docs/benchmarks.md, optimisation 4).
   */
  private async onePage(viewer: Viewer, ticketId: number, size: number, position: number): Promise<Map<number, ConversationPage>> {
    const visible = { ...messageScope(viewer), ticketId };
    // Positions start at 1: without a cursor the page starts at the beginning, no condition needed.
    const items = await this.models.Message.find(position > 0 ? { ...visible, [positionField(viewer)]: trusted({ $gt: position }) } : visible)
      .sort({ seq: 1 })
      .limit(size + 1)
      .lean<MessageRecord[]>();
    let count: Promise<number> | undefined;
    const totalCount = () => (count ??= this.models.Message.countDocuments(visible).exec());
    return new Map([[ticketId, { items: items.slice(0, size), hasNextPage: items.length > size, totalCount }]]);
  }

  /** First pages of several conversations, and their counts, in one database command. */
  private async manyPages(viewer: Viewer, ticketIds: readonly number[], size: number, position: number): Promise<Map<number, ConversationPage>> {
    const match = { ...messageScope(viewer), ticketId: { $in: [...ticketIds] } };
    const groups = await this.models.Message.aggregate<{ _id: number; total: number; items: MessageRecord[] }>([
      { $match: match },
      { $sort: { ticketId: 1, seq: 1 } },
      { $group: { _id: '$ticketId', total: { $sum: 1 }, items: { $push: '$$ROOT' } } },
      {
        $project: {
          total: 1,
          items: { $slice: [{ $filter: { input: '$items', as: 'm', cond: { $gt: [`$$m.${positionField(viewer)}`, position] } } }, size + 1] },
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
    const ticketId = await this.tickets.visibleId(viewer, rawTicketId, 'ticketId');
    return pipe(
      this.events.messagesOf(viewer.accountId, ticketId),
      filter((event: MessageAddedEvent) => this.tickets.canSee(viewer, { accountId: event.accountId, userId: event.ticketUserId }) && showsMessageTo(viewer, event)),
    );
  }

  /** A message's cursor, as the viewer counts messages (a user's show no gap where an internal note sits). */
  cursorOf(viewer: Viewer, message: Pick<MessageRecord, 'seq' | 'userSeq'>): string {
    return encodeCursor(MESSAGE_CURSOR, positionField(viewer) === 'userSeq' ? message.userSeq : message.seq);
  }
}
