import { encodeEventCursor } from '../shared/event-cursor';
import type { MessageAddedEvent } from '../shared/events';
import type { MessageDraft } from '../tickets/ticket.outbox';
import { Message, SenderRole } from './message.type';

/** A message as stored: what its MESSAGE_ADDED event added, on its ticket of its account. */
export interface MessageRecord extends MessageDraft {
  accountId: string;
  ticketId: number;
}

export function toMessage(record: MessageRecord): Message {
  return Object.assign(new Message(), {
    id: record._id.toHexString(),
    ticketId: String(record.ticketId),
    sender: record.sender === 'admin' ? SenderRole.ADMIN : SenderRole.USER,
    senderName: record.senderName,
    body: record.body,
    showToUser: record.showToUser,
    createdAt: record.createdAt,
  });
}

export function toMessageEvent(record: MessageRecord, ticketUserId: number): MessageAddedEvent {
  return {
    accountId: record.accountId,
    ticketId: record.ticketId,
    ticketUserId,
    id: record._id.toHexString(),
    seq: record.seq,
    sender: record.sender,
    senderName: record.senderName,
    body: record.body,
    showToUser: record.showToUser,
    createdAt: record.createdAt.toISOString(),
  };
}

export function messageFromEvent(event: MessageAddedEvent): Message {
  return Object.assign(new Message(), {
    knownEventCursor: event.eventSeq === undefined ? undefined : encodeEventCursor(event.accountId, event.eventSeq),
    id: event.id,
    ticketId: String(event.ticketId),
    sender: event.sender === 'admin' ? SenderRole.ADMIN : SenderRole.USER,
    senderName: event.senderName,
    body: event.body,
    showToUser: event.showToUser,
    createdAt: new Date(event.createdAt),
  });
}
