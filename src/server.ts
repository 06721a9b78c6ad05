import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type Redis from 'ioredis';
import { WebSocketServer } from 'ws';
import type { Config } from './config';
import type { Container } from './container';
import type { Database } from './db/database';
import { type AppContext, createContext } from './context';
import { AppError, httpStatusOf, toClientError } from './errors';
import type { Credentials } from './auth/auth.service';
import type { Viewer } from './auth/viewer';
import type { Logger } from './shared/logger';
import { newRequestId, tagRequestId } from './shared/request-id';
import { checkQueryLimits, documentShapeGuard } from './limits/query-limits';
import { withoutSuggestions } from './limits/disclosure';
import { isCrossSite, openModeGuard, openModeRefusal } from './auth/origin';
import { createRateLimiter } from './limits/rate-limit';
import { idempotencyPlugin } from './idempotency/idempotency.plugin';
import { parseIdempotencyKey } from './idempotency/idempotency.service';
import { attachGraphQLWebSocket } from './websocket';
import { createLegacyRouter } from './legacy';

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

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Credentials an HTTP request carries; the legacy API also accepts `?api_key=`. */
function httpCredentials(req: Request): Credentials {
  const credentials: Credentials = { authorization: header(req, 'authorization'), apiKey: header(req, 'x-api-key') };
  if (req.baseUrl.toLowerCase() === '/api/v1' && credentials.apiKey === undefined) {
    const key = new URL(req.originalUrl, 'http://x').searchParams.get('api_key');
    if (key !== null) credentials.apiKey = key;
  }
  return credentials;
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

/** A client error as the GraphQL-over-HTTP surface answers it, with the table's status. */
function sendGraphQLError(res: Response, error: AppError): void {
  res.status(httpStatusOf(error.code)).json({ errors: [{ message: error.message, extensions: { code: error.code, ...error.details } }] });
}

/**
 * Requests Node's HTTP parser refuses before express runs (a request line or headers over 16 KB, a
 * malformed request) still get a JSON answer, in the legacy envelope on /api/v1.
 */
function answerClientError(error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex): void {
  if (!socket.writable || !error.code?.startsWith('HPE_')) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const message = tooLarge ? 'The request line and headers must be under 16 KiB: send large values in the body' : 'The request is not valid HTTP';
  const legacy = /^[A-Z]+ \/api\/v1\//i.test(error.rawPacket?.subarray(0, 64).toString('latin1') ?? '');
  const body = JSON.stringify(legacy ? { status: 'error', errorCode: status, message } : { errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/**
 * Builds the express app, Apollo, the legacy shim and graphql-ws on one HTTP server; the caller listens.
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
  httpServer.on('clientError', answerClientError);
  let draining = false;

  // Credentials are resolved once per request: the rate limiter and the context share the result.
  const viewers = new WeakMap<Request, Promise<Viewer | null>>();
  const viewerOf = (req: Request): Promise<Viewer | null> => {
    let viewer = viewers.get(req);
    if (!viewer) {
      viewer = container.auth.resolve(httpCredentials(req));
      viewers.set(req, viewer);
    }
    return viewer;
  };
  const contextFor = async (req: Request): Promise<AppContext> => {
    const viewer = await viewerOf(req);
    const idempotencyKey = parseIdempotencyKey(header(req, 'idempotency-key'));
    return createContext(viewer, container, String(req.res?.locals.requestId ?? newRequestId()), idempotencyKey);
  };
  const limiter = createRateLimiter({ config, viewerOf, redis });

  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = header(req, 'x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : newRequestId();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    // The access log line; nothing to time or listen for when info lines are not written.
    if (logger.isLevelEnabled('info')) {
      const started = process.hrtime.bigint();
      res.on('finish', () => {
        logger.info({ requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
      });
    }
    next();
  });

  app.get('/healthz', async (_req, res) => {
    const up = await database.isUp();
    res.status(up ? 200 : 503).json(up ? { status: 'ok' } : { status: 'error', reason: 'MongoDB is not reachable' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const up = (await database.isUp()) && isInitialised();
    res.status(up ? 200 : 503).json({ status: up ? 'ready' : 'unavailable' });
  });

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
      {
        async serverWillStart() {
          return { drainServer: () => websocket.close() };
        },
      },
      {
        async requestDidStart() {
          return {
            // Depth and cost are checked once the operation is known, before anything executes.
            async didResolveOperation({ document, request }) {
              const error = checkQueryLimits(schema, document, request.variables, request.operationName, config);
              if (error) throw error;
            },
            // formatError is given no context: the errors carry their request's id to it.
            async didEncounterErrors({ errors, contextValue }) {
              for (const error of errors) tagRequestId(error, contextValue.requestId);
            },
          };
        },
      },
      idempotencyPlugin(container.idempotency),
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  // In open mode every caller is an admin: a page of another site may not act through a browser.
  const openGuards = config.openMode ? [openModeGuard(config)] : [];
  const legacyGuards = [...openGuards, limiter.middleware];
  app.use('/api/v1', createLegacyRouter({ apollo, config, logger, contextFor: (req) => contextFor(req), guards: legacyGuards }));

  app.use(
    '/graphql',
    ...openGuards,
    cors(config.corsOrigins.length ? { origin: [...config.corsOrigins] } : { origin: false }),
    limiter.middleware,
    express.json({ limit: '1mb' }),
    (req: Request, res: Response, next: NextFunction) => {
      if (Array.isArray(req.body) && req.body.length > 10) {
        res.status(400).json({ errors: [{ message: 'A batch may hold at most 10 operations', extensions: { code: 'BAD_USER_INPUT' } }] });
        return;
      }
      next();
    },
    documentShapeGuard(config.maxQueryTokens),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        contextFor(req).catch((error: unknown) => {
          // Bad credentials or a malformed Idempotency-Key: answered with the table's HTTP status.
          if (error instanceof AppError) {
            throw new GraphQLError(error.message, { extensions: { code: error.code, ...error.details, http: { status: httpStatusOf(error.code) } } });
          }
          tagRequestId(error, String(req.res?.locals.requestId));
          throw error;
        }),
    }),
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ errors: [{ message: 'Not found: the API is at /graphql', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (error instanceof AppError) {
      sendGraphQLError(res, error);
      return;
    }
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 500) {
      const requestId = String(res.locals.requestId);
      logger.error({ requestId, err: error }, 'unhandled error');
      res.status(500).json({ errors: [{ message: `Internal error (request ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      return;
    }
    const tooLarge = status === 413;
    sendGraphQLError(
      res,
      new AppError(tooLarge ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT', tooLarge ? 'The request body is larger than 1 MiB' : 'The request body is not valid JSON'),
    );
  });

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
