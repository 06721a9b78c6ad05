/**
 * An event's id, also its cursor: opaque to clients, and carrying its account, so that a cursor of
 * another account can be refused. Shared because the live payloads carry it too.
 */
export function encodeEventCursor(accountId: string, seq: number): string {
  return Buffer.from(`e:${seq}:${accountId}`).toString('base64url');
}

/** The account and sequence number a cursor names, or undefined when it is not an event cursor. */
export function decodeEventCursor(cursor: string): { accountId: string; seq: number } | undefined {
  const match = /^e:(\d{1,15}):(.*)$/s.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? { seq: Number(match[1]), accountId: match[2] } : undefined;
}
