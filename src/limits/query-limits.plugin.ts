import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import { checkQueryLimits, type QueryLimits } from './query-limits';

/** Depth, page sizes and cost, checked once the operation is known and before anything executes. */
export function queryLimitsPlugin(schema: GraphQLSchema, limits: QueryLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const error = checkQueryLimits(schema, document, request.variables, request.operationName, limits);
          if (error) throw error;
        },
      };
    },
  };
}
