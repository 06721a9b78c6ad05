import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import cors from 'cors';
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { AppError, graphQLErrorBody, httpStatusOf, toGraphQLError } from '../errors';
import { tagRequestId } from '../errors/request-id';
import { documentShapeGuard } from '../limits/query-limits';

export interface GraphQLRouteDeps {
  apollo: ApolloServer<AppContext>;
  config: Pick<Config, 'corsOrigins' | 'maxQueryTokens'>;
  /** Mounted first (the open-mode guard); a refusal passed to `next` is answered by the error handler. */
  guards: readonly RequestHandler[];
  rateLimit: RequestHandler;
  contextFor(req: Request): Promise<AppContext>;
}

const MAX_BATCH = 10;

/**
 * GraphQL over HTTP: the guards, CORS for the configured origins, the rate limit, a JSON body of at
 * most 1 MiB, batches of at most 10, documents of a shape graphql-js validates in linear time, Apollo.
 */
export function graphqlRoutes({ apollo, config, guards, rateLimit, contextFor }: GraphQLRouteDeps): Router {
  const router = Router();
  router.use(
    ...guards,
    cors(config.corsOrigins.length ? { origin: [...config.corsOrigins] } : { origin: false }),
    rateLimit,
    express.json({ limit: '1mb' }),
    (req: Request, res: Response, next: NextFunction) => {
      if (Array.isArray(req.body) && req.body.length > MAX_BATCH) {
        const error = new AppError('BAD_USER_INPUT', `A batch may hold at most ${MAX_BATCH} operations`);
        res.status(httpStatusOf(error.code)).json(graphQLErrorBody(error));
        return;
      }
      next();
    },
    documentShapeGuard(config.maxQueryTokens),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        contextFor(req).catch((error: unknown) => {
          // Bad credentials or a malformed Idempotency-Key: answered with the table's HTTP status.
          if (error instanceof AppError) throw toGraphQLError(error);
          tagRequestId(error, String(req.res?.locals.requestId));
          throw error;
        }),
    }),
  );
  return router;
}
