import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { toClientError } from '../errors';
import { requestIdPlugin } from '../errors/request-id.plugin';
import { withoutSuggestions } from '../limits/disclosure';
import { queryLimitsPlugin } from '../limits/query-limits.plugin';
import type { Logger } from '../shared/logger';

export interface ApolloDeps {
  schema: GraphQLSchema;
  config: Pick<Config, 'production' | 'maxQueryTokens' | 'maxQueryDepth' | 'maxQueryCost'>;
  logger: Logger;
  httpServer: Server;
  /** Plugins of other parts (idempotency, ...), run after the limits. */
  plugins: ReadonlyArray<ApolloServerPlugin<AppContext>>;
  /** Called when Apollo drains: closes the WebSocket server. */
  drain(): Promise<void>;
}

/** Apollo for GraphQL over HTTP and the legacy shim's in-process operations: one error formatter, the limits, Sandbox outside production. */
export async function startApollo({ schema, config, logger, httpServer, plugins, drain }: ApolloDeps): Promise<ApolloServer<AppContext>> {
  const apollo = new ApolloServer<AppContext>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    // No "Did you mean ...?" in validation errors: with introspection off, it would tell the schema.
    hideSchemaDetailsFromClientErrors: config.production,
    allowBatchedHttpRequests: true,
    // main() owns SIGTERM/SIGINT (readiness first, then stop); Apollo's own handlers would stop at once.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: config.maxQueryTokens },
    formatError: (formatted, error) => {
      const coded = withRequestCode(formatted, error);
      return toClientError(config.production ? withoutSuggestions(coded) : coded, unwrapResolverError(error), logger);
    },
    // Compact JSON: Apollo's default indents every response, which cost ~6% of a read's CPU.
    stringifyResult: (result) => JSON.stringify(result),
    plugins: [
      // No field sets cache hints, and computing the policy cost ~35% of a 50-ticket read (docs/benchmarks.md).
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { serverWillStart: async () => ({ drainServer: drain }) },
      queryLimitsPlugin(schema, config),
      requestIdPlugin(),
      ...plugins,
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();
  return apollo;
}

/**
 * Apollo refuses some malformed requests with a 4xx status but no code (a persisted-query hash that
 * does not match its query): they are the client's mistake (BAD_REQUEST), not internal errors.
 */
function withRequestCode(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  if (!(error instanceof GraphQLError) || error.path !== undefined || error.originalError !== undefined || error.extensions.code !== undefined) return formatted;
  const status = (error.extensions.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_REQUEST' } } : formatted;
}
