/**
 * Which request raised an error: formatError is given no context, so errors carry their request's id
 * to it (tagged by the request-id plugin and the HTTP context factory).
 */
const errorRequestIds = new WeakMap<object, string>();

/** Remembers which request raised `error` (and the error it wraps), for whoever formats it later. */
export function tagRequestId(error: unknown, requestId: string): void {
  if (typeof error !== 'object' || error === null) return;
  errorRequestIds.set(error, requestId);
  const original = (error as { originalError?: unknown }).originalError;
  if (typeof original === 'object' && original !== null) errorRequestIds.set(original, requestId);
}

/** The id `tagRequestId` gave this error or the error it wraps. */
export function requestIdOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const original = (error as { originalError?: unknown }).originalError;
  return errorRequestIds.get(error) ?? (typeof original === 'object' && original !== null ? errorRequestIds.get(original) : undefined);
}
