import { trusted, type Types } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { Config } from '../config';
import { BadUserInputError, ForbiddenError } from '../errors';
import { decodeEventCursor, encodeEventCursor } from '../shared/event-cursor';
import { pageSize, type Page } from '../shared/pagination';
import type { TicketEventKind } from '../tickets/ticket.outbox';
import type { EventModels } from './event.model';
import type { EventRecord } from './event.record';
import type { EventRelay } from './event.relay';

/** An event's id and cursor (shared/event-cursor.ts). */
export function eventIdOf(event: Pick<EventRecord, 'accountId' | 'seq'>): string {
  return encodeEventCursor(event.accountId, event.seq);
}

/** The events a viewer may see: of its account; for a user, of its own tickets, never an internal note. */
function eventScope(viewer: Viewer): Record<string, unknown> {
  return viewer.role === 'admin' ? { accountId: viewer.accountId } : { accountId: viewer.accountId, ticketUserId: viewer.userId, userVisible: true };
}

const REPLAY_PAGE = 200;

/** Reading the event log: the account's feed (admins), a ticket's history, the cursors of tickets and messages. */
export class EventService {
  constructor(
    private readonly models: EventModels,
    private readonly relay: Pick<EventRelay, 'head'>,
    private readonly config: Pick<Config, 'eventRetentionDays'>,
  ) {}

  /**
   * The position a cursor stands for. Malformed, of another account, older than the retention or beyond
   * the newest event: BAD_USER_INPUT naming `field`.
   */
  async positionOf(viewer: Viewer, cursor: string | null | undefined, field = 'after'): Promise<number> {
    if (cursor === null || cursor === undefined) return 0;
    const decoded = decodeEventCursor(cursor);
    if (!decoded) throw new BadUserInputError(field, `${field} is not an event cursor`);
    if (decoded.accountId !== viewer.accountId) throw new BadUserInputError(field, `${field} is an event cursor of another account`);
    const { seq } = decoded;
    if (seq > (await this.relay.head(viewer.accountId))) throw new BadUserInputError(field, `${field} is beyond the newest event`);
    const oldest = await this.models.Event.findOne({ accountId: viewer.accountId }, { seq: 1, createdAt: 1 }).sort({ seq: 1 }).lean<Pick<EventRecord, 'seq' | 'createdAt'>>();
    if (!oldest || seq < oldest.seq - 1) {
      throw new BadUserInputError(field, `${field} is older than the event log keeps (${this.config.eventRetentionDays} days): read the current state instead`);
    }
    return seq;
  }

  /** The account's events after a cursor, oldest first (admins). */
  async list(viewer: Viewer, after: string | null | undefined, first: number | null | undefined, types: readonly TicketEventKind[] | null | undefined): Promise<Page<EventRecord>> {
    if (viewer.role !== 'admin') throw new ForbiddenError('Only an admin may read the event log');
    if (types && types.length === 0) throw new BadUserInputError('types', 'types must name at least one event type (omit it for every type)');
    const filter: Record<string, unknown> = { accountId: viewer.accountId };
    if (types) filter.type = trusted({ $in: [...types] });
    return this.page(filter, await this.positionOf(viewer, after), pageSize(first, 100));
  }

  /** A ticket's history, oldest first, as the viewer may see it. */
  async history(viewer: Viewer, ticketId: number, first: number | null | undefined, after: string | null | undefined): Promise<Page<EventRecord>> {
    return this.page({ ...eventScope(viewer), ticketId }, await this.positionOf(viewer, after), pageSize(first));
  }

  /** The cursor of the last event of each ticket that the viewer may see. */
  async lastCursors(viewer: Viewer, ticketIds: readonly number[]): Promise<Map<number, string>> {
    const rows = await this.models.Event.aggregate<{ _id: number; seq: number }>([
      { $match: { ...eventScope(viewer), ticketId: { $in: [...ticketIds] } } },
      { $group: { _id: '$ticketId', seq: { $max: '$seq' } } },
    ]);
    return new Map(rows.map((row) => [row._id, eventIdOf({ accountId: viewer.accountId, seq: row.seq })]));
  }

  /** The cursor of the MESSAGE_ADDED event of each message. */
  async messageCursors(viewer: Viewer, messageIds: readonly Types.ObjectId[]): Promise<Map<string, string>> {
    const rows = await this.models.Event.find(
      { accountId: viewer.accountId, type: 'MESSAGE_ADDED', 'message._id': trusted({ $in: [...messageIds] }) },
      { seq: 1, 'message._id': 1 },
    ).lean<Array<{ seq: number; message: { _id: Types.ObjectId } }>>();
    return new Map(rows.map((row) => [row.message._id.toHexString(), eventIdOf({ accountId: viewer.accountId, seq: row.seq })]));
  }

  /**
   * A live feed made resumable: with `after`, first every event the viewer may see since that cursor
   * (of one ticket, or of all it may see; its messages, or every other kind of event), read from the
   * log, then the live events, those the replay already gave left out. The live feed starts
   * listening before the log is read, so nothing committed meanwhile falls between the two.
   */
  async resumable<T extends { eventSeq?: number }>(
    viewer: Viewer,
    after: string | null | undefined,
    scope: { ticketId?: number; messages: boolean },
    live: AsyncIterable<T>,
    fromLog: (event: EventRecord) => T,
  ): Promise<AsyncIterable<T>> {
    if (after === null || after === undefined) return live;
    const position = await this.positionOf(viewer, after);
    const filter: Record<string, unknown> = { ...eventScope(viewer), type: scope.messages ? 'MESSAGE_ADDED' : trusted({ $ne: 'MESSAGE_ADDED' }) };
    if (scope.ticketId !== undefined) filter.ticketId = scope.ticketId;
    const iterator = live[Symbol.asyncIterator]();
    const first = iterator.next();
    first.catch(() => undefined); // seen where it is awaited; not unhandled if the replay fails first
    // Let the live feed register its listener before the log is read.
    await new Promise((resolve) => setImmediate(resolve));
    const read = (afterSeq: number) =>
      this.models.Event.find({ ...filter, seq: trusted({ $gt: afterSeq }) })
        .sort({ seq: 1 })
        .limit(REPLAY_PAGE)
        .lean<EventRecord[]>();
    return (async function* () {
      let last = position;
      try {
        for (let page = await read(last); page.length > 0; page = page.length < REPLAY_PAGE ? [] : await read(last)) {
          for (const event of page) {
            yield fromLog(event);
            last = event.seq;
          }
        }
        for (let next = await first; !next.done; next = await iterator.next()) {
          if (next.value.eventSeq !== undefined && next.value.eventSeq <= last) continue;
          yield next.value;
        }
      } finally {
        await iterator.return?.();
      }
    })();
  }

  private async page(filter: Record<string, unknown>, afterSeq: number, size: number): Promise<Page<EventRecord>> {
    const query = afterSeq > 0 ? { ...filter, seq: trusted({ $gt: afterSeq }) } : filter;
    const rows =
      size === 0
        ? []
        : await this.models.Event.find(query)
            .sort({ seq: 1 })
            .limit(size + 1)
            .lean<EventRecord[]>();
    return {
      items: rows.slice(0, size),
      hasNextPage: rows.length > size,
      cursorOf: eventIdOf,
      totalCount: () => this.models.Event.countDocuments(filter).exec(),
    };
  }
}
