import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { type ApolloServer, HeaderMap } from '@apollo/server';
import { print } from 'graphql';
import type { Config } from '../config';
import type { AppContext } from '../context';
import { requireServiceViewer } from '../auth/channels';
import { headerOf as header, useCredentials } from '../auth/request-auth';
import { AppError, BadUserInputError } from '../errors';
import type { Logger } from '../shared/logger';
import { newRequestId } from '../shared/request-id';
import { printable, readBodyParams, urlEncodedParams } from './body';
import { failureOfAppError, failureOfGraphQLError, internalError, legacyEnvelope, LegacyFailure, sendFailure, sendJson } from './envelope';
import { buildOpenApi } from './openapi';
import { readParams, type ParamSource } from './params';
import { type AnyRoute, type LegacyEnv, operationNameOf } from './route';
import { LEGACY_ROUTES } from './routes';

/** What the legacy API gets from the server: Apollo to run operations on, the shared context factory, the rate limit. */
export interface LegacyDeps {
  apollo: ApolloServer<AppContext>;
  config: Readonly<Config>;
  logger: Logger;
  /** The one AppContext of a request, from the credentials this router chose (throws an AppError UNAUTHENTICATED for bad ones). */
  contextFor(req: Request): Promise<AppContext>;
  /**
   * Ordinary middleware mounted first, in order (the open-mode guard, the rate limiter); a refusal
   * (an AppError passed to `next`) is answered as the legacy envelope.
   */
  guards: readonly RequestHandler[];
}

export interface LegacyApi {
  /** Mount at /api/v1. */
  router: Router;
  /** The legacy envelope for a request under /api/v1 that Node's HTTP parser refused (see `answerParserErrors`). */
  parserErrorBody(requestStart: string, status: number, error: AppError): unknown;
}

const ALLOWED_METHODS = 'GET, POST';

/** Request headers that plugins may look at on the in-process operation. */
const FORWARDED_HEADERS = ['x-request-id', 'user-agent', 'idempotency-key'] as const;

/** The path segments after /api/v1, percent-decoded; a trailing slash and empty segments are ignored. */
function segmentsOf(req: Request): { name: string; rest: Array<string | undefined> } {
  const parts = req.path.split('/').slice(1);
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new BadUserInputError('path', `The path segment "${printable(part)}" is not valid percent-encoding`);
    }
  };
  return { name: decode(parts[0] ?? ''), rest: parts.slice(1).map((part) => (part === '' ? undefined : decode(part))) };
}

function searchOf(req: Request): string {
  const at = req.originalUrl.indexOf('?');
  return at === -1 ? '' : req.originalUrl.slice(at + 1);
}

/**
 * The legacy Tickets API (/api/v1): a table of rows, each executed as a named GraphQL operation through
 * Apollo in-process with the one shared context, so every rule, limit and error is the GraphQL one.
 * Every answer is the legacy JSON envelope with HTTP status = errorCode. Mounted before any body parser:
 * bodies are read here (urlencoded, JSON, multipart fields; 1 MiB).
 */
export function createLegacyApi(deps: LegacyDeps): LegacyApi {
  const routes = new Map(LEGACY_ROUTES.map((route) => [route.name, route]));
  const operationNames = new Map(LEGACY_ROUTES.map((route) => [route, operationNameOf(route.operation)]));
  // Printed once here: given a document, executeOperation prints it on every call before looking the
  // text up in its parsed-document cache (docs/benchmarks.md, "Optimisations").
  const queries = new Map(LEGACY_ROUTES.map((route) => [route, print(route.operation)]));
  const openApi = JSON.stringify(buildOpenApi(LEGACY_ROUTES, deps.config));
  const env: LegacyEnv = { timeZone: deps.config.legacyTimezone };

  /** Runs one page of a row's operation; a GraphQL error becomes the legacy failure. */
  async function execute(route: AnyRoute, variables: Record<string, unknown>, contextValue: AppContext, req: Request, requestId: string): Promise<unknown> {
    const headers = new HeaderMap([['content-type', 'application/json']]);
    for (const name of FORWARDED_HEADERS) {
      const value = header(req, name);
      if (value !== undefined) headers.set(name, value);
    }
    const response = await deps.apollo.executeOperation<Record<string, unknown>, Record<string, unknown>>(
      {
        query: queries.get(route),
        operationName: operationNames.get(route),
        variables,
        // Plugins see an in-process POST (never the legacy body's headers, nor its credentials).
        http: { method: 'POST', headers, search: '', body: undefined },
      },
      { contextValue },
    );
    if (response.body.kind !== 'single') throw new Error('legacy operations never stream');
    const { data, errors } = response.body.singleResult;
    if (errors?.length) throw failureOfGraphQLError(errors[0], route.names, requestId);
    if (!data) throw new Error(`operation ${operationNames.get(route)} answered neither data nor errors`);
    return data;
  }

  async function handle(req: Request, res: Response, requestId: string): Promise<void> {
    const { name, rest } = segmentsOf(req);
    if (name === 'openapi.json' && rest.length === 0) {
      if (req.method !== 'GET') throw new LegacyFailure(405, `Method ${req.method} is not allowed: use GET`, { Allow: 'GET' });
      res.status(200).setHeader('Content-Type', 'application/json; charset=utf-8');
      res.end(openApi);
      return;
    }
    const route = routes.get(name);
    if (!route || rest.length > route.pathParams.length) {
      throw new LegacyFailure(404, `No endpoint at /api/v1/${printable(req.path.slice(1))}: the endpoints are listed at /api/v1/openapi.json`);
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      throw new LegacyFailure(405, `Method ${printable(req.method)} is not allowed: use GET or POST`, { Allow: ALLOWED_METHODS });
    }

    const search = searchOf(req);
    const contextValue = await deps.contextFor(req);
    requireServiceViewer(contextValue.viewer);

    // `api_key` is a credential, not a parameter.
    const query = urlEncodedParams(search, 'query', 'api_key');
    const body = await readBodyParams(req);
    const path: ParamSource = new Map(route.pathParams.flatMap((param, i) => (rest[i] === undefined ? [] : [[param, rest[i]!] as const])));
    const values = readParams(route.params, [path, body, query]);

    let variables = route.variables(values, env);
    const pages: unknown[] = [];
    for (;;) {
      const page = await execute(route, variables, contextValue, req, requestId);
      pages.push(page);
      const next = route.nextPage?.(page, variables, pages, values);
      if (next === undefined) break;
      variables = next;
    }
    sendJson(res, 200, route.project(pages, values, env));
  }

  /** Any failure of a legacy call as the legacy envelope; unknown errors masked and logged. */
  function answerError(error: unknown, req: Request, res: Response, _next: NextFunction): void {
    const requestId = String(res.locals.requestId ?? newRequestId());
    let failure: LegacyFailure;
    if (error instanceof LegacyFailure) failure = error;
    else if (error instanceof AppError && failureOfAppError(error, requestId).errorCode !== 500) failure = failureOfAppError(error, requestId);
    else {
      deps.logger.error({ requestId, err: error, path: req.path }, 'legacy request failed');
      failure = internalError(requestId);
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendFailure(res, failure);
  }

  const router = Router();
  // `?api_key=` is a legacy credential: the rate limit and the context see the same credentials.
  router.use((req: Request, _res: Response, next: NextFunction) => {
    useCredentials(req, { authorization: header(req, 'authorization'), apiKey: header(req, 'x-api-key') ?? new URLSearchParams(searchOf(req)).get('api_key') ?? undefined });
    next();
  });
  for (const guard of deps.guards) router.use(guard);
  router.use((req: Request, res: Response) => handle(req, res, String(res.locals.requestId ?? newRequestId())));
  router.use(answerError);
  return {
    router,
    parserErrorBody: (requestStart, status, error) => (/^[A-Z]+ \/api\/v1\//i.test(requestStart) ? legacyEnvelope(status, error.message) : undefined),
  };
}
