import mongoose, { type Connection } from 'mongoose';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { startEmbeddedMongo } from '../embedded-mongo';

export interface Database {
  connection: Connection;
  /** Resolves once the first connection succeeded (at start, or later when the database comes up). */
  connected: Promise<void>;
  /** True while the driver has a server to talk to. */
  isUp(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Emit driver command events (tests and benchmarks count commands per request). */
  monitorCommands?: boolean;
  /** How often to retry when the database is unreachable at start. */
  retryIntervalMs?: number;
}

/**
 * Connects mongoose to MONGODB_URI, or, without it, to an embedded in-memory MongoDB started here.
 * Commands are never buffered: while the database is unreachable a request fails fast
 * (SERVICE_UNAVAILABLE) instead of hanging.
 */
export async function connectDatabase(config: Readonly<Config>, logger: Logger, options: DatabaseOptions = {}): Promise<Database> {
  let uri = config.mongodbUri;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (uri === undefined) {
    const embedded = await startEmbeddedMongo();
    uri = embedded.uri;
    stopEmbedded = embedded.stop;
    logger.warn(
      { uri },
      'MONGODB_URI is not set: using the embedded in-memory MongoDB. Data is kept in memory and LOST on exit; it is for development and tests only. Set MONGODB_URI to use a real MongoDB server.',
    );
  }
  const connectOptions = {
    dbName: config.mongodbDatabase,
    serverSelectionTimeoutMS: config.mongoServerSelectionTimeoutMs,
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    retryWrites: config.mongoRetryWrites,
    writeConcern: { w: config.mongoWriteConcern },
    monitorCommands: options.monitorCommands ?? false,
  };
  const connection = mongoose.createConnection();
  connection.set('strictQuery', 'throw');
  connection.set('sanitizeFilter', true);
  connection.on('disconnected', () => logger.warn('MongoDB disconnected'));
  connection.on('reconnected', () => logger.info('MongoDB reconnected'));
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const connected = new Promise<void>((resolve) => {
    const attempt = async () => {
      try {
        await connection.openUri(uri, connectOptions);
        logger.info({ backend: stopEmbedded ? 'embedded' : 'external', db: config.mongodbDatabase }, 'MongoDB connected');
        resolve();
      } catch (error) {
        if (closed) return;
        // Start anyway and keep trying: requests answer 503 and /readyz is 503 until it succeeds.
        logger.error({ err: { name: (error as Error).name, message: (error as Error).message } }, 'MongoDB is not reachable; retrying');
        retry = setTimeout(attempt, options.retryIntervalMs ?? 2000);
      }
    };
    void attempt();
  });
  await Promise.race([connected, new Promise((resolve) => setTimeout(resolve, config.mongoServerSelectionTimeoutMs + 500).unref())]);
  return {
    connected,
    connection,
    async isUp() {
      try {
        await connection.getClient().db('admin').command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      await connection.close(true).catch(() => undefined);
      await stopEmbedded?.();
    },
  };
}
