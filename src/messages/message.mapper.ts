import type { Types } from 'mongoose';
import type { MessageAddedEvent } from '../shared/events';
import { Message, SenderRole } from './message.type';

/** A message as stored. */
export interface MessageRecord {
  _id: Types.ObjectId;
  accountId: string;
  ticketId: number;
  seq: number;
  sender: 'admin' | 'user';
  senderName: string;
  body: string;
  showToUser: boolean;
  createdAt: Date;
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
    id: event.id,
    ticketId: String(event.ticketId),
    sender: event.sender === 'admin' ? SenderRole.ADMIN : SenderRole.USER,
    senderName: event.senderName,
    body: event.body,
    showToUser: event.showToUser,
    createdAt: new Date(event.createdAt),
  });
}
