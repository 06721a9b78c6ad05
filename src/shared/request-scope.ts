import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

/**
 * The request id travels with the async call chain of one request (HTTP, one WebSocket operation,
 * one legacy call), so error masking and logs deep inside can name it without threading it through.
 */
const scope = new AsyncLocalStorage<{ requestId: string }>();

export function newRequestId(): string {
  return randomUUID();
}

export function runWithRequestId<T>(requestId: string, fn: () => T): T {
  return scope.run({ requestId }, fn);
}

export function currentRequestId(): string | undefined {
  return scope.getStore()?.requestId;
}
