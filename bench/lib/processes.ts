/**
 * The processes a benchmark measures: the standalone embedded MongoDB, the built gateway
 * (`node dist/src/index.js`) and the hand-written REST baseline, each a real child process.
 * Only PATH is inherited, so a developer's own MONGODB_URI or REDIS_URL cannot leak in.
 * Every child is killed when the runner exits, even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Arrivals } from '../../test/helpers/arrivals';
import { freePort } from '../../test/helpers/processes';

/** The directory holding package.json above this file (it runs from dist/bench/lib). */
function repoRoot(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

export const ROOT = repoRoot();
export const DIST = path.join(ROOT, 'dist');

const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});
// Interrupted: exit through 'exit', so that no server is left running.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** stdout and stderr so far (the last 20,000 characters of each). */
  output(): string;
  stop(): Promise<void>;
}

function startChild(name: string, script: string, env: Record<string, string>, nodeArgs: string[] = [], args: string[] = []): { child: Child; lines: Arrivals<string> } {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  alive.add(child);
  let stdout = '';
  let stderr = '';
  const lines = new Arrivals<string>();
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-20000);
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    if (parts.length) lines.push(...parts);
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-20000);
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      alive.delete(child);
      lines.end();
      resolve();
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return {
    lines,
    child: {
      name,
      pid: child.pid,
      child,
      output: () => `${stdout}\n${stderr}`,
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
        await exited;
        clearTimeout(timer);
      },
    },
  };
}

async function waitForHttp(url: string, child: Child, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.child.exitCode !== null) throw new Error(`${child.name} exited before it was ready: ${child.output().slice(-2000)}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${child.name} was not ready at ${url} after ${ms} ms: ${child.output().slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface MongoProcess extends Child {
  /** mongodb://127.0.0.1:<port>/ */
  readonly uri: string;
}

/** `node dist/src/embedded-mongo/cli.js --port 0`: one standalone in-memory MongoDB. */
export async function startMongo(name = 'embedded-mongo'): Promise<MongoProcess> {
  const { child, lines } = startChild(name, path.join(DIST, 'src/embedded-mongo/cli.js'), {}, ['--max-old-space-size=4096'], ['--port', '0']);
  try {
    const uriIn = (line: string) => /mongodb:\/\/\S+/.exec(line)?.[0];
    const line = await lines.waitFor(
      (l) => uriIn(l) !== undefined,
      30000,
      (timeout) =>
        timeout ? `${name}: no MongoDB URI printed within 30 s` : `${name} exited (code ${child.child.exitCode}, signal ${child.child.signalCode}): ${child.output().slice(-2000)}`,
    );
    const uri = uriIn(line)!;
    return { ...child, uri };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

export interface HttpProcess extends Child {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
}

/** The API key every benchmark request carries, and the account it is an admin of. */
export const BENCH_KEY = 'bench-api-key-0123456789abcdef';
export const BENCH_ACCOUNT = 'bench';

/**
 * The gateway's settings in every benchmark, as a process environment or for `loadConfig` in-process:
 * production (no Sandbox, no introspection, credentials required, as deployed), an API key, quiet
 * logs, and limits raised out of the way of load generation (the rate limiter still runs on every
 * request).
 */
export function gatewayEnv(mongoUri: string, database: string, port: number, logLevel = 'warn'): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: logLevel,
    MONGODB_URI: mongoUri,
    MONGODB_DATABASE: database,
    API_KEYS: `${BENCH_KEY}:${BENCH_ACCOUNT}`,
    RATE_LIMIT_MAX: '1000000000',
  };
}

/** The built gateway, `node dist/src/index.js`, with `gatewayEnv` (plus `env`). */
export async function startGateway(
  name: string,
  mongoUri: string,
  database: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** Another build's dist/ (an A/B of two builds). */
  dist = DIST,
): Promise<HttpProcess> {
  const port = await freePort();
  const { child } = startChild(name, path.join(dist, 'src/index.js'), { ...gatewayEnv(mongoUri, database, port), ...env }, nodeArgs);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/readyz`, child, 60000);
    return { ...child, url, port };
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** bench/baseline-rest.ts: plain express + mongoose `.lean()`, the same database. */
export async function startRestBaseline(mongoUri: string, database: string, nodeArgs: string[] = []): Promise<HttpProcess> {
  const port = await freePort();
  const { child } = startChild(
    'baseline-rest',
    path.join(DIST, 'bench/baseline-rest.js'),
    { NODE_ENV: 'production', PORT: String(port), MONGODB_URI: mongoUri, MONGODB_DATABASE: database, API_KEY: BENCH_KEY, ACCOUNT_ID: BENCH_ACCOUNT },
    nodeArgs,
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttp(`${url}/healthz`, child, 60000);
    return { ...child, url, port };
  } catch (error) {
    await child.stop();
    throw error;
  }
}
