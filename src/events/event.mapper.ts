import { toMessage } from '../messages/message.mapper';
import { type EventRecord } from './event.record';
import { eventIdOf } from './event.service';
import { ActorRole, TicketEvent, type TicketEventType } from './event.type';

const ROLE: Record<EventRecord['actor']['role'], ActorRole> = { admin: ActorRole.ADMIN, user: ActorRole.USER, system: ActorRole.SYSTEM };

export function toTicketEvent(record: EventRecord): TicketEvent {
  return Object.assign(new TicketEvent(), {
    id: eventIdOf(record),
    sequence: record.seq,
    type: record.type as TicketEventType,
    ticketId: String(record.ticketId),
    actor: { role: ROLE[record.actor.role], name: record.actor.name },
    createdAt: record.createdAt,
    changes: record.changes.map((change) => ({ ...change })),
    message: record.message && toMessage({ ...record.message, accountId: record.accountId, ticketId: record.ticketId }),
  });
}
