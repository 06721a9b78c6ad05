import { trusted } from 'mongoose';
import type { Viewer } from '../auth/viewer';
import type { TicketService } from '../tickets/ticket.service';
import type { RatingDraft, TicketRef } from '../tickets/ticket.outbox';
import type { RatingModels } from './rating.model';
import type { RatingRecord } from './rating.mapper';
import type { RateTicketInput } from './rating.inputs';

/** One rating per closed ticket, by its user (or an admin for it); rating again replaces it. */
export class RatingService {
  constructor(
    private readonly models: RatingModels,
    private readonly tickets: TicketService,
  ) {}

  async rate(viewer: Viewer, input: RateTicketInput): Promise<RatingRecord> {
    const { ticket, rating } = await this.tickets.rate(viewer, input.ticketId, input.userId, input.value);
    return { _id: ticket.id, accountId: ticket.accountId, ...rating };
  }

  /** Stores the rating an event gives (idempotent): the relay calls it when it moves a TICKET_RATED into the log. */
  async materialize(ticket: TicketRef, draft: RatingDraft): Promise<void> {
    const rating: RatingRecord = { _id: ticket.id, accountId: ticket.accountId, ...draft };
    await this.models.Rating.replaceOne({ _id: ticket.id }, rating, { upsert: true });
  }

  /** Ratings of several tickets in one command (the DataLoader batch). */
  async byTickets(viewer: Viewer, ticketIds: readonly number[]): Promise<Map<number, RatingRecord>> {
    const rows = await this.models.Rating.find({ accountId: viewer.accountId, _id: trusted({ $in: [...ticketIds] }) }).lean<RatingRecord[]>();
    return new Map(rows.map((row) => [row._id, row]));
  }
}
