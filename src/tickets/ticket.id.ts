import { BadUserInputError } from '../errors';

/** Ticket ids are positive integers, carried as GraphQL IDs ("91"). */
export function parseTicketId(raw: string | number, field = 'id'): number {
  const text = String(raw).trim();
  if (!/^[1-9]\d{0,14}$/.test(text)) throw new BadUserInputError(field, `${field} must be a positive integer ticket id`);
  return Number(text);
}
