/**
 * Gateway instances as processes of their own (`node src/index.ts`), and the smallest real
 * scale-out: two of them behind no load balancer (the tests pick the instance), sharing one
 * standalone embedded MongoDB process and one redis-server.
 */
import { randomBytes } from 'node:crypto';
import { API_KEYS, JWT_SECRET } from './credentials';
import { startMongoProcess, type MongoProcess } from './mongo';
import { fromSource, spawnProcess, type ManagedProcess } from './processes';
import { startRedis, type TestRedis } from './redis';

/** What every gateway process of the tests is started with (plus its own MONGODB_* and the rest). */
export const GATEWAY_ENV = {
  JWT_SECRET,
  API_KEYS,
  MONGODB_WRITE_CONCERN: '1',
};

export type LogEntry = Record<string, unknown> & { level: number; msg: string };

export interface GatewayProcess {
  readonly name: string;
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** ws://127.0.0.1:<port>/graphql */
  readonly wsUrl: string;
  readonly process: ManagedProcess;
  /** The JSON log lines so far. */
  logs(): LogEntry[];
  /** The first log entry (seen or to come) that matches. */
  waitForLog(match: (entry: LogEntry) => boolean, ms: number, what: string): Promise<LogEntry>;
  stop(): Promise<void>;
}

function parseLog(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as LogEntry;
  } catch {
    return undefined;
  }
}

/**
 * `node src/index.ts` with the given environment (only PATH is inherited, so the developer's own
 * MONGODB_URI or REDIS_URL cannot leak in). Resolves once the gateway logs its URL.
 */
export async function startGatewayProcess(name: string, env: Record<string, string>, timeoutMs = 60000): Promise<GatewayProcess> {
  const child = spawnProcess(name, process.execPath, fromSource('src/index.ts'), {
    PATH: process.env.PATH,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    ...env,
  });
  try {
    const line = await child.waitForLine((l) => typeof parseLog(l)?.url === 'string', timeoutMs, 'the "ready" log line with its url');
    const graphqlUrl = new URL(String(parseLog(line)!.url));
    const url = `http://${graphqlUrl.host}`;
    return {
      name,
      url,
      wsUrl: `ws://${graphqlUrl.host}/graphql`,
      process: child,
      logs: () => child.lines.map(parseLog).filter((entry): entry is LogEntry => entry !== undefined),
      async waitForLog(match, ms, what) {
        const line = await child.waitForLine(
          (l) => {
            const entry = parseLog(l);
            return entry !== undefined && match(entry);
          },
          ms,
          what,
        );
        return parseLog(line)!;
      },
      stop: () => child.stop('SIGTERM', 8000),
    };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}

// ---- two instances ----

export interface Cluster {
  redis: TestRedis;
  mongo: MongoProcess;
  a: GatewayProcess;
  b: GatewayProcess;
  /** MONGODB_DATABASE of both gateways, also their Redis channel prefix. */
  database: string;
  /** The environment both gateways run with (to start another instance like them). */
  env: Record<string, string>;
  /** The Redis channel a subscription listens on, e.g. channel('MESSAGE_ADDED', 'acme', 5). */
  channel(topic: 'MESSAGE_ADDED' | 'TICKET_UPDATED', ...route: Array<string | number>): string;
  stop(): Promise<void>;
}

export async function startCluster(extraEnv: Record<string, string> = {}): Promise<Cluster> {
  const database = `scale_out_${randomBytes(4).toString('hex')}`;
  const started: Array<{ stop(): Promise<void> }> = [];
  const stopAll = async () => {
    await Promise.allSettled(
      started
        .splice(0)
        .reverse()
        .map((p) => p.stop()),
    );
  };
  /** Starts all at once; keeps whatever started, so that a failure of one stops the others too. */
  const together = async <T extends { stop(): Promise<void> }>(starts: Array<Promise<T>>): Promise<T[]> => {
    const results = await Promise.allSettled(starts);
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
    return results.map((result) => (result as PromiseFulfilledResult<T>).value);
  };
  try {
    const [redis, mongo] = (await together<TestRedis | MongoProcess>([startRedis(), startMongoProcess()])) as [TestRedis, MongoProcess];
    const env = {
      ...GATEWAY_ENV,
      MONGODB_URI: mongo.uri,
      MONGODB_DATABASE: database,
      REDIS_URL: redis.url,
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...extraEnv,
    };
    const [a, b] = await together([startGatewayProcess('gateway-a', env), startGatewayProcess('gateway-b', env)]);
    return {
      redis,
      mongo,
      a,
      b,
      database,
      env,
      channel: (topic, ...route) => [database, topic, ...route].join(':'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
