import { trusted } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { Clock } from '../shared/time';
import type { EventBus } from '../shared/events';
import type { TicketService } from '../tickets/ticket.service';
import { toTicketEvent } from '../tickets/ticket.mapper';
import type { RatingModels } from './rating.model';
import type { RatingRecord } from './rating.mapper';
import type { RateTicketInput } from './rating.inputs';

/** One rating per closed ticket, by its user (or an admin for it); rating again replaces it. */
export class RatingService {
  constructor(
    private readonly models: RatingModels,
    private readonly tickets: TicketService,
    private readonly clock: Clock,
    private readonly events: EventBus,
  ) {}

  async rate(viewer: Viewer, input: RateTicketInput): Promise<RatingRecord> {
    const ticket = await this.tickets.closedTicketOf(viewer, input.ticketId, input.userId, 'rated');
    const rating: RatingRecord = {
      _id: ticket._id,
      accountId: ticket.accountId,
      userId: ticket.userId,
      value: input.value,
      createdAt: this.clock(),
    };
    await this.models.Rating.replaceOne({ _id: ticket._id }, rating, { upsert: true });
    this.events.ticketUpdated(toTicketEvent(ticket));
    return rating;
  }

  /** Ratings of several tickets in one command (the DataLoader batch). */
  async byTickets(viewer: Viewer, ticketIds: readonly number[]): Promise<Map<number, RatingRecord>> {
    const rows = await this.models.Rating.find({ accountId: viewer.accountId, _id: trusted({ $in: [...ticketIds] }) }).lean<RatingRecord[]>();
    return new Map(rows.map((row) => [row._id, row]));
  }
}
