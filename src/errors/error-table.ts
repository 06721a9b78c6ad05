/**
 * The one error table. Every error a client can see has a code here (`extensions.code` in GraphQL);
 * its HTTP status and its legacy `errorCode` are read from this table and nowhere else. The last rows
 * are GraphQL's own request errors (Apollo's codes for parse, validation and the like): client
 * mistakes, so a 400 on both surfaces.
 */
export const ERROR_TABLE = {
  BAD_USER_INPUT: { http: 400, legacy: 400 },
  UNAUTHENTICATED: { http: 401, legacy: 401 },
  FORBIDDEN: { http: 403, legacy: 403 },
  NOT_FOUND: { http: 404, legacy: 404 },
  METHOD_NOT_ALLOWED: { http: 405, legacy: 405 },
  CONFLICT: { http: 409, legacy: 409 },
  PAYLOAD_TOO_LARGE: { http: 413, legacy: 413 },
  UNPROCESSABLE: { http: 422, legacy: 422 },
  RATE_LIMITED: { http: 429, legacy: 429 },
  INTERNAL_SERVER_ERROR: { http: 500, legacy: 500 },
  SERVICE_UNAVAILABLE: { http: 503, legacy: 503 },
  GRAPHQL_PARSE_FAILED: { http: 400, legacy: 400 },
  GRAPHQL_VALIDATION_FAILED: { http: 400, legacy: 400 },
  OPERATION_RESOLUTION_FAILURE: { http: 400, legacy: 400 },
  PERSISTED_QUERY_NOT_FOUND: { http: 400, legacy: 400 },
  PERSISTED_QUERY_NOT_SUPPORTED: { http: 400, legacy: 400 },
  BAD_REQUEST: { http: 400, legacy: 400 },
} as const satisfies Record<string, { http: number; legacy: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

/** The codes of GraphQL's own request errors, which only the GraphQL layer raises. */
export type GraphQLRequestErrorCode =
  'GRAPHQL_PARSE_FAILED' | 'GRAPHQL_VALIDATION_FAILED' | 'OPERATION_RESOLUTION_FAILURE' | 'PERSISTED_QUERY_NOT_FOUND' | 'PERSISTED_QUERY_NOT_SUPPORTED' | 'BAD_REQUEST';

/** The codes our own errors (AppError) carry. */
export type AppErrorCode = Exclude<ErrorCode, GraphQLRequestErrorCode>;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_TABLE, code);
}

/** The HTTP status of a code; an unknown code is an internal error. */
export function httpStatusOf(code: unknown): number {
  return isErrorCode(code) ? ERROR_TABLE[code].http : 500;
}

/** The legacy `errorCode` of a code; an unknown code is an internal error. */
export function legacyStatusOf(code: unknown): number {
  return isErrorCode(code) ? ERROR_TABLE[code].legacy : 500;
}
