import { randomUUID } from 'node:crypto';

/**
 * Every HTTP request, WebSocket operation and legacy call has an id: sent back in `X-Request-Id`,
 * written in logs, and named by masked errors. It travels explicitly (`res.locals`, the GraphQL
 * context, errors tagged by errors/request-id.ts), not in an AsyncLocalStorage: on Node 20 an active
 * AsyncLocalStorage turns on a promise hook for every promise of the process, which cost ~0.5 ms of
 * a GraphQL read here (docs/benchmarks.md).
 */
export function newRequestId(): string {
  return randomUUID();
}
