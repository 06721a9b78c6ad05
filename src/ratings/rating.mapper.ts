import { Rating } from './rating.type';

/** A rating as stored; `_id` is the ticket id. */
export interface RatingRecord {
  _id: number;
  accountId: string;
  userId: number;
  value: number;
  createdAt: Date;
}

export function toRating(record: RatingRecord): Rating {
  return Object.assign(new Rating(), {
    ticketId: String(record._id),
    userId: record.userId,
    value: record.value,
    createdAt: record.createdAt,
  });
}
