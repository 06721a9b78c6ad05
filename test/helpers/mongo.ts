/**
 * MongoDB for tests: a database of one's own (`startTestMongo`), the standalone embedded MongoDB as a
 * process that can be killed and started again on its port (`startMongoProcess`), and command
 * monitoring up to a point the test controls (`CommandLog`, `MongoProcess.commandsUntilMarker`): a
 * marker command the test sends itself, after the action, closes the window, so a write that comes
 * late is seen rather than missed by a timer.
 */
import { randomBytes } from 'node:crypto';
import { MongoClient, type CommandStartedEvent, type Document } from 'mongodb';
import { startEmbeddedMongo } from '../../src/embedded-mongo';
import { fromSource, spawnProcess, type ManagedProcess } from './processes';

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

/**
 * A MongoDB for one test file: MONGODB_URI with a fresh database when set, otherwise an embedded
 * in-memory server on a free port. Either way the returned uri names its own database.
 */
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

// ---- commands ----

/** The commands that write documents. */
export const DOCUMENT_WRITES: ReadonlySet<string> = new Set(['insert', 'update', 'delete', 'findAndModify']);
/** The commands that change documents or collections. */
export const WRITE_COMMANDS: ReadonlySet<string> = new Set([...DOCUMENT_WRITES, 'createIndexes', 'drop']);

/** One command as a MongoDB server (or the driver, about to send it) sees it. */
export interface Command {
  name: string;
  /** The collection it names, for commands that name one. */
  collection?: string;
}

/** The collection a marker reads from: nothing is ever stored there. */
const MARKERS = 'test_markers';
let markers = 0;
const newMarker = () => `marker-${process.pid}-${(markers += 1)}-${randomBytes(3).toString('hex')}`;

/**
 * Every command a driver client sent (the client must have been created with `monitorCommands`),
 * and windows of them closed by a marker: a find the log sends through the same client, on a
 * collection of its own, for an id nobody else uses.
 */
export class CommandLog {
  /** Every command started, in order. */
  readonly started: Array<Command & { marker?: string }> = [];

  constructor(
    private readonly client: MongoClient,
    private readonly dbName: string,
  ) {
    client.on('commandStarted', (event: CommandStartedEvent) => {
      const command = event.command as Document;
      const target = command[event.commandName];
      const marker = event.commandName === 'find' && target === MARKERS ? String(command.filter?._id) : undefined;
      this.started.push({ name: event.commandName, ...(typeof target === 'string' ? { collection: target } : {}), ...(marker ? { marker } : {}) });
    });
  }

  /** Sends a marker and resolves, once it was answered, with its position in `started`. */
  async mark(): Promise<number> {
    const id = newMarker();
    await this.client.db(this.dbName).collection<{ _id: string }>(MARKERS).findOne({ _id: id });
    const at = this.started.findIndex((command) => command.marker === id);
    if (at < 0) throw new Error(`the marker ${id} was answered but not seen among the started commands`);
    return at;
  }

  /** The commands started between a marker sent before `action` and one sent once it resolved. */
  async during<T>(action: () => Promise<T>): Promise<{ result: T; commands: Command[] }> {
    const from = await this.mark();
    const result = await action();
    const to = await this.mark();
    return { result, commands: this.started.slice(from + 1, to).map(({ name, collection }) => (collection === undefined ? { name } : { name, collection })) };
  }
}

// ---- the standalone embedded MongoDB, as a process ----

export interface MongoProcess {
  readonly port: number;
  /** mongodb://127.0.0.1:<port>/ (no database: gateways get MONGODB_DATABASE). */
  readonly uri: string;
  /** The process serving now (another one after `start()`). */
  readonly process: ManagedProcess;
  readonly running: boolean;
  /**
   * With `logCommands`: sends a marker from a client of its own and resolves, once the server
   * received it, with every command the current process received before it.
   */
  commandsUntilMarker(): Promise<Command[]>;
  /** SIGTERM by default (SIGKILL is a crash); resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: the embedded server keeps data in memory only). */
  start(): Promise<void>;
}

const WIRE_COMMAND = /^wire-command (\{.*\})$/;

/**
 * `src/embedded-mongo/cli.ts --port <port>` (a free port by default). With `logCommands`, the
 * process prints each command it receives (see wire-log.js).
 */
export async function startMongoProcess(options: { port?: number; logCommands?: boolean; timeoutMs?: number } = {}): Promise<MongoProcess> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  let port = options.port ?? 0;
  let current: ManagedProcess | undefined;
  const launch = async () => {
    const child = spawnProcess(
      `embedded-mongo:${port}`,
      process.execPath,
      fromSource('src/embedded-mongo/cli.ts', ['--port', String(port)], options.logCommands ? ['test/helpers/wire-log.js'] : []),
      { PATH: process.env.PATH },
    );
    current = child;
    try {
      const line = await child.waitForLine((l) => /listening on mongodb:\/\/127\.0\.0\.1:\d+\//.test(l), timeoutMs, 'its mongodb:// URI');
      port = Number(/127\.0\.0\.1:(\d+)\//.exec(line)![1]);
    } catch (error) {
      await child.stop('SIGKILL');
      throw error;
    }
  };
  await launch();
  const commandsOf = (lines: readonly string[]): Array<Command & { id?: string }> =>
    lines.flatMap((line) => {
      const match = WIRE_COMMAND.exec(line);
      return match ? [JSON.parse(match[1]) as Command & { id?: string }] : [];
    });
  return {
    get port() {
      return port;
    },
    get uri() {
      return `mongodb://127.0.0.1:${port}/`;
    },
    get process() {
      return current!;
    },
    get running() {
      return current?.running ?? false;
    },
    async commandsUntilMarker() {
      if (!options.logCommands) throw new Error('commandsUntilMarker needs startMongoProcess({ logCommands: true })');
      const child = current!;
      const id = newMarker();
      const client = new MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 5000 });
      try {
        await client.connect();
        await client.db('test').collection<{ _id: string }>(MARKERS).findOne({ _id: id });
      } finally {
        await client.close();
      }
      await child.waitForLine((line) => line.includes(`"id":"${id}"`), 5000, `the marker ${id}`);
      const received = commandsOf(child.lines);
      return received
        .slice(
          0,
          received.findIndex((command) => command.id === id),
        )
        .map(({ name, collection }) => (collection === undefined ? { name } : { name, collection }));
    },
    async stop(signal = 'SIGTERM') {
      await current?.stop(signal);
    },
    async start() {
      if (current?.running) return;
      await launch();
    },
  };
}
