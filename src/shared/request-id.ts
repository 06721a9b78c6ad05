import { randomUUID } from 'node:crypto';

/**
 * Every HTTP request, WebSocket operation and legacy call has an id: sent back in `X-Request-Id`,
 * written in logs, and named by masked errors. It travels explicitly (`res.locals`, the GraphQL
 * context, errors tagged below), not in an AsyncLocalStorage: on Node 20 an active
 * AsyncLocalStorage turns on a promise hook for every promise of the process, which cost ~0.5 ms of
 * a GraphQL read here (docs/benchmarks.md).
 */
export function newRequestId(): string {
  return randomUUID();
}

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
