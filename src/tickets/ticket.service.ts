import { trusted } from 'mongoose';
import type { Config } from '../config';
import type { Viewer } from '../auth/viewer';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { filter, pipe } from '@graphql-yoga/subscription';
import type { EventBus, TicketUpdatedEvent } from '../shared/events';
import { optionalText, parseTicketId, requiredText } from '../shared/input';
import { decodeCursor, encodeCursor, type Page, pageSize } from '../shared/pagination';
import { addHours, type Clock, dayBounds } from '../shared/time';
import type { MessageService } from '../messages/message.service';
import { NOT_CLOSED, type TicketModels } from './ticket.model';
import { priorityFromApi, type TicketRecord, toTicketEvent } from './ticket.mapper';
import { LIMITS, type RaiseTicketInput, type ReopenTicketInput, type ResolutionInput, type TicketFilter } from './ticket.inputs';
import { TicketPriority, TicketView } from './ticket.type';
import { canSeeTicket, ticketScope } from './ticket.visibility';

export const TICKET_CURSOR = 't';
const COUNTER_ID = 'ticketId';

type TicketConfig = Pick<Config, 'slaHours' | 'typeGroups' | 'legacyTimezone' | 'ticketIdStart'>;
type Query = Record<string, unknown>;

/**
 * The ticket lifecycle: raising, listing with views, and every state transition. Each transition is
 * one conditional update on the ticket (the condition is the rule), so concurrent requests cannot
 * both win, and no multi-document transaction is needed.
 */
export class TicketService {
  constructor(
    private readonly models: TicketModels,
    private readonly messages: MessageService,
    private readonly config: TicketConfig,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  /** Makes the id counter continue after TICKET_ID_START - 1 (a migrated deployment's last id). */
  async init(): Promise<void> {
    const floor = this.config.ticketIdStart - 1;
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.models.Counter.updateOne({ _id: COUNTER_ID }, { $max: { seq: floor } }, { upsert: true });
        return;
      } catch (error) {
        // Two instances starting at once may both try the upsert; the loser retries as an update.
        if ((error as { code?: number }).code !== 11000 || attempt > 2) throw error;
      }
    }
  }

  private async nextId(): Promise<number> {
    const counter = await this.models.Counter.findOneAndUpdate({ _id: COUNTER_ID }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).lean<{ seq: number }>();
    if (counter!.seq >= this.config.ticketIdStart) return counter!.seq;
    // The counter is below TICKET_ID_START (it was created before init ran): raise it and draw again.
    // Ids only ever come from an $inc result at or above the floor, so they stay unique.
    await this.models.Counter.updateOne({ _id: COUNTER_ID }, { $max: { seq: this.config.ticketIdStart - 1 } });
    return this.nextId();
  }

  async findVisible(viewer: Viewer, rawId: string | number): Promise<TicketRecord | null> {
    const id = parseTicketId(rawId);
    return this.models.Ticket.findOne({ _id: id, ...ticketScope(viewer) }).lean<TicketRecord>();
  }

  async getVisible(viewer: Viewer, rawId: string | number, field = 'id'): Promise<TicketRecord> {
    const id = parseTicketId(rawId, field);
    const ticket = await this.models.Ticket.findOne({ _id: id, ...ticketScope(viewer) }).lean<TicketRecord>();
    if (!ticket) throw new NotFoundError('ticket', id);
    return ticket;
  }

  async list(viewer: Viewer, filter: TicketFilter | null | undefined, first: number | null | undefined, after: string | null | undefined): Promise<Page<TicketRecord>> {
    const size = pageSize(first);
    const afterId = decodeCursor(TICKET_CURSOR, after);
    const query = this.filterQuery(viewer, filter ?? {});
    const pageQuery = afterId === undefined ? query : { ...query, _id: trusted({ $gt: afterId }) };
    // One batch for the whole page: the default first batch (101 documents) would add a getMore.
    const rows =
      size === 0
        ? []
        : await this.models.Ticket.find(pageQuery)
            .sort({ _id: 1 })
            .limit(size + 1)
            .batchSize(size + 1)
            .lean<TicketRecord[]>();
    return {
      items: rows.slice(0, size),
      hasNextPage: rows.length > size,
      cursorOf: (ticket) => encodeCursor(TICKET_CURSOR, ticket._id),
      totalCount: () => this.models.Ticket.countDocuments(query).exec(),
    };
  }

  private filterQuery(viewer: Viewer, filter: TicketFilter): Query {
    const query: Query = { ...ticketScope(viewer) };
    if (filter.userId !== undefined && filter.userId !== null) {
      if (viewer.role === 'user' && filter.userId !== viewer.userId) throw new ForbiddenError('A user may only list its own tickets');
      query.userId = filter.userId;
    }
    if (filter.view) Object.assign(query, this.viewQuery(filter.view));
    const assignedTo = optionalText(filter.assignedTo);
    if (assignedTo !== undefined) query.assignedTo = assignedTo;
    if (filter.priority) query.priority = priorityFromApi(filter.priority);
    const type = optionalText(filter.type);
    if (type !== undefined) query.type = type;
    if (filter.createdFrom || filter.createdTo) {
      if (filter.createdFrom && filter.createdTo && filter.createdFrom > filter.createdTo) {
        throw new BadUserInputError('createdTo', 'createdTo must not be before createdFrom');
      }
      query.createdAt = trusted({
        ...(filter.createdFrom ? { $gte: filter.createdFrom } : {}),
        ...(filter.createdTo ? { $lte: filter.createdTo } : {}),
      });
    }
    return query;
  }

  /** Views are evaluated now, against the clock, so OVERDUE and DUE_TODAY are never stale. */
  private viewQuery(view: TicketView): Query {
    const now = this.clock();
    switch (view) {
      case TicketView.UNRESOLVED:
        return { status: NOT_CLOSED };
      case TicketView.OVERDUE:
        return { status: NOT_CLOSED, due: trusted({ $lt: now }) };
      case TicketView.DUE_TODAY: {
        const { start, end } = dayBounds(now, this.config.legacyTimezone);
        return { status: NOT_CLOSED, due: trusted({ $gte: start, $lt: end }) };
      }
      case TicketView.OPEN:
        return { status: 'open' };
      case TicketView.ON_HOLD:
        return { status: 'onhold' };
      case TicketView.UNASSIGNED:
        return { status: 'unassigned' };
      case TicketView.CLOSED:
        return { status: 'closed' };
    }
  }

  /** For a user viewer an omitted userId is its own and another one is forbidden; an admin must name one. */
  private ownerFor(viewer: Viewer, userId: number | null | undefined): number {
    if (viewer.role === 'user') {
      if (userId !== undefined && userId !== null && userId !== viewer.userId) {
        throw new ForbiddenError('A user may only act for itself: userId must be your own');
      }
      return viewer.userId;
    }
    if (userId === undefined || userId === null) throw new BadUserInputError('userId', 'userId is required and must be a positive integer');
    return userId;
  }

  private resolutionOf(resolution: ResolutionInput | null | undefined): { type: string; subject: string } {
    if (!resolution) throw new BadUserInputError('resolution', 'resolution (type and subject) is required to close a ticket immediately');
    return { type: requiredText(resolution.type, 'resolution.type'), subject: requiredText(resolution.subject, 'resolution.subject') };
  }

  async raise(viewer: Viewer, input: RaiseTicketInput): Promise<TicketRecord> {
    const type = requiredText(input.type, 'type');
    const subject = requiredText(input.subject, 'subject');
    const comments = requiredText(input.comments, 'comments');
    const userId = this.ownerFor(viewer, input.userId);
    const resolution = input.closeImmediately ? this.resolutionOf(input.resolution) : null;
    const priority = priorityFromApi(input.priority ?? TicketPriority.MEDIUM);
    const now = this.clock();
    const id = await this.nextId();
    const ticket: TicketRecord = {
      _id: id,
      accountId: viewer.accountId,
      userId,
      subject,
      type,
      groupName: this.config.typeGroups[type] ?? type,
      priority,
      status: resolution ? 'closed' : 'unassigned',
      due: addHours(now, this.config.slaHours[priority]),
      assignedTo: null,
      closedAt: resolution ? now : null,
      resolution,
      messageSeq: 1,
      createdAt: now,
      updatedAt: now,
    };
    // The first message is written before the ticket, and removed again if the ticket cannot be:
    // every read starts from the ticket, so a ticket never exists without its first message.
    await this.messages.append(ticket, 1, { sender: 'user', senderName: String(userId), body: comments, showToUser: true }, now);
    try {
      await this.models.Ticket.create(ticket);
    } catch (error) {
      await this.messages.remove(id, 1).catch(() => undefined);
      throw error;
    }
    this.events.ticketUpdated(toTicketEvent(ticket));
    return ticket;
  }

  /**
   * Applies the first transition whose condition matches. When none does, the ticket is either not
   * visible (NOT_FOUND) or in a state the caller decides about via `onNoMatch`.
   */
  private async transition(viewer: Viewer, id: number, steps: Array<{ when: Query; set: Query }>, onNoMatch: (ticket: TicketRecord) => TicketRecord): Promise<TicketRecord> {
    for (const step of steps) {
      const updated = await this.models.Ticket.findOneAndUpdate(
        { _id: id, ...ticketScope(viewer), ...step.when },
        { $set: { ...step.set, updatedAt: this.clock() } },
        { returnDocument: 'after' },
      ).lean<TicketRecord>();
      if (updated) {
        this.events.ticketUpdated(toTicketEvent(updated));
        return updated;
      }
    }
    const current = await this.models.Ticket.findOne({ _id: id, ...ticketScope(viewer) }).lean<TicketRecord>();
    if (!current) throw new NotFoundError('ticket', id);
    return onNoMatch(current);
  }

  /** Closing a closed ticket changes nothing and answers the ticket (clients retry). */
  async close(viewer: Viewer, rawId: string, resolutionInput: ResolutionInput | null | undefined): Promise<TicketRecord> {
    const id = parseTicketId(rawId);
    const now = this.clock();
    const set: Query = { status: 'closed', closedAt: now };
    if (resolutionInput) set.resolution = this.resolutionOf(resolutionInput);
    return this.transition(viewer, id, [{ when: { status: NOT_CLOSED }, set }], (ticket) => ticket);
  }

  async assign(viewer: Viewer, rawId: string, rawAdmin: string): Promise<TicketRecord> {
    if (viewer.role !== 'admin') throw new ForbiddenError('Only an admin may assign tickets');
    const id = parseTicketId(rawId);
    const admin = requiredText(rawAdmin, 'admin');
    if (admin.length > LIMITS.name) throw new BadUserInputError('admin', `admin must be at most ${LIMITS.name} characters`);
    return this.transition(
      viewer,
      id,
      [
        { when: { status: 'unassigned' }, set: { status: 'open', assignedTo: admin } },
        { when: { status: trusted({ $in: ['open', 'onhold'] }) }, set: { assignedTo: admin } },
      ],
      () => {
        throw new ConflictError(`Ticket ${id} is closed: reopen it before assigning it`);
      },
    );
  }

  async setOnHold(viewer: Viewer, rawId: string, onHold: boolean): Promise<TicketRecord> {
    if (viewer.role !== 'admin') throw new ForbiddenError('Only an admin may put tickets on hold');
    const id = parseTicketId(rawId);
    const steps = onHold
      ? [{ when: { status: trusted({ $in: ['unassigned', 'open'] }) }, set: { status: 'onhold' } }]
      : [
          { when: { status: 'onhold', assignedTo: trusted({ $ne: null }) }, set: { status: 'open' } },
          { when: { status: 'onhold', assignedTo: null }, set: { status: 'unassigned' } },
        ];
    return this.transition(viewer, id, steps, (ticket) => {
      if (ticket.status === 'closed') throw new ConflictError(`Ticket ${id} is closed: reopen it first`);
      return ticket;
    });
  }

  /** The rules shared by reopen and rate: the ticket is visible, `userId` (if given) is its user, it is closed. */
  async closedTicketOf(viewer: Viewer, rawId: string, userId: number | null | undefined, action: string): Promise<TicketRecord> {
    const ticket = await this.getVisible(viewer, rawId, 'ticketId');
    if (viewer.role === 'user' && userId !== undefined && userId !== null && userId !== viewer.userId) {
      throw new ForbiddenError('A user may only act for itself: userId must be your own');
    }
    if (userId !== undefined && userId !== null && userId !== ticket.userId) {
      throw new ForbiddenError(`User ${userId} is not the user of ticket ${ticket._id}`);
    }
    if (ticket.status !== 'closed') throw new ConflictError(`Ticket ${ticket._id} is not closed: only a closed ticket can be ${action}`);
    return ticket;
  }

  async reopen(viewer: Viewer, input: ReopenTicketInput): Promise<TicketRecord> {
    const comments = requiredText(input.comments, 'comments');
    const ticket = await this.closedTicketOf(viewer, input.ticketId, input.userId, 'reopened');
    const now = this.clock();
    const reopened = await this.models.Ticket.findOneAndUpdate(
      { _id: ticket._id, accountId: ticket.accountId, status: 'closed' },
      {
        $set: {
          status: ticket.assignedTo ? 'open' : 'unassigned',
          due: addHours(now, this.config.slaHours[ticket.priority]),
          closedAt: null,
          resolution: null,
          updatedAt: now,
        },
        $inc: { messageSeq: 1 },
      },
      { returnDocument: 'after' },
    ).lean<TicketRecord>();
    if (!reopened) throw new ConflictError(`Ticket ${ticket._id} is not closed: only a closed ticket can be reopened`);
    try {
      await this.messages.append(reopened, reopened.messageSeq, { sender: 'user', senderName: String(ticket.userId), body: comments, showToUser: true }, now);
    } catch (error) {
      // Put the ticket back as it was, so a failed reopen leaves no trace.
      await this.models.Ticket.updateOne(
        { _id: ticket._id, status: reopened.status, updatedAt: now },
        { $set: { status: 'closed', due: ticket.due, closedAt: ticket.closedAt, resolution: ticket.resolution, updatedAt: ticket.updatedAt } },
      ).catch(() => undefined);
      throw error;
    }
    this.events.ticketUpdated(toTicketEvent(reopened));
    return reopened;
  }

  /**
   * Live changes for a subscriber: of one visible ticket (NOT_FOUND otherwise), or of every ticket the
   * viewer may see. Visibility is checked per event, with the same rule as queries.
   */
  async watch(viewer: Viewer, rawId: string | null | undefined): Promise<AsyncIterable<TicketUpdatedEvent>> {
    const id = rawId === undefined || rawId === null ? undefined : (await this.getVisible(viewer, rawId))._id;
    return pipe(
      this.events.ticketUpdates(viewer.accountId),
      filter((event: TicketUpdatedEvent) => (id === undefined || event.ticketId === id) && canSeeTicket(viewer, event)),
    );
  }
}
