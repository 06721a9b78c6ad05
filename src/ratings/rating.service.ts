import { trusted } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { Clock } from '../shared/time';
import type { TicketService } from '../tickets/ticket.service';
import type { RatingModels } from './rating.model';
import type { RatingRecord } from './rating.mapper';
import type { RateTicketInput } from './rating.inputs';

/** One rating per closed ticket, by its user (or an admin for it); rating again replaces it. */
export class RatingService {
  constructor(
    private readonly models: RatingModels,
    private readonly tickets: TicketService,
    private readonly clock: Clock,
  ) {}

  async rate(viewer: Viewer, input: RateTicketInput): Promise<RatingRecord> {
    return this.tickets.withClosedTicket(viewer, input.ticketId, input.userId, 'rated', async (ticket) => {
      const rating: RatingRecord = {
        _id: ticket.id,
        accountId: ticket.accountId,
        userId: ticket.userId,
        value: input.value,
        createdAt: this.clock(),
      };
      await this.models.Rating.replaceOne({ _id: ticket.id }, rating, { upsert: true });
      return rating;
    });
  }

  /** Ratings of several tickets in one command (the DataLoader batch). */
  async byTickets(viewer: Viewer, ticketIds: readonly number[]): Promise<Map<number, RatingRecord>> {
    const rows = await this.models.Rating.find({ accountId: viewer.accountId, _id: trusted({ $in: [...ticketIds] }) }).lean<RatingRecord[]>();
    return new Map(rows.map((row) => [row._id, row]));
  }
}
