/**
 * A MongoDB for one test file: MONGODB_URI with a fresh database when set, otherwise an embedded
 * in-memory server on a free port. Either way the returned uri names its own database.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { startEmbeddedMongo } from '../../src/embedded-mongo';

export interface TestMongo {
  /** mongodb://host:port/<db>: pass straight to mongoose.connect or MongoClient. */
  readonly uri: string;
  readonly dbName: string;
  readonly backend: 'embedded' | 'external';
  /** Drops the test database (external) or stops the server (embedded). */
  stop(): Promise<void>;
}

/** The database named in a mongodb:// URI's path ('' when none). */
export function dbNameOf(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]*)/.exec(uri);
  return match ? decodeURIComponent(match[1]) : '';
}

/** Replaces (or adds) the database in a mongodb:// URI, keeping its query string. */
export function withDbName(uri: string, dbName: string): string {
  const match = /^(mongodb(?:\+srv)?:\/\/[^/?]+)\/?([^?]*)(\?.*)?$/.exec(uri);
  if (!match) throw new Error(`not a mongodb:// URI: ${uri}`);
  let query = match[3] ?? '';
  // With credentials, the path database is also the default authSource: keep authenticating where the URI did.
  if (match[1].includes('@') && !/[?&]authSource=/i.test(query)) {
    query += `${query ? '&' : '?'}authSource=${encodeURIComponent(decodeURIComponent(match[2]) || 'admin')}`;
  }
  return `${match[1]}/${encodeURIComponent(dbName)}${query}`;
}

export async function startTestMongo(): Promise<TestMongo> {
  const dbName = `tg_test_${randomBytes(6).toString('hex')}`;
  const external = process.env.MONGODB_URI;
  if (external) {
    const uri = withDbName(external, dbName);
    return {
      uri,
      dbName,
      backend: 'external',
      async stop() {
        const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
        try {
          await client.connect();
          await client.db(dbName).dropDatabase();
        } finally {
          await client.close();
        }
      },
    };
  }
  const embedded = await startEmbeddedMongo();
  return { uri: withDbName(embedded.uri, dbName), dbName, backend: 'embedded', stop: () => embedded.stop() };
}
