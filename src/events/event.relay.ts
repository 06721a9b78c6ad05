import type { EventBus } from '../shared/events';
import type { MessageDraft, OutboxRelay, PendingChanges, RatingDraft, TicketRef } from '../tickets/ticket.outbox';
import type { EventModels } from './event.model';
import { type EventRecord, eventOf } from './event.record';

/** What events add to other domains' collections, applied when they enter the log (each idempotent). */
export interface EventEffects {
  message(ticket: TicketRef, draft: MessageDraft): Promise<void>;
  rating(ticket: TicketRef, draft: RatingDraft): Promise<void>;
}

/** A named point between two writes where a test may stop the process (FAULT_INJECTION_POINT). */
export type FaultPoint = (point: 'relay:start' | 'relay:after-effects' | 'relay:after-append') => void;

const DUPLICATE_KEY = 11000;

/**
 * Moves outbox entries into the event log, in order, and tells live subscribers. Each entry's effects
 * are applied first (idempotently), then the event is appended with the next sequence number of its
 * account: the unique `{accountId, seq}` index makes the numbers gap-free and each one committed only
 * after the one before it, and the entry's id as `_id` makes a second relay of the same entry (after
 * a stop midway, or by another instance) a no-op. Appends of one account run one at a time here.
 */
export class EventRelay implements OutboxRelay {
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly nextSeq = new Map<string, number>();

  constructor(
    private readonly models: EventModels,
    private readonly effects: EventEffects,
    private readonly bus: EventBus,
    private readonly fault: FaultPoint = () => undefined,
  ) {}

  async relay({ ticket, entries }: PendingChanges): Promise<void> {
    this.fault('relay:start');
    for (const entry of entries) {
      if (entry.message) await this.effects.message(ticket, entry.message);
      if (entry.rating) await this.effects.rating(ticket, entry.rating);
      this.fault('relay:after-effects');
      const { record, fresh } = await this.append(eventOf(ticket, entry));
      this.fault('relay:after-append');
      if (fresh) this.publish(record);
    }
  }

  /** The newest sequence number of an account (0 before its first event). */
  async head(accountId: string): Promise<number> {
    const [last] = await this.models.Event.find({ accountId }, { seq: 1 }).sort({ seq: -1 }).limit(1).lean<Array<{ seq: number }>>();
    return last?.seq ?? 0;
  }

  private append(event: Omit<EventRecord, 'seq'>): Promise<{ record: EventRecord; fresh: boolean }> {
    const account = event.accountId;
    const run = async (): Promise<{ record: EventRecord; fresh: boolean }> => {
      for (;;) {
        const seq = this.nextSeq.get(account) ?? (await this.head(account)) + 1;
        try {
          await this.models.Event.collection.insertOne({ ...event, seq });
          this.nextSeq.set(account, seq + 1);
          return { record: { ...event, seq }, fresh: true };
        } catch (error) {
          if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
          this.nextSeq.delete(account);
          // Either this entry is in the log already, or another instance took that number: look again.
          const existing = await this.models.Event.findById(event._id).lean<EventRecord>();
          if (existing) return { record: existing, fresh: false };
        }
      }
    };
    const result = (this.queues.get(account) ?? Promise.resolve()).then(run, run);
    this.queues.set(account, result.catch(() => undefined));
    return result;
  }

  private publish(event: EventRecord): void {
    if (event.type === 'MESSAGE_ADDED' && event.message) {
      const m = event.message;
      this.bus.messageAdded({
        accountId: event.accountId,
        ticketId: event.ticketId,
        ticketUserId: event.ticketUserId,
        id: m._id.toHexString(),
        seq: m.seq,
        sender: m.sender,
        senderName: m.senderName,
        body: m.body,
        showToUser: m.showToUser,
        createdAt: new Date(m.createdAt).toISOString(),
      });
    } else {
      this.bus.ticketUpdated(event.ticket);
    }
  }
}
