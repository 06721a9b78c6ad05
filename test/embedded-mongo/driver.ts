/**
 * The raw driver against the embedded MongoDB (or MONGODB_URI), for the conformance suites:
 * one client per test file, and the server error a failing call is expected to end with.
 */
import { MongoClient, MongoServerError, type CommandStartedEvent, type Db, type MongoClientOptions } from 'mongodb';
import { startTestMongo, type TestMongo } from '../helpers/mongo';

export interface DriverSuite {
  readonly mongo: TestMongo;
  readonly client: MongoClient;
  readonly db: Db;
  /** Every command the driver started, in order (monitorCommands). */
  readonly started: CommandStartedEvent[];
}

/** Starts a MongoDB for the file in beforeAll, logs which backend runs, closes it in afterAll. */
export function driverSuite(name: string, options: MongoClientOptions = {}): () => DriverSuite {
  let suite: DriverSuite | undefined;
  beforeAll(async () => {
    const mongo = await startTestMongo();
    console.log(`embedded-mongo ${name} suite: ${mongo.backend} backend`);
    const started: CommandStartedEvent[] = [];
    const client = new MongoClient(mongo.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000, ...options });
    client.on('commandStarted', (e) => started.push(e));
    await client.connect();
    suite = { mongo, client, db: client.db(mongo.dbName), started };
  });
  afterAll(async () => {
    await suite?.client.close();
    await suite?.mongo.stop();
  });
  return () => {
    if (!suite) throw new Error('driverSuite: used outside a test');
    return suite;
  };
}

/** The MongoServerError `promise` rejects with; fails the test when it resolves. */
export async function serverError(promise: Promise<unknown>): Promise<MongoServerError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof MongoServerError) return err;
    throw err;
  }
  throw new Error('expected a MongoServerError');
}
