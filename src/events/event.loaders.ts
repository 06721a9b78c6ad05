import DataLoader from 'dataloader';
import { Types } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { EventService } from './event.service';

/**
 * Per-request batching of the cursor fields: `Ticket.eventCursor` of a page of tickets, and
 * `Message.eventCursor` of a page of messages, one command each.
 */
export function createEventCursorLoaders(viewer: () => Viewer, events: EventService) {
  return {
    ofTickets: new DataLoader<number, string | null>(
      async (ids) => {
        const found = await events.lastCursors(viewer(), ids);
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false },
    ),
    ofMessages: new DataLoader<string, string | null>(
      async (ids) => {
        const found = await events.messageCursors(
          viewer(),
          // Message ids are ObjectIds; anything else names no message of the log.
          ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id)),
        );
        return ids.map((id) => found.get(id) ?? null);
      },
      { cache: false },
    ),
  };
}

export type EventCursorLoaders = ReturnType<typeof createEventCursorLoaders>;
