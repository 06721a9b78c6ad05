import type { MessageModels } from './message.model';
import type { MessageRecord } from './message.mapper';
import type { MessageDraft, TicketRef } from '../tickets/ticket.outbox';

const DUPLICATE_KEY = 11000;

/** Stores the messages events add: the relay calls it when it moves a MESSAGE_ADDED into the log. */
export class ConversationStore {
  constructor(private readonly models: MessageModels) {}

  /** Idempotent: storing the same draft again (a relay that stopped midway and ran again) stores it once. */
  async materialize(ticket: TicketRef, draft: MessageDraft): Promise<void> {
    const record: MessageRecord = { ...draft, accountId: ticket.accountId, ticketId: ticket.id };
    try {
      await this.models.Message.collection.insertOne(record);
    } catch (error) {
      if ((error as { code?: number }).code !== DUPLICATE_KEY) throw error;
    }
  }
}
