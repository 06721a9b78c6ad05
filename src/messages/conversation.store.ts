import { Types } from 'mongoose';
import type { EventBus } from '../shared/events';
import type { ConversationEntry, ConversationWriter, TicketRef, WrittenEntry } from '../tickets/conversation.port';
import type { MessageModels } from './message.model';
import { type MessageRecord, toMessageEvent } from './message.mapper';

/** A stored message, announced by whoever wrote it once the change it belongs to has committed. */
export interface WrittenMessage extends WrittenEntry {
  record: MessageRecord;
}

/** Writes conversation entries; the ticket rules (raise, reopen) reach it through `ConversationWriter`. */
export class ConversationStore implements ConversationWriter {
  constructor(
    private readonly models: MessageModels,
    private readonly events: EventBus,
  ) {}

  async write(ticket: TicketRef, seq: number, entry: ConversationEntry, now: Date): Promise<WrittenMessage> {
    const record: MessageRecord = { _id: new Types.ObjectId(), accountId: ticket.accountId, ticketId: ticket.id, seq, ...entry, createdAt: now };
    await this.models.Message.create(record);
    return {
      record,
      announce: () => this.events.messageAdded(toMessageEvent(record, ticket.userId)),
      undo: async () => {
        await this.models.Message.deleteOne({ ticketId: ticket.id, seq });
      },
    };
  }
}
