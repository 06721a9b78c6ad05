import { trusted, type Types } from 'mongoose';
import type { EventBus } from '../shared/events';
import type { MessageDraft, OutboxEntry, OutboxRelay, PendingChanges, RatingDraft, TicketRef } from '../tickets/ticket.outbox';
import type { EventModels } from './event.model';
import { type EventRecord, eventOf, liveMessageOf, liveTicketOf } from './event.record';

/** What events add to other domains' collections, applied when they enter the log (each idempotent). */
export interface EventEffects {
  message(ticket: TicketRef, draft: MessageDraft): Promise<void>;
  rating(ticket: TicketRef, draft: RatingDraft): Promise<void>;
}

/** A named point between two writes where a test may stop the process (FAULT_INJECTION_POINT). */
export type FaultPoint = (point: 'relay:start' | 'relay:after-effects' | 'relay:after-append') => void;

type Appended = { record: EventRecord; fresh: boolean };
interface Waiting {
  events: Array<Omit<EventRecord, 'seq'>>;
  resolve(appended: Appended[]): void;
  reject(error: unknown): void;
}

const DUPLICATE_KEY = 11000;
/** Entry ids this process moved into the log lately: a ticket's next write finds them still in its outbox. */
const REMEMBERED = 10_000;

/**
 * Moves outbox entries into the event log, in order, and tells live subscribers.
 *
 * An entry's effects (the message or rating it adds) and its event are written side by side, both
 * idempotently: the entry stays in the outbox until both are, so a stop between them is finished by
 * the next relay. Events are appended with the next sequence numbers of their account: the unique
 * `{accountId, seq}` index makes the numbers gap-free, each committed only after the one before it,
 * and the entry's id as `_id` makes a second append of the same entry a no-op. The appends of one
 * account are serialised here, and those waiting are written together in one ordered insert.
 */
export class EventRelay implements OutboxRelay {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly nextSeq = new Map<string, number>();
  private readonly relayed = new Set<string>();

  constructor(
    private readonly models: EventModels,
    private readonly effects: EventEffects,
    private readonly bus: EventBus,
    private readonly fault: FaultPoint = () => undefined,
  ) {}

  async relay({ ticket, entries }: PendingChanges, options: { logged?: boolean } = {}): Promise<void> {
    this.fault('relay:start');
    let todo = entries.filter((entry) => !this.relayed.has(entry._id.toHexString()));
    if (options.logged && todo.length > 0) {
      const found = await this.models.Event.find({ _id: trusted({ $in: todo.map((entry) => entry._id) }) }, { _id: 1 }).lean<Array<{ _id: Types.ObjectId }>>();
      const logged = new Set(found.map((event) => event._id.toHexString()));
      todo = todo.filter((entry) => !logged.has(entry._id.toHexString()));
    }
    if (todo.length === 0) return;
    const effects = this.applyEffects(ticket, todo).then(() => this.fault('relay:after-effects'));
    const [appended] = await Promise.all([this.append(todo.map((entry) => eventOf(ticket, entry))), effects]);
    this.fault('relay:after-append');
    for (const { record, fresh } of appended) {
      this.remember(record._id.toHexString());
      if (fresh) this.publish(record);
    }
  }

  /** The newest sequence number of an account (0 before its first event). */
  async head(accountId: string): Promise<number> {
    const [last] = await this.models.Event.find({ accountId }, { seq: 1 }).sort({ seq: -1 }).limit(1).lean<Array<{ seq: number }>>();
    return last?.seq ?? 0;
  }

  private async applyEffects(ticket: TicketRef, entries: OutboxEntry[]): Promise<void> {
    // Messages are independent of each other; ratings replace each other, so they keep their order.
    await Promise.all(entries.flatMap((entry) => (entry.message ? [this.effects.message(ticket, entry.message)] : [])));
    for (const entry of entries) if (entry.rating) await this.effects.rating(ticket, entry.rating);
  }

  private remember(id: string): void {
    this.relayed.add(id);
    if (this.relayed.size > REMEMBERED) this.relayed.delete(this.relayed.values().next().value!);
  }

  /** Appends events (of one ticket, in order) to their account's log; answers each with its place. */
  private append(events: Array<Omit<EventRecord, 'seq'>>): Promise<Appended[]> {
    const account = events[0].accountId;
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(account);
      if (queue) {
        queue.push({ events, resolve, reject });
        return;
      }
      this.waiting.set(account, [{ events, resolve, reject }]);
      void this.drain(account);
    });
  }

  /** Writes what waits for an account, batch after batch, until nothing does. */
  private async drain(account: string): Promise<void> {
    for (;;) {
      const batch = this.waiting.get(account)!;
      if (batch.length === 0) {
        this.waiting.delete(account);
        return;
      }
      this.waiting.set(account, []);
      try {
        const appended = await this.insert(
          account,
          batch.flatMap((waiting) => waiting.events),
        );
        let at = 0;
        for (const waiting of batch) {
          waiting.resolve(appended.slice(at, at + waiting.events.length));
          at += waiting.events.length;
        }
      } catch (error) {
        for (const waiting of batch) waiting.reject(error);
      }
    }
  }

  private async insert(account: string, events: Array<Omit<EventRecord, 'seq'>>): Promise<Appended[]> {
    const first = this.nextSeq.get(account) ?? (await this.head(account)) + 1;
    const records = events.map((event, i) => ({ ...event, seq: first + i }));
    try {
      await this.models.Event.collection.insertMany(records, { ordered: true });
      this.nextSeq.set(account, first + records.length);
      return records.map((record) => ({ record, fresh: true }));
    } catch (error) {
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
      // Some are in the log already (a relay ran twice), or another instance took these numbers:
      // one at a time from here, finding out which.
      this.nextSeq.delete(account);
      const appended: Appended[] = [];
      for (const event of events) appended.push(await this.insertOne(account, event));
      return appended;
    }
  }

  private async insertOne(account: string, event: Omit<EventRecord, 'seq'>): Promise<Appended> {
    for (;;) {
      const existing = await this.models.Event.findById(event._id).lean<EventRecord>();
      if (existing) return { record: existing, fresh: false };
      const seq = this.nextSeq.get(account) ?? (await this.head(account)) + 1;
      try {
        await this.models.Event.collection.insertOne({ ...event, seq });
        this.nextSeq.set(account, seq + 1);
        return { record: { ...event, seq }, fresh: true };
      } catch (error) {
        if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
        this.nextSeq.delete(account);
      }
    }
  }

  private publish(event: EventRecord): void {
    if (event.type === 'MESSAGE_ADDED' && event.message) {
      this.bus.messageAdded(liveMessageOf(event));
    } else {
      this.bus.ticketUpdated(liveTicketOf(event));
    }
  }
}
