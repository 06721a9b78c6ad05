import { trusted } from 'mongoose';
import type { Config } from '../config';
import type { Viewer } from '../auth/viewer';
import { BadUserInputError, ConflictError, ForbiddenError, NotFoundError } from '../errors';
import { filter, pipe } from '@graphql-yoga/subscription';
import { Types } from 'mongoose';
import type { EventBus, TicketUpdatedEvent } from '../shared/events';
import { optionalText, requiredText, TEXT_LIMITS } from '../shared/input';
import { decodeCursor, encodeCursor, type Page, pageSize } from '../shared/pagination';
import { addHours, type Clock, dayBounds } from '../shared/time';
import {
  actorOf,
  type MessageDraft,
  newEntry,
  NEXT_MESSAGE_SEQ,
  nextUserSeq,
  type OutboxEntry,
  type OutboxRelay,
  type PendingChanges,
  outboxStage,
  type RatingDraft,
  type TicketEventKind,
  type TicketRef,
  type TicketState,
} from './ticket.outbox';
import { parseTicketId } from './ticket.id';
import { NOT_CLOSED, type TicketModels } from './ticket.model';
import { priorityFromApi, type TicketRecord } from './ticket.mapper';
import type { RaiseTicketInput, ReopenTicketInput, ResolutionInput, TicketFilter } from './ticket.inputs';
import { TicketPriority, TicketView } from './ticket.type';
import { canSeeTicket, ticketScope } from './ticket.visibility';

export const TICKET_CURSOR = 't';
/** How many tickets' relayed-but-not-yet-dropped outbox entries are remembered (older ones are the sweep's). */
const IN_LOG_TICKETS = 10_000;
const COUNTER_ID = 'ticketId';

type TicketConfig = Pick<Config, 'slaHours' | 'typeGroups' | 'legacyTimezone' | 'ticketIdStart'>;
type Query = Record<string, unknown>;

/**
 * The ticket lifecycle: raising, listing with views, and every state transition. Each transition is
 * one conditional update on the ticket (the condition is the rule), so concurrent requests cannot
 * both win, and no multi-document transaction is needed.
 */
export class TicketService {
  /** Per ticket, the outbox entries this instance moved into the log: its next write drops them. */
  private readonly inLog = new Map<number, Types.ObjectId[]>();

  constructor(
    private readonly models: TicketModels,
    private readonly relay: OutboxRelay,
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

  /** Parses a ticket id given by a client (a positive integer, as text); BAD_USER_INPUT naming `field` otherwise. */
  parseId(raw: string | number, field = 'id'): number {
    return parseTicketId(raw, field);
  }

  /** The one rule of who may see a ticket, for other domains' checks (events, subscriptions). */
  canSee(viewer: Viewer, ticket: { accountId: string; userId: number }): boolean {
    return canSeeTicket(viewer, ticket);
  }

  /** The id of a ticket the viewer may see; NOT_FOUND otherwise. */
  async visibleId(viewer: Viewer, rawId: string | number, field = 'id'): Promise<number> {
    const id = parseTicketId(rawId, field);
    const ticket = await this.models.Ticket.findOne({ _id: id, ...ticketScope(viewer) }, { _id: 1 }).lean();
    if (!ticket) throw new NotFoundError('ticket', id);
    return id;
  }

  /**
   * Adds a message to an open ticket the viewer may see and answers it once its event is in the log.
   * Taking the next position, checking "not closed" and recording the event are one atomic write, so a
   * message can never land on a ticket closed a moment before.
   */
  async addMessage(
    viewer: Viewer,
    rawId: string | number,
    message: Omit<MessageDraft, '_id' | 'seq' | 'userSeq' | 'createdAt' | 'senderName'> & { senderName: string | null },
    now: Date,
    field = 'ticketId',
  ): Promise<{ ticket: TicketRef; message: MessageDraft }> {
    const id = parseTicketId(rawId, field);
    const draft: MessageDraft = { _id: new Types.ObjectId(), seq: 0, userSeq: 0, ...message, senderName: message.senderName ?? '', createdAt: now };
    const entry = newEntry('MESSAGE_ADDED', actorOf(viewer), now, {}, { message: draft });
    // The positions, and the default sender name (the ticket's user id), are the document's own.
    const userSeq = nextUserSeq(message.showToUser);
    const own = { seq: NEXT_MESSAGE_SEQ, userSeq, ...(message.senderName === null ? { senderName: { $toString: '$userId' } } : {}) };
    const ticket = await this.write(
      { _id: id, ...ticketScope(viewer), status: NOT_CLOSED },
      // An internal note changes nothing a user sees: not even when the ticket last changed.
      message.showToUser ? { updatedAt: now } : {},
      [{ entry, computed: { message: { $mergeObjects: [{ $literal: draft }, own] } } }],
      { messageSeq: NEXT_MESSAGE_SEQ, userMessageSeq: userSeq },
    );
    if (!ticket) {
      await this.visibleId(viewer, id, field); // NOT_FOUND when it is not there for this viewer
      throw new ConflictError(`Ticket ${id} is closed: reopen it before sending a message`);
    }
    return {
      ticket: refOf(ticket),
      message: { ...draft, seq: ticket.messageSeq, userSeq: ticket.userMessageSeq ?? 0, senderName: message.senderName ?? String(ticket.userId) },
    };
  }

  /**
   * Rates a closed ticket the viewer may act on for `userId` (its user, or an admin for it) and answers
   * once the rating's event is in the log: the ratings domain stores the rating itself from the event.
   */
  async rate(viewer: Viewer, rawId: string, userId: number | null | undefined, value: number): Promise<{ ticket: TicketRef; rating: RatingDraft }> {
    const current = await this.closedTicketOf(viewer, rawId, userId, 'rated');
    const rating: RatingDraft = { userId: current.userId, value, createdAt: this.clock() };
    const entry = newEntry('TICKET_RATED', actorOf(viewer), rating.createdAt, { rating: value }, { rating });
    const ticket = await this.write({ _id: current._id, accountId: current.accountId, status: 'closed' }, { ratingValue: value }, [{ entry }]);
    if (!ticket) throw new ConflictError(`Ticket ${current._id} is not closed: only a closed ticket can be rated`);
    return { ticket: refOf(ticket), rating };
  }

  /**
   * One change of a ticket: a conditional update (the condition is the rule) that records its events
   * in the ticket's outbox in the same write, then the relay moves them into the log. Null when the
   * condition does not hold (nothing written).
   */
  private async write(
    when: Query,
    fields: Record<string, unknown>,
    entries: Parameters<typeof outboxStage>[1],
    computed?: Record<string, unknown>,
  ): Promise<(TicketRecord & { outbox: OutboxEntry[] }) | null> {
    const id = when._id as number;
    const inLog = this.inLog.get(id) ?? [];
    const updated = await this.models.Ticket.findOneAndUpdate(when, outboxStage(fields, entries, computed, inLog), { returnDocument: 'after', updatePipeline: true }).lean<
      TicketRecord & { outbox: OutboxEntry[] }
    >();
    if (!updated) return null;
    if (inLog.length) this.inLog.delete(id);
    await this.moveToLog({ ticket: refOf(updated), entries: updated.outbox });
    return updated;
  }

  /** Tickets whose changes are still waiting to be moved into the log (a relay stopped midway), oldest first. */
  private async pendingChanges(olderThanMs: number, limit: number): Promise<PendingChanges[]> {
    const writtenBefore = new Date(this.clock().getTime() - olderThanMs);
    const rows = await this.models.Ticket.find({ 'outbox.0.at': trusted({ $lt: writtenBefore }) }, { accountId: 1, userId: 1, outbox: 1 })
      .limit(limit)
      .lean<Array<Pick<TicketRecord, '_id' | 'accountId' | 'userId'> & { outbox: OutboxEntry[] }>>();
    return rows.map((row) => ({ ticket: refOf(row), entries: row.outbox }));
  }

  /**
   * Moves a ticket's pending changes into the log; answers once the log holds them. Dropping them from
   * the outbox is left to the ticket's next write (which does it in the same update) or to the sweep:
   * a request pays for no write beyond its change and its events.
   */
  private async moveToLog(pending: PendingChanges): Promise<void> {
    await this.relay.relay(pending);
    this.inLog.delete(pending.ticket.id); // re-inserted last: the map's order is its age
    this.inLog.set(
      pending.ticket.id,
      pending.entries.map((entry) => entry._id),
    );
    if (this.inLog.size > IN_LOG_TICKETS) this.inLog.delete(this.inLog.keys().next().value!);
  }

  /**
   * The sweep's part (any instance's, under the lease): for tickets whose outbox still holds entries,
   * moves into the log what is not there yet (a writer stopped midway) and drops them all from the outbox.
   */
  async finishPending(olderThanMs: number, limit: number): Promise<number> {
    const pending = await this.pendingChanges(olderThanMs, limit);
    for (const changes of pending) {
      await this.relay.relay(changes, { logged: true });
      const ids = changes.entries.map((entry) => entry._id);
      await this.models.Ticket.updateOne({ _id: changes.ticket.id }, { $pull: { outbox: { _id: trusted({ $in: ids }) } } });
      this.inLog.delete(changes.ticket.id);
    }
    return pending.length;
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
      userMessageSeq: 1,
      createdAt: now,
      updatedAt: now,
    };
    // The ticket, its first message and both their events are one document write.
    const { _id: _, accountId: __, messageSeq: ___, userMessageSeq: ____, ...state } = ticket;
    const actor = actorOf(viewer);
    const outbox: OutboxEntry[] = [
      { ...newEntry('TICKET_RAISED', actor, now, { ...state, rating: null }), before: null },
      {
        ...newEntry(
          'MESSAGE_ADDED',
          actor,
          now,
          {},
          {
            message: { _id: new Types.ObjectId(), seq: 1, userSeq: 1, sender: 'user', senderName: String(userId), body: comments, showToUser: true, createdAt: now },
          },
        ),
        before: { ...state, rating: null },
      },
    ];
    await this.models.Ticket.create({ ...ticket, ratingValue: null, outbox });
    await this.moveToLog({ ticket: refOf(ticket), entries: outbox });
    return ticket;
  }

  /**
   * Applies the first transition whose condition matches, recording it as an event of `type`. When
   * none does, the ticket is either not visible (NOT_FOUND) or in a state the caller decides about via
   * `onNoMatch` (a change that would change nothing writes nothing and records no event).
   */
  private async transition(
    viewer: Viewer,
    id: number,
    type: TicketEventKind,
    steps: Array<{ when: Query; set: Partial<TicketState> }>,
    onNoMatch: (ticket: TicketRecord) => TicketRecord,
  ): Promise<TicketRecord> {
    for (const step of steps) {
      const now = this.clock();
      const set = { ...step.set, updatedAt: now };
      const updated = await this.write({ _id: id, ...ticketScope(viewer), ...step.when }, set, [{ entry: newEntry(type, actorOf(viewer), now, set) }]);
      if (updated) return updated;
    }
    const current = await this.models.Ticket.findOne({ _id: id, ...ticketScope(viewer) }).lean<TicketRecord>();
    if (!current) throw new NotFoundError('ticket', id);
    return onNoMatch(current);
  }

  /** Closing a closed ticket changes nothing and answers the ticket (clients retry). */
  async close(viewer: Viewer, rawId: string, resolutionInput: ResolutionInput | null | undefined): Promise<TicketRecord> {
    const id = parseTicketId(rawId);
    const now = this.clock();
    const set: Partial<TicketState> = { status: 'closed', closedAt: now };
    if (resolutionInput) set.resolution = this.resolutionOf(resolutionInput);
    return this.transition(viewer, id, 'TICKET_CLOSED', [{ when: { status: NOT_CLOSED }, set }], (ticket) => ticket);
  }

  async assign(viewer: Viewer, rawId: string, rawAdmin: string): Promise<TicketRecord> {
    if (viewer.role !== 'admin') throw new ForbiddenError('Only an admin may assign tickets');
    const id = parseTicketId(rawId);
    const admin = requiredText(rawAdmin, 'admin');
    if (admin.length > TEXT_LIMITS.name) throw new BadUserInputError('admin', `admin must be at most ${TEXT_LIMITS.name} characters`);
    return this.transition(
      viewer,
      id,
      'TICKET_ASSIGNED',
      [
        { when: { status: 'unassigned' }, set: { status: 'open', assignedTo: admin } },
        { when: { status: trusted({ $in: ['open', 'onhold'] }), assignedTo: trusted({ $ne: admin }) }, set: { assignedTo: admin } },
      ],
      (ticket) => {
        if (ticket.status === 'closed') throw new ConflictError(`Ticket ${id} is closed: reopen it before assigning it`);
        return ticket; // already assigned to this admin: nothing changes
      },
    );
  }

  async setOnHold(viewer: Viewer, rawId: string, onHold: boolean): Promise<TicketRecord> {
    if (viewer.role !== 'admin') throw new ForbiddenError('Only an admin may put tickets on hold');
    const id = parseTicketId(rawId);
    const steps: Array<{ when: Query; set: Partial<TicketState> }> = onHold
      ? [{ when: { status: trusted({ $in: ['unassigned', 'open'] }) }, set: { status: 'onhold' } }]
      : [
          { when: { status: 'onhold', assignedTo: trusted({ $ne: null }) }, set: { status: 'open' } },
          { when: { status: 'onhold', assignedTo: null }, set: { status: 'unassigned' } },
        ];
    return this.transition(viewer, id, onHold ? 'TICKET_ON_HOLD' : 'TICKET_RESUMED', steps, (ticket) => {
      if (ticket.status === 'closed') throw new ConflictError(`Ticket ${id} is closed: reopen it first`);
      return ticket;
    });
  }

  /** The rules shared by reopen and rate: the ticket is visible, `userId` (if given) is its user, it is closed. */
  private async closedTicketOf(viewer: Viewer, rawId: string, userId: number | null | undefined, action: string): Promise<TicketRecord> {
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
    const set: Partial<TicketState> = {
      status: ticket.assignedTo ? 'open' : 'unassigned',
      due: addHours(now, this.config.slaHours[ticket.priority]),
      closedAt: null,
      resolution: null,
      updatedAt: now,
    };
    const actor = actorOf(viewer);
    const reason: MessageDraft = {
      _id: new Types.ObjectId(),
      seq: 0,
      userSeq: 0,
      sender: 'user',
      senderName: String(ticket.userId),
      body: comments,
      showToUser: true,
      createdAt: now,
    };
    const withSeq = { message: { $mergeObjects: [{ $literal: reason }, { seq: NEXT_MESSAGE_SEQ, userSeq: nextUserSeq(true) }] } };
    // The reopen, its reason in the conversation and both their events are one document write.
    const reopened = await this.write(
      { _id: ticket._id, accountId: ticket.accountId, status: 'closed' },
      set,
      [
        { entry: newEntry('TICKET_REOPENED', actor, now, set, { message: reason }), computed: withSeq },
        { entry: newEntry('MESSAGE_ADDED', actor, now, {}, { message: reason }), computed: withSeq },
      ],
      { messageSeq: NEXT_MESSAGE_SEQ, userMessageSeq: nextUserSeq(true) },
    );
    if (!reopened) throw new ConflictError(`Ticket ${ticket._id} is not closed: only a closed ticket can be reopened`);
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

function refOf(ticket: Pick<TicketRecord, '_id' | 'accountId' | 'userId'>): TicketRef {
  return { id: ticket._id, accountId: ticket.accountId, userId: ticket.userId };
}
