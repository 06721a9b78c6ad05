import { type ExecutionArgs, GraphQLError, type GraphQLSchema, parse, validate, getOperationAST, type DocumentNode } from 'graphql';
import type { WebSocketServer } from 'ws';
import { CloseCode, type Context, type SubscribePayload } from 'graphql-ws';
import { type Extra as WsExtra, useServer } from 'graphql-ws/use/ws';
import type { Config } from './config';
import type { Container } from './container';
import { type AppContext, createContext } from './context';
import { AppError, toClientError, toGraphQLError, UnauthenticatedError } from './errors';
import type { Credentials } from './auth/auth.service';
import type { Viewer } from './auth/viewer';
import { checkDocumentShape, checkQueryLimits } from './limits/query-limits';
import { rateLimitKey } from './limits/rate-limit';
import { withoutSuggestions } from './limits/disclosure';
import type { Logger } from './shared/logger';

type WsConfig = Pick<
  Config,
  | 'wsInitTimeoutMs'
  | 'wsMaxSubscriptionsPerConnection'
  | 'wsMaxConnectionsPerCredential'
  | 'wsMaxBufferedBytes'
  | 'maxQueryDepth'
  | 'maxQueryCost'
  | 'maxQueryTokens'
  | 'production'
>;

/** One operation a client started, from its `subscribe` message until it has ended. */
interface LiveOperation {
  subscription: boolean;
  /** The running subscription, once its execution started. */
  result?: AsyncGenerator<unknown>;
}

type Extra = {
  viewer?: Viewer | null;
  /** The budget this connection spends (credential, or IP when anonymous). */
  budgetKey?: string;
  /**
   * Every operation of the connection that has not ended, by id. graphql-ws forgets an id as soon as
   * the client completes it, even while it is still being set up; this map holds it until it ends,
   * so an id names exactly one live operation.
   */
  operations?: Map<string, LiveOperation>;
  /** Closes the connection when its credentials expire. */
  expiryTimer?: NodeJS.Timeout;
};

export interface WebSocketDeps {
  server: WebSocketServer;
  schema: GraphQLSchema;
  config: WsConfig;
  container: Pick<Container, 'auth' | 'services' | 'clock'>;
  logger: Logger;
  /** Counts one operation against the caller's rate limit; throws RATE_LIMITED when spent. */
  consumeRateLimit(key: string): Promise<void>;
}

/** Close codes beyond graphql-ws's own (4403 forbidden, 4408 init timeout). */
export const CLOSE_TOO_MANY_CONNECTIONS = 4429;
export const CLOSE_SLOW_CONSUMER = 4413;

/** Longest a timer can wait (setTimeout fires at once beyond it). */
const MAX_TIMER_MS = 2 ** 31 - 1;

const isAsyncGenerator = (value: unknown): value is AsyncGenerator<unknown> =>
  typeof (value as AsyncGenerator | null)?.[Symbol.asyncIterator] === 'function' && typeof (value as AsyncGenerator).return === 'function';

const expired = (viewer: Viewer | null | undefined) => viewer?.expiresAt !== undefined && viewer.expiresAt <= Date.now();

function clientErrors(errors: readonly GraphQLError[], logger: Logger, production: boolean, requestId?: string) {
  return errors.map((error) => toClientError(production ? withoutSuggestions(error.toJSON()) : error.toJSON(), error.originalError ?? error, logger, requestId));
}

/**
 * graphql-ws on /graphql: authenticated once in `connection_init`, every operation checked with the
 * same limits as HTTP (tokens, depth, cost, rate), a cap on subscriptions per connection and on
 * connections per credential, and a slow consumer dropped before its buffer grows without bound.
 */
export function attachGraphQLWebSocket({ server, schema, config, container, logger, consumeRateLimit }: WebSocketDeps) {
  const connectionsPerBudget = new Map<string, number>();
  const release = (extra: Extra) => {
    if (!extra.budgetKey) return;
    const left = (connectionsPerBudget.get(extra.budgetKey) ?? 1) - 1;
    if (left <= 0) connectionsPerBudget.delete(extra.budgetKey);
    else connectionsPerBudget.set(extra.budgetKey, left);
    extra.budgetKey = undefined;
    clearTimeout(extra.expiryTimer);
    // graphql-ws ends the operations it still knows of; this ends any it no longer does.
    for (const operation of extra.operations?.values() ?? []) operation.result?.return(undefined).catch(() => undefined);
    extra.operations?.clear();
  };

  // graphql-ws waits until each event reached the kernel before it takes the next one from the
  // subscription, so the backlog of a client that stops reading would pile up unseen in the
  // subscription's queue (and past 1024 events the queue throws, an uncaught exception). Sending
  // without waiting keeps that backlog in the socket's own buffer, where onNext measures it.
  server.on('connection', (socket) => {
    const send = socket.send.bind(socket);
    socket.send = ((data: string, done?: (error?: Error) => void) => {
      send(data);
      done?.();
    }) as typeof socket.send;
    // A frame ws refuses (over 1 MiB, bad UTF-8, a protocol violation) is the client's mistake: ws has
    // already closed the connection with the right code (1009, 1007, 1002). graphql-ws would print
    // "Internal error emitted on a WebSocket socket" to stderr for it, so it is logged here instead.
    const emit = socket.emit.bind(socket);
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      const code = event === 'error' ? (args[0] as { code?: unknown } | undefined)?.code : undefined;
      if (typeof code === 'string' && code.startsWith('WS_ERR_')) {
        logger.warn({ code, reason: (args[0] as Error).message }, 'WebSocket frame refused; connection closed');
        return true;
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
  });

  /**
   * Checks one operation as HTTP does, before anything executes: the credentials are still valid, the
   * rate limit (counted first, so that refused operations count too), tokens, validation, depth, cost
   * and the cap on subscriptions. Answers the execution arguments, or the errors to send instead.
   */
  const prepare = async (ctx: Context<Record<string, unknown>, Extra & WsExtra>, payload: SubscribePayload, operation: LiveOperation): Promise<ExecutionArgs | GraphQLError[]> => {
    if (expired(ctx.extra.viewer)) {
      ctx.extra.socket.close(CloseCode.Forbidden, 'Credentials expired');
      return [toGraphQLError(new UnauthenticatedError('Credentials expired'))];
    }
    try {
      await consumeRateLimit(ctx.extra.budgetKey ?? 'ws:unknown');
    } catch (error) {
      if (error instanceof AppError) return [toGraphQLError(error)];
      throw error;
    }
    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: config.maxQueryTokens });
    } catch (error) {
      return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed')];
    }
    const shapeless = checkDocumentShape(document);
    if (shapeless) return [shapeless];
    const invalid = validate(schema, document);
    if (invalid.length) return [...invalid];
    const definition = getOperationAST(document, payload.operationName);
    if (!definition) return [new GraphQLError('The document holds no operation of that name')];
    const refused = checkQueryLimits(schema, document, payload.variables ?? undefined, payload.operationName, config);
    if (refused) return [refused];
    if (definition.operation === 'subscription') {
      // One the client completed has left ctx.subscriptions at once, and is ending.
      let live = 0;
      for (const [id, other] of ctx.extra.operations ?? []) if (other.subscription && id in ctx.subscriptions) live += 1;
      if (live >= config.wsMaxSubscriptionsPerConnection) {
        return [toGraphQLError(new AppError('BAD_USER_INPUT', `At most ${config.wsMaxSubscriptionsPerConnection} subscriptions per connection`))];
      }
      operation.subscription = true;
    }
    return {
      schema,
      document,
      variableValues: payload.variables,
      operationName: payload.operationName,
      contextValue: createContext(ctx.extra.viewer ?? null, container),
    };
  };

  const handle = useServer<Record<string, unknown>, Extra>(
    {
      schema,
      connectionInitWaitTimeout: config.wsInitTimeoutMs,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
        const credentials: Credentials = {
          authorization: text(params.authorization) ?? text(params.Authorization),
          apiKey: text(params.apiKey),
        };
        let viewer: Viewer | null;
        try {
          viewer = await container.auth.resolve(credentials);
        } catch (error) {
          if (error instanceof AppError) return false; // 4403 Forbidden
          throw error;
        }
        const key = rateLimitKey(viewer, ctx.extra.request.socket.remoteAddress);
        const open = connectionsPerBudget.get(key) ?? 0;
        if (open >= config.wsMaxConnectionsPerCredential) {
          ctx.extra.socket.close(CLOSE_TOO_MANY_CONNECTIONS, 'Too many connections for this credential');
          return false;
        }
        connectionsPerBudget.set(key, open + 1);
        ctx.extra.budgetKey = key;
        ctx.extra.viewer = viewer;
        ctx.extra.operations = new Map();
        if (viewer?.expiresAt !== undefined) {
          // A socket keeps no rights its credentials have lost: it closes when they expire.
          const { expiresAt } = viewer;
          const closeWhenExpired = () => {
            const left = expiresAt - Date.now();
            if (left > 0) ctx.extra.expiryTimer = setTimeout(closeWhenExpired, Math.min(left, MAX_TIMER_MS)).unref();
            else ctx.extra.socket.close(CloseCode.Forbidden, 'Credentials expired');
          };
          closeWhenExpired();
        }
        return true;
      },
      onClose: (ctx) => release(ctx.extra),
      onSubscribe: async (ctx, id, payload) => {
        const operations = ctx.extra.operations ?? new Map<string, LiveOperation>();
        // The protocol's answer to an id in use, also while the operation that had it is still ending.
        if (operations.has(id)) {
          ctx.extra.socket.close(CloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
          return [new GraphQLError(`Subscriber for ${id} already exists`)];
        }
        const operation: LiveOperation = { subscription: false };
        operations.set(id, operation);
        const refused = await prepare(ctx, payload, operation);
        if (Array.isArray(refused)) operations.delete(id);
        return refused;
      },
      onOperation: (ctx, id, _payload, _args, result) => {
        const operation = ctx.extra.operations?.get(id);
        if (operation && isAsyncGenerator(result)) operation.result = result;
        return undefined;
      },
      onComplete: (ctx, id) => {
        ctx.extra.operations?.delete(id);
      },
      onNext: (ctx, _id, _payload, args, result) => {
        // A client that stops reading would make the server buffer every event for it: drop it.
        if (ctx.extra.socket.bufferedAmount > config.wsMaxBufferedBytes) {
          logger.warn({ buffered: ctx.extra.socket.bufferedAmount }, 'dropping a slow WebSocket consumer');
          ctx.extra.socket.close(CLOSE_SLOW_CONSUMER, 'Too slow: events were not read');
          ctx.extra.socket.terminate();
          return undefined;
        }
        if (!result.errors?.length) return undefined;
        return { ...result, errors: clientErrors(result.errors, logger, config.production, (args.contextValue as AppContext).requestId) };
      },
      onError: (_ctx, _id, _payload, errors) => clientErrors(errors, logger, config.production),
    },
    server,
  );

  return {
    /** Closes every client with 1001 (going away) and stops accepting connections. */
    async close(): Promise<void> {
      for (const client of server.clients) client.close(1001, 'Server shutting down');
      await handle.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
