import { BadUserInputError } from '../errors';

/** Trims a required text; empty after trimming counts as missing. */
export function requiredText(value: string | null | undefined, field: string): string {
  const text = value?.trim() ?? '';
  if (text === '') throw new BadUserInputError(field, `${field} is required and must not be empty`);
  return text;
}

/** Trims an optional text; empty after trimming counts as absent. */
export function optionalText(value: string | null | undefined): string | undefined {
  const text = value?.trim();
  return text ? text : undefined;
}

/** Ticket ids are positive integers, carried as GraphQL IDs ("91"). */
export function parseTicketId(raw: string | number, field = 'id'): number {
  const text = String(raw).trim();
  if (!/^[1-9]\d{0,14}$/.test(text)) throw new BadUserInputError(field, `${field} must be a positive integer ticket id`);
  return Number(text);
}
