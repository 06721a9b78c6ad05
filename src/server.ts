import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import express, { type Request } from 'express';
import helmet from 'helmet';
import type { ApolloServer } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type Redis from 'ioredis';
import { WebSocketServer } from 'ws';
import type { Config } from './config';
import type { Container } from './container';
import type { Database } from './db/database';
import { type AppContext, createContext } from './context';
import { headerOf, requestViewers } from './auth/request-auth';
import { isCrossSite, openModeGuard, openModeRefusal } from './auth/origin';
import type { Logger } from './shared/logger';
import { newRequestId } from './shared/request-id';
import { createRateLimiter } from './limits/rate-limit';
import { idempotencyPlugin } from './idempotency/idempotency.plugin';
import { parseIdempotencyKey } from './idempotency/idempotency.service';
import { startApollo } from './http/apollo';
import { answerParserErrors, errorHandler, notFound } from './http/errors.middleware';
import { graphqlRoutes } from './http/graphql.routes';
import { healthRoutes } from './http/health.routes';
import { requestIdMiddleware } from './http/request-id.middleware';
import { attachGraphQLWebSocket } from './websocket';
import { createLegacyApi } from './legacy';

export interface ServerDeps {
  config: Readonly<Config>;
  container: Container;
  database: Pick<Database, 'isUp'>;
  schema: GraphQLSchema;
  logger: Logger;
  /** Shares rate-limit counters between instances. */
  redis?: Redis;
  /** True once indexes and the id counter exist: until then /readyz answers 503. */
  isInitialised(): boolean;
}

export interface AppServer {
  app: express.Express;
  httpServer: Server;
  apollo: ApolloServer<AppContext>;
  /** Flips /readyz to 503 (the first step of a graceful shutdown). */
  markDraining(): void;
  /** Stops accepting connections, lets in-flight requests finish, closes WebSockets with 1001. */
  stop(): Promise<void>;
}

/**
 * Builds the express app, Apollo, the legacy API and graphql-ws on one HTTP server; the caller listens.
 */
export async function createServer({ config, container, database, schema, logger, redis, isInitialised }: ServerDeps): Promise<AppServer> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: answers are per-credential POST results nobody revalidates; hashing every body is wasted work.
  app.set('etag', false);
  // A client that sends its request slowly (or never finishes it) gives its connection up.
  const httpServer = createHttpServer(
    {
      requestTimeout: config.httpRequestTimeoutMs,
      headersTimeout: config.httpHeadersTimeoutMs,
      keepAliveTimeout: config.httpKeepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, config.httpHeadersTimeoutMs),
    },
    app,
  );
  let draining = false;

  const viewerOf = requestViewers(container.auth);
  /** The one context of a request, from its credentials (resolved once) and its Idempotency-Key. */
  const contextFor = async (req: Request): Promise<AppContext> =>
    createContext(await viewerOf(req), container, String(req.res?.locals.requestId ?? newRequestId()), parseIdempotencyKey(headerOf(req, 'idempotency-key')));
  const limiter = createRateLimiter({ config, viewerOf, redis });
  const websocket = attachGraphQLWebSocket({
    server: new WebSocketServer({
      server: httpServer,
      path: '/graphql',
      maxPayload: 1024 * 1024,
      // Cross-site WebSocket hijacking: a page of another origin may not open a socket with the browser's rights.
      verifyClient: ({ req }: { req: IncomingMessage }, done: (allowed: boolean, code?: number, message?: string) => void) => {
        const refused = isCrossSite(req, config.corsOrigins) || (config.openMode && openModeRefusal(req, config) !== undefined);
        done(!refused, 403, 'Forbidden: a page of another origin may not open a WebSocket here (CORS_ORIGINS)');
      },
    }),
    schema,
    config,
    container,
    logger,
    consumeRateLimit: limiter.consume,
  });
  const apollo = await startApollo({ schema, config, logger, httpServer, plugins: [idempotencyPlugin(container.idempotency)], drain: () => websocket.close() });
  // In open mode every caller is an admin: a page of another site may not act through a browser.
  const openModeGuards = config.openMode ? [openModeGuard(config)] : [];
  const legacy = createLegacyApi({ apollo, config, logger, contextFor, guards: [...openModeGuards, limiter.middleware] });

  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use(requestIdMiddleware(logger));
  app.use(healthRoutes({ databaseIsUp: () => database.isUp(), isInitialised, isDraining: () => draining }));
  app.use('/graphql', graphqlRoutes({ apollo, config, guards: openModeGuards, rateLimit: limiter.middleware, contextFor }));
  app.use('/api/v1', legacy.router);
  app.use(notFound);
  app.use(errorHandler(logger));
  answerParserErrors(httpServer, [legacy.parserErrorBody]);

  return {
    app,
    httpServer,
    apollo,
    markDraining() {
      draining = true;
    },
    async stop() {
      draining = true;
      await apollo.stop();
    },
  };
}
