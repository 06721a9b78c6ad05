import type { ApolloServerPlugin } from '@apollo/server';
import { tagRequestId } from './request-id';

/** formatError is given no context: this tags every error with its request's id for it. */
export function requestIdPlugin(): ApolloServerPlugin<{ requestId: string }> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) tagRequestId(error, contextValue.requestId);
        },
      };
    },
  };
}
