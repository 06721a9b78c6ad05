import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { HeaderMap } from '@apollo/server';
import { print } from 'graphql';
import type { AppContext } from '../context';
import { AppError, graphQLErrorOf, httpStatusOf } from '../errors';
import { fingerprintOf, type IdempotencyService, type Release } from './idempotency.service';

/** Errors after which a retry should execute again rather than replay. */
const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'INTERNAL_SERVER_ERROR', 'RATE_LIMITED']);

/**
 * Idempotent mutations for every path that runs through Apollo: GraphQL over HTTP and the legacy shim
 * (which executes its operations here too). A replay returns the first response and writes nothing.
 */
export function idempotencyPlugin(service: IdempotencyService): ApolloServerPlugin<AppContext> {
  return {
    async requestDidStart({ contextValue }): Promise<GraphQLRequestListener<AppContext> | void> {
      const key = contextValue.idempotencyKey;
      const viewer = contextValue.viewer;
      if (!key || !viewer) return;
      let release: Release | undefined;
      return {
        async responseForOperation({ operation, request, document }) {
          if (operation.operation !== 'mutation') return null;
          try {
            const fingerprint = fingerprintOf(print(document), request.variables ?? {});
            const claim = await service.claim(viewer.credentialId, key, fingerprint);
            if (claim.kind === 'new') {
              release = claim.release;
              return null;
            }
            const headers = new HeaderMap([['idempotent-replayed', 'true']]);
            return { http: { status: 200, headers }, body: { kind: 'single', singleResult: claim.result } };
          } catch (error) {
            if (!(error instanceof AppError)) throw error;
            return {
              http: { status: httpStatusOf(error.code), headers: new HeaderMap() },
              body: { kind: 'single', singleResult: { errors: [graphQLErrorOf(error)] } },
            };
          }
        },
        async willSendResponse({ response }) {
          if (!release) return;
          const result = response.body.kind === 'single' ? response.body.singleResult : null;
          const retryable = !result || result.errors?.some((e) => RETRYABLE.has(String(e.extensions?.code)));
          await release(retryable ? null : result).catch(() => undefined);
        },
      };
    },
  };
}
