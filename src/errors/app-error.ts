import type { AppErrorCode } from './error-table';

/** Base of every error meant for a client: a code from the error table and a message a person can act on. */
export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    message: string,
    /** Extra `extensions` for GraphQL (e.g. the offending field). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadUserInputError extends AppError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super('BAD_USER_INPUT', message, { field });
  }
}

export class NotFoundError extends AppError {
  constructor(entity: string, id: string | number) {
    super('NOT_FOUND', `No ${entity} with the ID ${id} was found`, { entity, id: String(id) });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super('FORBIDDEN', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super('CONFLICT', message);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required: send a Bearer token or an API key') {
    super('UNAUTHENTICATED', message);
  }
}

export class RateLimitedError extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super('RATE_LIMITED', `Rate limit reached, retry in ${retryAfterSeconds} s`, { retryAfter: retryAfterSeconds });
  }
}

export class ServiceUnavailableError extends AppError {
  constructor(message = 'The database is unavailable, please retry shortly') {
    super('SERVICE_UNAVAILABLE', message);
  }
}
