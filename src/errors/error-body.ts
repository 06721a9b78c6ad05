import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { AppError } from './app-error';
import { httpStatusOf } from './error-table';

/**
 * The two shapes an error is answered in. Every place that answers an error builds it with these:
 * GraphQL (`{errors: [...]}`, over HTTP and WebSocket) here, the legacy envelope in `legacy/envelope.ts`.
 */

/** An AppError as one entry of a GraphQL `errors` list: its message, its code and its details. */
export function graphQLErrorOf(error: AppError): GraphQLFormattedError {
  return { message: error.message, extensions: { code: error.code, ...error.details } };
}

/** The body of a GraphQL-over-HTTP answer made of one error (answered before or outside Apollo). */
export function graphQLErrorBody(error: AppError): { errors: GraphQLFormattedError[] } {
  return { errors: [graphQLErrorOf(error)] };
}

/** An AppError raised where Apollo or graphql-ws expects a GraphQLError; Apollo answers it with the table's HTTP status. */
export function toGraphQLError(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: { code: error.code, ...error.details, http: { status: httpStatusOf(error.code) } } });
}

/** What a client sees of an error we do not explain: nothing but the request id to report. */
export function maskedError(requestId: string, at: Pick<GraphQLFormattedError, 'locations' | 'path'> = {}): GraphQLFormattedError {
  return { message: `Internal error (request ${requestId})`, locations: at.locations, path: at.path, extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } };
}
