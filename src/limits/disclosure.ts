import type { GraphQLFormattedError } from 'graphql';

const SUGGESTION = / ?Did you mean [^?]*\?/g;

/**
 * graphql-js suggests names in its validation and coercion messages ("Did you mean ticket?"): with
 * introspection off (production), that would list the schema piece by piece, so they are removed.
 */
export function withoutSuggestions<T extends GraphQLFormattedError>(error: T): T {
  const message = error.message.replace(SUGGESTION, '');
  return message === error.message ? error : { ...error, message };
}
