/**
 * Child processes of a test: gateway instances, the standalone embedded MongoDB, redis-server. A
 * TypeScript entry point runs from source (`fromSource`), so a stale dist/ cannot hide a change.
 * Every child is killed when the test process exits, even after a failure or a timeout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Arrivals } from './arrivals';

export const ROOT = path.resolve(__dirname, '../..');

/**
 * `node` arguments that run `entry` (a .ts file, relative to the repository) from source: through
 * ts-register.js, with its transpiled output cached on disk (see transpile-cache.js), after the
 * `preload` scripts (paths relative to the repository too).
 */
export function fromSource(entry: string, args: string[] = [], preload: string[] = []): string[] {
  const required = ['test/helpers/transpile-cache.js', 'test/helpers/ts-register.js', ...preload];
  return [...required.flatMap((file) => ['-r', path.join(ROOT, file)]), path.join(ROOT, entry), ...args];
}

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

/** `until` lives in arrivals.ts; also exported here for the modules that spawn and poll (redis.ts). */
export { until } from './arrivals';
