import { GraphQLError, type GraphQLSchema, parse, validate, getOperationAST, type DocumentNode } from 'graphql';
import type { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Config } from './config';
import type { Container } from './container';
import { type AppContext, createContext } from './context';
import { AppError, toClientError } from './errors';
import type { Credentials } from './auth/auth.service';
import type { Viewer } from './auth/viewer';
import { checkQueryLimits } from './limits/query-limits';
import { rateLimitKey } from './limits/rate-limit';
import type { Logger } from './shared/logger';

type WsConfig = Pick<
  Config,
  'wsInitTimeoutMs' | 'wsMaxSubscriptionsPerConnection' | 'wsMaxConnectionsPerCredential' | 'wsMaxBufferedBytes' | 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryTokens'
>;

type Extra = {
  viewer?: Viewer | null;
  /** The budget this connection spends (credential, or IP when anonymous). */
  budgetKey?: string;
  subscriptions?: Set<string>;
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

function clientErrors(errors: readonly GraphQLError[], logger: Logger, requestId?: string) {
  return errors.map((error) => toClientError(error.toJSON(), error.originalError ?? error, logger, requestId));
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
        ctx.extra.subscriptions = new Set();
        return true;
      },
      onClose: (ctx) => release(ctx.extra),
      onSubscribe: async (ctx, id, payload) => {
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: config.maxQueryTokens });
        } catch (error) {
          return [error instanceof GraphQLError ? error : new GraphQLError('The query could not be parsed')];
        }
        const invalid = validate(schema, document);
        if (invalid.length) return invalid;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('The document holds no operation of that name')];
        const refused = checkQueryLimits(schema, document, payload.variables ?? undefined, payload.operationName, config);
        if (refused) return [refused];
        try {
          await consumeRateLimit(ctx.extra.budgetKey ?? 'ws:unknown');
        } catch (error) {
          if (error instanceof AppError) return [new GraphQLError(error.message, { originalError: error })];
          throw error;
        }
        const subscriptions = ctx.extra.subscriptions ?? new Set<string>();
        if (operation.operation === 'subscription') {
          // One the client completed leaves ctx.subscriptions at once; onComplete only runs later.
          for (const active of subscriptions) if (!(active in ctx.subscriptions)) subscriptions.delete(active);
          if (subscriptions.size >= config.wsMaxSubscriptionsPerConnection) {
            return [new GraphQLError(`At most ${config.wsMaxSubscriptionsPerConnection} subscriptions per connection`, { extensions: { code: 'BAD_USER_INPUT' } })];
          }
          subscriptions.add(id);
        }
        return {
          schema,
          document,
          variableValues: payload.variables,
          operationName: payload.operationName,
          contextValue: createContext(ctx.extra.viewer ?? null, container),
        };
      },
      onComplete: (ctx, id) => {
        ctx.extra.subscriptions?.delete(id);
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
        return { ...result, errors: clientErrors(result.errors, logger, (args.contextValue as AppContext).requestId) };
      },
      onError: (_ctx, _id, _payload, errors) => clientErrors(errors, logger),
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
