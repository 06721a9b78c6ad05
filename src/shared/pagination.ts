import { BadUserInputError } from '../errors';

export const MAX_PAGE_SIZE = 200;
/** The page size of every list whose `first` is omitted or null. */
export const DEFAULT_PAGE_SIZE = 50;

/** Validates `first`: 0..200 (the cap is part of the contract, so larger values are an error, not silently cut). */
export function pageSize(first: number | null | undefined, fallback = DEFAULT_PAGE_SIZE): number {
  const size = first ?? fallback;
  if (!Number.isInteger(size) || size < 0) throw new BadUserInputError('first', 'first must be a non-negative integer');
  if (size > MAX_PAGE_SIZE) throw new BadUserInputError('first', `first must be at most ${MAX_PAGE_SIZE}`);
  return size;
}

/**
 * Cursors are opaque to clients: base64url of `<kind>:<position>`. The kind stops a message cursor
 * from being replayed against the ticket list.
 */
export function encodeCursor(kind: string, position: number): string {
  return Buffer.from(`${kind}:${position}`).toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined, field = 'after'): number | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const match = /^([a-z]+):(\d{1,15})$/.exec(decoded);
  if (!match || match[1] !== kind) throw new BadUserInputError(field, `${field} is not a cursor returned by this list`);
  return Number(match[2]);
}

/** A page of items plus what the connection types need; `totalCount` runs only when a client asks. */
export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  cursorOf(item: T): string;
  totalCount(): Promise<number>;
}
