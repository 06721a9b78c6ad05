/**
 * The one error table. Every error a client can see has a code here; the GraphQL `extensions.code`,
 * the HTTP status and the legacy `errorCode` are all read from this table and nowhere else.
 */
export const ERROR_TABLE = {
  BAD_USER_INPUT: { http: 400 },
  UNAUTHENTICATED: { http: 401 },
  FORBIDDEN: { http: 403 },
  NOT_FOUND: { http: 404 },
  METHOD_NOT_ALLOWED: { http: 405 },
  CONFLICT: { http: 409 },
  PAYLOAD_TOO_LARGE: { http: 413 },
  UNPROCESSABLE: { http: 422 },
  RATE_LIMITED: { http: 429 },
  INTERNAL_SERVER_ERROR: { http: 500 },
  SERVICE_UNAVAILABLE: { http: 503 },
} as const satisfies Record<string, { http: number }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function httpStatusOf(code: string | undefined): number {
  return code !== undefined && code in ERROR_TABLE ? ERROR_TABLE[code as ErrorCode].http : 500;
}

/**
 * GraphQL's own request errors (parse, validation, variable coercion) are client mistakes;
 * they map to BAD_USER_INPUT for HTTP statuses and the legacy envelope.
 */
export const GRAPHQL_CLIENT_CODES: ReadonlySet<string> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'BAD_REQUEST',
]);
