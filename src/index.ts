import 'reflect-metadata';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { type Config, ConfigError, loadConfig } from './config';
import { createContainer, type Container } from './container';
import { connectDatabase, type Database, type DatabaseOptions } from './db/database';
import { buildAppSchema } from './schema';
import { createServer, type AppServer } from './server';
import { createInProcessPubSub, type EventPubSub } from './shared/events';
import { Redis } from 'ioredis';
import { createRedisPubSub } from './shared/redis-pubsub';
import { createLogger, type Logger } from './shared/logger';
import { type Clock, systemClock } from './shared/time';

export interface StartOptions extends DatabaseOptions {
  clock?: Clock;
  logger?: Logger;
  pubSub?: EventPubSub;
}

export interface RunningApp {
  url: string;
  port: number;
  config: Readonly<Config>;
  container: Container;
  database: Database;
  server: AppServer;
  logger: Logger;
  stop(): Promise<void>;
}

/** config → database → container → server → listen. Used by `npm start`, the tests and the benchmarks. */
export async function startApp(config: Readonly<Config>, options: StartOptions = {}): Promise<RunningApp> {
  const logger = options.logger ?? createLogger(config.logLevel);
  if (config.openMode) {
    logger.warn(
      `OPEN DEVELOPMENT MODE: neither JWT_SECRET nor API_KEYS is set, so every caller is an admin of account "${config.defaultAccountId}". Never run like this in production (NODE_ENV=production refuses to start).`,
    );
  }
  const database = await connectDatabase(config, logger, options);
  // With REDIS_URL, live events cross gateway instances through Redis (docs/deployment.md).
  const redis =
    options.pubSub === undefined && config.redisUrl !== undefined ? createRedisPubSub({ url: config.redisUrl, channelPrefix: `${config.mongodbDatabase}:`, logger }) : undefined;
  const pubSub = options.pubSub ?? redis?.pubSub ?? createInProcessPubSub();
  // Rate-limit counters are shared through Redis too; while it is down, requests pass (fail open).
  const rateLimitRedis =
    config.redisUrl === undefined ? undefined : new Redis(config.redisUrl, { connectionName: 'ticket-gateway:rate-limit', enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  rateLimitRedis?.on('error', () => undefined); // the pub/sub connections log Redis outages
  const container = createContainer({
    config,
    connection: database.connection,
    pubSub,
    clock: options.clock ?? systemClock,
  });
  // Indexes and the id counter are set up as soon as the database answers (now, or once it comes up),
  // and again after a reconnection (a restarted server may have lost them); /readyz waits for the first.
  let ready = false;
  const initialise = () =>
    container.init().then(
      () => {
        ready = true;
      },
      (error: unknown) => logger.error({ err: error }, 'could not create indexes and the id counter'),
    );
  const initialised = database.connected.then(initialise);
  database.connection.on('reconnected', () => void initialise());
  if (rateLimitRedis) {
    // Counting starts with the first request only if the connection is up by then.
    await Promise.race([once(rateLimitRedis, 'ready'), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  }
  await Promise.race([initialised.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, config.mongoServerSelectionTimeoutMs).unref())]);
  const schema = await buildAppSchema(pubSub);
  const server = await createServer({ config, container, database, schema, logger, redis: rateLimitRedis, isInitialised: () => ready });
  await new Promise<void>((resolve, reject) => {
    server.httpServer.once('error', reject);
    server.httpServer.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.httpServer.address() as AddressInfo;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url: `${url}/graphql` }, 'ticket-gateway ready: GraphQL and Sandbox at /graphql, legacy API at /api/v1');
  return {
    url,
    port,
    config,
    container,
    database,
    server,
    logger,
    async stop() {
      await server.stop();
      await redis?.close();
      rateLimitRedis?.disconnect();
      await database.close();
    },
  };
}

/** Upper bound of the time /readyz answers 503 before a SIGTERM stops the listener (a quarter of SHUTDOWN_TIMEOUT_MS at most). */
const READINESS_GRACE_MS = 2000;

async function main(): Promise<void> {
  let config: Readonly<Config>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await startApp(config);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.server.markDraining();
    // After a SIGTERM (an orchestrator's stop), /readyz answers 503 for a moment while requests are still
    // served, so a load balancer takes the instance out of rotation before it stops accepting connections.
    const readinessGraceMs = signal === 'SIGTERM' ? Math.min(READINESS_GRACE_MS, config.shutdownTimeoutMs / 4) : 0;
    app.logger.info({ signal, readinessGraceMs }, 'shutting down: finishing in-flight requests');
    const timer = setTimeout(() => {
      app.logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    setTimeout(() => {
      app.stop().then(
        () => {
          app.logger.info('stopped');
          process.exit(0);
        },
        (error: unknown) => {
          app.logger.error({ err: error }, 'error during shutdown');
          process.exit(1);
        },
      );
    }, readinessGraceMs);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`failed to start: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
