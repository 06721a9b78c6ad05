import { Schema, type Connection } from 'mongoose';

const eventSchema = new Schema(
  {
    /** The outbox entry's id: moving an entry into the log twice stores it once. */
    _id: { type: Schema.Types.ObjectId, required: true },
    accountId: { type: String, required: true },
    /** 1, 2, 3... per account, gap-free, in the order the events entered the log. */
    seq: { type: Number, required: true },
    ticketId: { type: Number, required: true },
    ticketUserId: { type: Number, required: true },
    type: { type: String, required: true },
    actor: { type: Schema.Types.Mixed, required: true },
    createdAt: { type: Date, required: true },
    /** What changed, each value as the GraphQL API shows it, as text. */
    changes: { type: [Schema.Types.Mixed], required: true },
    /** The message a MESSAGE_ADDED adds (and the reason of a TICKET_REOPENED), as stored. */
    message: { type: Schema.Types.Mixed, default: null },
    /** The ticket as it was right after this event (a replayed ticketUpdated shows it). */
    ticket: { type: Schema.Types.Mixed, required: true },
    /** False for what a user may never see: a MESSAGE_ADDED of an internal note. */
    userVisible: { type: Boolean, required: true },
  },
  { versionKey: false, collection: 'events', strict: 'throw' },
);

eventSchema.index({ accountId: 1, seq: 1 }, { unique: true });
eventSchema.index({ accountId: 1, ticketId: 1, seq: 1 });
eventSchema.index({ accountId: 1, 'message._id': 1 }, { sparse: true });

export function eventModels(connection: Connection) {
  return { Event: connection.model('Event', eventSchema) };
}
export type EventModels = ReturnType<typeof eventModels>;
