import type { Priority } from '../config';
import type { TicketUpdatedEvent } from '../shared/events';
import type { StoredStatus } from './ticket.model';
import { Ticket, TicketPriority, TicketStatus } from './ticket.type';

/** A ticket as stored (what `.lean()` returns), the storage shape services work with. */
export interface TicketRecord {
  _id: number;
  accountId: string;
  userId: number;
  subject: string;
  type: string;
  groupName: string;
  priority: Priority;
  status: StoredStatus;
  due: Date;
  assignedTo: string | null;
  closedAt: Date | null;
  resolution: { type: string; subject: string } | null;
  messageSeq: number;
  /** How many of its messages a user sees (MessageDraft.userSeq). */
  userMessageSeq?: number;
  createdAt: Date;
  updatedAt: Date;
}

const STATUS_TO_API: Record<StoredStatus, TicketStatus> = {
  unassigned: TicketStatus.UNASSIGNED,
  open: TicketStatus.OPEN,
  onhold: TicketStatus.ON_HOLD,
  closed: TicketStatus.CLOSED,
};

export const priorityToApi = (priority: Priority) => priority.toUpperCase() as TicketPriority;
export const priorityFromApi = (priority: TicketPriority) => priority.toLowerCase() as Priority;

export function toTicket(record: TicketRecord, now: Date): Ticket {
  return Object.assign(new Ticket(), {
    id: String(record._id),
    accountId: record.accountId,
    userId: record.userId,
    subject: record.subject,
    type: record.type,
    groupName: record.groupName,
    priority: priorityToApi(record.priority),
    status: STATUS_TO_API[record.status],
    due: record.due,
    overdue: record.status !== 'closed' && record.due.getTime() < now.getTime(),
    assignedTo: record.assignedTo ?? null,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    closedAt: record.closedAt ?? null,
    resolution: record.resolution ? { type: record.resolution.type, subject: record.resolution.subject } : null,
  });
}

export function toTicketEvent(record: TicketRecord): TicketUpdatedEvent {
  return {
    accountId: record.accountId,
    ticketId: record._id,
    userId: record.userId,
    subject: record.subject,
    type: record.type,
    groupName: record.groupName,
    priority: record.priority,
    status: record.status,
    due: record.due.toISOString(),
    assignedTo: record.assignedTo ?? null,
    closedAt: record.closedAt ? record.closedAt.toISOString() : null,
    resolutionType: record.resolution?.type ?? null,
    resolutionSubject: record.resolution?.subject ?? null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

export function fromTicketEvent(event: TicketUpdatedEvent): TicketRecord {
  return {
    _id: event.ticketId,
    accountId: event.accountId,
    userId: event.userId,
    subject: event.subject,
    type: event.type,
    groupName: event.groupName,
    priority: event.priority as Priority,
    status: event.status as StoredStatus,
    due: new Date(event.due),
    assignedTo: event.assignedTo,
    closedAt: event.closedAt === null ? null : new Date(event.closedAt),
    resolution: event.resolutionType !== null && event.resolutionSubject !== null ? { type: event.resolutionType, subject: event.resolutionSubject } : null,
    messageSeq: 0,
    createdAt: new Date(event.createdAt),
    updatedAt: new Date(event.updatedAt),
  };
}
