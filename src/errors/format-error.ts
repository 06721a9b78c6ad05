import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { ArgumentValidationError } from 'type-graphql';
import type { ValidationError } from 'class-validator';
import { MongoNetworkError } from 'mongodb';
import mongoose from 'mongoose';
import { AppError, ServiceUnavailableError } from './app-error';
import { graphQLErrorOf, maskedError } from './error-body';
import { isErrorCode } from './error-table';
import { requestIdOf } from './request-id';

export interface ErrorLogger {
  error(obj: object, msg: string): void;
}

/** The first failing property of a class-validator tree, as a dotted path, with its first message. */
function firstViolation(errors: ValidationError[], prefix = ''): { field: string; message: string } | undefined {
  for (const error of errors) {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const message = error.constraints ? Object.values(error.constraints)[0] : undefined;
    if (message !== undefined) return { field, message };
    const nested = error.children?.length ? firstViolation(error.children, field) : undefined;
    if (nested) return nested;
  }
  return undefined;
}

const SOCKET_FAILURES: ReadonlySet<string> = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Network-level MongoDB failures: the database is down or unreachable, not a bug in the request. */
export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error)) return false;
  // A bulk write (insertMany) that failed for a driver reason wraps that error as its errorResponse.
  const wrapped = (error as { errorResponse?: unknown }).errorResponse ?? error.cause;
  if (depth < 3 && wrapped instanceof Error && isDatabaseUnavailable(wrapped, depth + 1)) return true;
  // Every socket failure is one, whatever its name: a closed or timed-out connection, and the pool
  // clears that interrupt operations in flight (PoolClearedOnNetworkError has no "Mongo" prefix).
  if (error instanceof MongoNetworkError) return true;
  // The driver lets some socket errors through as they are (EPIPE: a write on a socket MongoDB just
  // closed). Resolvers talk to no other server, so a socket failure under them is the database's.
  if (SOCKET_FAILURES.has(String((error as NodeJS.ErrnoException).code))) return true;
  const names = ['MongoServerSelectionError', 'MongoNotConnectedError', 'MongoTopologyClosedError', 'MongooseServerSelectionError'];
  if (names.includes(error.name)) return true;
  if (error instanceof mongoose.Error && /buffering timed out|Client must be connected|before initial connection is complete/.test(error.message)) return true;
  return /Topology is closed|connection .* closed|ECONNREFUSED|ECONNRESET/.test(error.message) && error.name.startsWith('Mongo');
}

/**
 * Turns any error raised while executing an operation into what a client may see: AppErrors with
 * their code and details, validation failures as BAD_USER_INPUT naming the field, database outages as
 * SERVICE_UNAVAILABLE; anything else is masked, and logged with the request id.
 */
export function toClientError(
  formatted: GraphQLFormattedError,
  original: unknown,
  logger: ErrorLogger,
  requestId: string = requestIdOf(original) ?? 'unknown',
): GraphQLFormattedError {
  const base = { message: formatted.message, locations: formatted.locations, path: formatted.path };
  if (original instanceof AppError) return { ...base, ...graphQLErrorOf(original) };
  if (original instanceof ArgumentValidationError) {
    const violation = firstViolation(original.extensions.validationErrors as unknown as ValidationError[]);
    return {
      ...base,
      message: violation ? violation.message : 'Invalid input',
      extensions: { code: 'BAD_USER_INPUT', field: violation?.field },
    };
  }
  if (isDatabaseUnavailable(original)) {
    logger.error({ requestId, err: original }, 'database unavailable');
    return { ...base, ...graphQLErrorOf(new ServiceUnavailableError()) };
  }
  const code = formatted.extensions?.code;
  // Raised before any field ran (parse, validation, variable coercion, credentials): no path.
  const isRequestError = original === undefined || (original instanceof GraphQLError && original.path === undefined);
  if (isErrorCode(code) && code !== 'INTERNAL_SERVER_ERROR' && isRequestError) {
    // What the refusal says stays (the field, the limit and its maximum); the HTTP status does not.
    const { http: _http, stacktrace: _stacktrace, ...details } = formatted.extensions ?? {};
    return { ...base, extensions: { ...details, code } };
  }
  if (original instanceof GraphQLError && original.originalError === undefined && code === undefined && original.path === undefined) {
    // graphql-js validation or coercion errors raised outside Apollo (the WebSocket path).
    return { ...base, extensions: { code: 'BAD_USER_INPUT' } };
  }
  logger.error({ requestId, err: original }, 'unexpected error while executing an operation');
  return maskedError(requestId, formatted);
}
