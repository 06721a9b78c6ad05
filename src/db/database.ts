import mongoose, { type Connection } from 'mongoose';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';
import { startEmbeddedMongo } from '../embedded-mongo';

export interface Database {
  connection: Connection;
  /** `external` for MONGODB_URI, `embedded` for the in-memory development server. */
  backend: 'external' | 'embedded';
  /** True while the driver has a server to talk to. */
  isUp(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** Emit driver command events (tests and benchmarks count commands per request). */
  monitorCommands?: boolean;
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
  const connection = mongoose.createConnection(uri, {
    dbName: config.mongodbDatabase,
    serverSelectionTimeoutMS: config.mongoServerSelectionTimeoutMs,
    bufferCommands: false,
    autoIndex: false,
    autoCreate: false,
    retryWrites: config.mongoRetryWrites,
    writeConcern: { w: config.mongoWriteConcern },
    monitorCommands: options.monitorCommands ?? false,
  });
  connection.set('strictQuery', 'throw');
  connection.on('disconnected', () => logger.warn('MongoDB disconnected'));
  connection.on('reconnected', () => logger.info('MongoDB reconnected'));
  try {
    await connection.asPromise();
    logger.info({ backend: stopEmbedded ? 'embedded' : 'external', db: config.mongodbDatabase }, 'MongoDB connected');
  } catch (error) {
    // Start anyway: the driver keeps trying in the background, and /readyz says 503 until it succeeds.
    logger.error({ err: error }, 'MongoDB is not reachable at start; serving 503 until it is');
  }
  return {
    connection,
    backend: stopEmbedded ? 'embedded' : 'external',
    async isUp() {
      try {
        await connection.getClient().db('admin').command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await connection.close(true).catch(() => undefined);
      await stopEmbedded?.();
    },
  };
}
