import { Schema, type Connection } from 'mongoose';

const ratingSchema = new Schema(
  {
    /** The ticket id: one rating per ticket, rating again replaces it. */
    _id: { type: Number, required: true },
    accountId: { type: String, required: true },
    userId: { type: Number, required: true },
    value: { type: Number, required: true, min: 1, max: 5 },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false, collection: 'ratings', strict: 'throw' },
);

ratingSchema.index({ accountId: 1, _id: 1 });

export function ratingModels(connection: Connection) {
  return { Rating: connection.model('Rating', ratingSchema) };
}
export type RatingModels = ReturnType<typeof ratingModels>;
