import express, { type NextFunction, type Request, type RequestHandler, type Response, Router } from 'express';
import cors from 'cors';
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { AppError, graphQLErrorBody, httpStatusOf, toGraphQLError } from '../errors';
import { tagRequestId } from '../errors/request-id';

export interface GraphQLRouteDeps {
  apollo: ApolloServer<AppContext>;
  config: Pick<Config, 'corsOrigins'>;
  rateLimit: RequestHandler;
  contextFor(req: Request): Promise<AppContext>;
}

const MAX_BATCH = 10;

/** GraphQL over HTTP: CORS for the configured origins, the rate limit, a JSON body of at most 1 MiB, batches of at most 10, Apollo. */
export function graphqlRoutes({ apollo, config, rateLimit, contextFor }: GraphQLRouteDeps): Router {
  const router = Router();
  router.use(
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
