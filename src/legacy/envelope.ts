import type { Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';
import { type AppError, legacyStatusOf } from '../errors';

/** `{"status": "error", "errorCode": <HTTP status>, "message": "..."}` */
export interface ErrorEnvelope {
  status: 'error';
  errorCode: number;
  message: string;
}

/** The one builder of the legacy error envelope. */
export function legacyEnvelope(errorCode: number, message: string): ErrorEnvelope {
  return { status: 'error', errorCode, message };
}

/** A success body: `status` and `errorCode` first, then the endpoint's payload keys. */
export function ok<T extends Record<string, unknown>>(payload: T): { status: 'success'; errorCode: 200 } & T {
  return { status: 'success', errorCode: 200, ...payload };
}

/** The V7 / V8 order, exactly as their samples: `message` before `errorCode`. */
export function okMessageFirst(message: string): { status: 'success'; message: string; errorCode: 200 } {
  return { status: 'success', message, errorCode: 200 };
}

/** An answer that is not a 200: its status, its message, and any headers it needs (Allow, Retry-After). */
export class LegacyFailure {
  constructor(
    readonly errorCode: number,
    readonly message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  get body(): ErrorEnvelope {
    return legacyEnvelope(this.errorCode, this.message);
  }
}

export function internalError(requestId: string): LegacyFailure {
  return new LegacyFailure(500, `Internal error (request ${requestId})`);
}

/** Any AppError through the one error table. */
export function failureOfAppError(error: AppError, requestId: string): LegacyFailure {
  const status = legacyStatusOf(error.code);
  if (status === 500) return internalError(requestId);
  const retryAfter = error.details.retryAfter;
  return new LegacyFailure(status, error.message, typeof retryAfter === 'number' ? { 'Retry-After': String(Math.ceil(retryAfter)) } : {});
}

/**
 * Renames GraphQL argument and field names in a message to the legacy parameter names, so a limit
 * enforced by the GraphQL layer ("body must be at most 65535 characters") names what the legacy client
 * sent ("ticketMessage must be at most 65535 characters"). Identifiers (camelCase, dotted, several
 * words) are renamed wherever they appear; a plain word ("body", "id", "value") only as the leading
 * subject of the message, so ordinary words of the sentence stay as they are.
 */
export function renameFields(message: string, names: Readonly<Record<string, string>>): string {
  let result = message;
  const entries = Object.entries(names).sort(([a], [b]) => b.length - a.length);
  for (const [from, to] of entries) {
    const escaped = from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (/^[a-z]+$/.test(from)) {
      result = result.replace(new RegExp(`^${escaped}\\b`), to);
    } else {
      result = result.replace(new RegExp(`(?<![\\w.])${escaped}(?![\\w.])`, 'g'), to);
    }
  }
  return result;
}

/**
 * The legacy answer to a GraphQL error: the table's status for its `extensions.code` (GraphQL's own
 * request errors are client errors, 400), its message with GraphQL names turned into legacy ones, and
 * `Retry-After` for a rate limit. A 500 is masked with the request id; the GraphQL layer already logged it.
 */
export function failureOfGraphQLError(error: GraphQLFormattedError, names: Readonly<Record<string, string>>, requestId: string): LegacyFailure {
  const code = typeof error.extensions?.code === 'string' ? error.extensions.code : undefined;
  const status = legacyStatusOf(code);
  if (status === 500) return internalError(requestId);
  const retryAfter = error.extensions?.retryAfter;
  const headers: Record<string, string> = typeof retryAfter === 'number' ? { 'Retry-After': String(Math.ceil(retryAfter)) } : {};
  return new LegacyFailure(status, renameFields(error.message, names), headers);
}

/** Writes a legacy answer: compact JSON, keys in the order built, `application/json; charset=utf-8`. */
export function sendJson(res: Response, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.status(status);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

export function sendFailure(res: Response, failure: LegacyFailure): void {
  sendJson(res, failure.errorCode, failure.body, failure.headers);
}
