import { createServer as createHttpServer, type Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import cors from 'cors';
import helmet from 'helmet';
import { ApolloServer } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { GraphQLError, type GraphQLSchema } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from './config';
import type { Container } from './container';
import type { Database } from './db/database';
import { type AppContext, createContext } from './context';
import { AppError, httpStatusOf, toClientError } from './errors';
import type { Credentials } from './auth/auth.service';
import type { Viewer } from './auth/viewer';
import type { Logger } from './shared/logger';
import { newRequestId, runWithRequestId } from './shared/request-scope';
import { createLegacyRouter } from './legacy';

export interface ServerDeps {
  config: Readonly<Config>;
  container: Container;
  database: Pick<Database, 'isUp'>;
  schema: GraphQLSchema;
  logger: Logger;
}

export interface AppServer {
  app: express.Express;
  httpServer: Server;
  apollo: ApolloServer<AppContext>;
  /** Flips /readyz to 503 (the first step of a graceful shutdown). */
  markDraining(): void;
  /** Stops accepting work, lets in-flight requests finish, closes WebSockets with 1001. */
  stop(): Promise<void>;
}

function header(req: Request, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Credentials an HTTP request carries (the legacy shim adds `?api_key=`). */
export function httpCredentials(req: Request): Credentials {
  return { authorization: header(req, 'authorization'), apiKey: header(req, 'x-api-key') };
}

/** Credentials errors become a GraphQLError that Apollo answers with the table's HTTP status. */
function asHttpGraphQLError(error: unknown): never {
  if (error instanceof AppError) {
    throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: httpStatusOf(error.code) } } });
  }
  throw error;
}

/**
 * Builds the express app, Apollo, and graphql-ws on one HTTP server; the caller listens.
 */
export async function createServer({ config, container, database, schema, logger }: ServerDeps): Promise<AppServer> {
  const app = express();
  app.disable('x-powered-by');
  const httpServer = createHttpServer(app);
  let draining = false;

  app.use(helmet({ contentSecurityPolicy: false, crossOriginEmbedderPolicy: false }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    const incoming = header(req, 'x-request-id');
    const requestId = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : newRequestId();
    res.setHeader('X-Request-Id', requestId);
    res.locals.requestId = requestId;
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 },
        'request',
      );
    });
    runWithRequestId(requestId, next);
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
    const up = await database.isUp();
    res.status(up ? 200 : 503).json({ status: up ? 'ready' : 'unavailable' });
  });

  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, { viewer?: Viewer | null }>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const credentials: Credentials = {
          authorization: typeof params.authorization === 'string' ? params.authorization : typeof params.Authorization === 'string' ? params.Authorization : undefined,
          apiKey: typeof params.apiKey === 'string' ? params.apiKey : undefined,
        };
        try {
          ctx.extra.viewer = await container.auth.resolve(credentials);
          return true;
        } catch (error) {
          if (error instanceof AppError) return false;
          throw error;
        }
      },
      context: (ctx) => createContext(ctx.extra.viewer ?? null, container),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!result.errors?.length) return result;
        return {
          ...result,
          errors: result.errors.map((error) => toClientError(error.toJSON(), error.originalError ?? error, logger)),
        };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => toClientError(error.toJSON(), error.originalError ?? error, logger)),
    },
    wsServer,
  );

  const apollo = new ApolloServer<AppContext>({
    schema,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: true,
    formatError: (formatted, error) => toClientError(formatted, unwrapResolverError(error), logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              for (const client of wsServer.clients) client.close(1001, 'Server shutting down');
              await wsCleanup.dispose();
            },
          };
        },
      },
      config.production ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }),
    ],
  });
  await apollo.start();

  const contextFor = async (req: Request, credentials: Credentials): Promise<AppContext> => {
    const viewer = await container.auth.resolve(credentials);
    return createContext(viewer, container, String(req.res?.locals.requestId ?? newRequestId()));
  };

  app.use('/api/v1', createLegacyRouter({ apollo, config, logger, contextFor }));

  app.use(
    '/graphql',
    cors(config.corsOrigins.length ? { origin: [...config.corsOrigins] } : { origin: false }),
    express.json({ limit: '1mb' }),
    (req: Request, res: Response, next: NextFunction) => {
      if (Array.isArray(req.body) && req.body.length > 10) {
        res.status(400).json({ errors: [{ message: 'A batch may hold at most 10 operations', extensions: { code: 'BAD_USER_INPUT' } }] });
        return;
      }
      next();
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => contextFor(req, httpCredentials(req)).catch(asHttpGraphQLError),
    }),
  );

  app.use((_req: Request, res: Response) => {
    res.status(404).json({ errors: [{ message: 'Not found: the API is at /graphql', extensions: { code: 'NOT_FOUND' } }] });
  });
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : 500;
    if (status >= 500) {
      const requestId = String(res.locals.requestId);
      logger.error({ requestId, err: error }, 'unhandled error');
      res.status(500).json({ errors: [{ message: `Internal error (request ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
      return;
    }
    const message = status === 413 ? 'The request body is larger than 1 MiB' : 'The request body is not valid JSON';
    res.status(status).json({ errors: [{ message, extensions: { code: status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_USER_INPUT' } }] });
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
