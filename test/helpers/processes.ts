/**
 * Real processes for tests that need more than one: the standalone embedded MongoDB and gateway
 * instances, run from source through ts-register.js (so a stale dist/ cannot hide a change).
 * Every child is killed when the test process exits, even after a failure or a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Arrivals } from './arrivals';

export const ROOT = path.resolve(__dirname, '../..');
/** ts-register.js, with its transpiled output cached on disk (see transpile-cache.js). */
const FROM_SOURCE = ['-r', path.join(ROOT, 'test/scale-out/transpile-cache.js'), '-r', path.join(ROOT, 'test/helpers/ts-register.js')];

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

function killAllOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of alive) child.kill('SIGKILL');
  });
}

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** stderr so far (for error messages). */
  stderr(): string;
  /** Resolves with the first line (seen or to come) that matches; rejects on timeout or exit. */
  waitForLine(match: (line: string) => boolean, ms: number, what: string): Promise<string>;
  readonly running: boolean;
  /** Signals the process and waits for it to exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export function spawnProcess(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ManagedProcess {
  killAllOnExit();
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  const lines = new Arrivals<string>();
  let partial = '';
  let stderr = '';
  let spawnError: Error | undefined;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      alive.delete(child);
      lines.end();
      resolve();
    });
    child.once('error', (error) => {
      // ENOENT and the like: there is no process, so no 'exit' follows.
      spawnError = error;
      exited = true;
      alive.delete(child);
      lines.end();
      resolve();
    });
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    if (parts.length) lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });

  const describeExit = () =>
    spawnError
      ? `could not start ${command}: ${spawnError.message}`
      : `${name} exited (code ${child.exitCode}, signal ${child.signalCode}); stderr: ${stderr.trim().slice(-2000) || '(empty)'}; last stdout: ${lines.items.slice(-5).join(' | ')}`;

  return {
    name,
    child,
    lines: lines.items,
    stderr: () => stderr,
    get running() {
      return !exited;
    },
    waitForLine(match, ms, what) {
      return lines.waitFor(match, ms, (timeout) =>
        timeout
          ? `${name}: timed out after ${ms} ms waiting for ${what}; last stdout: ${lines.items.slice(-5).join(' | ')}; stderr: ${stderr.slice(-1000)}`
          : `${name}: gave up waiting for ${what}: ${describeExit()}`,
      );
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (exited) return;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `probe` until it returns a value other than undefined/false, or rejects after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string | (() => string), everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

// ---- the standalone embedded MongoDB ----

export interface MongoProcess {
  /** mongodb://127.0.0.1:<port>/ (no database: gateways get MONGODB_DATABASE). */
  readonly uri: string;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export async function startMongoProcess(timeoutMs = 30000): Promise<MongoProcess> {
  const child = spawnProcess('embedded-mongo', process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src/embedded-mongo/cli.ts'), '--port', '0'], {
    PATH: process.env.PATH,
  });
  try {
    const line = await child.waitForLine((l) => /mongodb:\/\/\S+/.test(l), timeoutMs, 'its mongodb:// URI');
    return { uri: /mongodb:\/\/\S+/.exec(line)![0], process: child, stop: () => child.stop() };
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
}

// ---- a gateway instance ----

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
  const child = spawnProcess(name, process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src/index.ts')], {
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
