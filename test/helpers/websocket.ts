/**
 * Helpers of the reliability suite: raw graphql-ws sockets (so a test can misbehave on purpose),
 * counting driver commands around one request, and a standalone embedded MongoDB process that can be
 * stopped and started again on the same port.
 */
import path from 'node:path';
import WebSocket from 'ws';
import type { TestApp } from './app';
import { Arrivals } from './arrivals';
import { ROOT, spawnProcess, type ManagedProcess } from './processes';

export { until, freePort } from './processes';

/** Prints a measured figure when RELIABILITY_REPORT is set (the numbers of the suite's report). */
export function report(line: string): void {
  if (process.env.RELIABILITY_REPORT) process.stdout.write(`[reliability] ${line}\n`);
}

/** `promise`, or a rejection naming `what` after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- raw graphql-ws sockets ----

export interface Closed {
  code: number;
  reason: string;
}

export interface RawSocket {
  readonly ws: WebSocket;
  /** Every message received so far, parsed. */
  readonly messages: any[];
  /** Resolves when the socket closes (never rejects). */
  readonly closed: Promise<Closed>;
  readonly isClosed: boolean;
  send(message: unknown): void;
  /** The first message (seen or to come) that matches; rejects on timeout or when the socket closes first. */
  waitFor(match: (message: any) => boolean, ms?: number, what?: string): Promise<any>;
  /** connection_init with `payload`, then waits for connection_ack. */
  init(payload?: Record<string, unknown>): Promise<void>;
  /** Sends a `subscribe` (a query, a mutation or a subscription). */
  subscribe(id: string, query: string, variables?: Record<string, unknown>): void;
  close(): void;
}

/** Opens a WebSocket speaking graphql-transport-ws, without any client library in between. */
export async function rawSocket(url: string, options: { protocol?: string; maxPayload?: number } = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, options.protocol ?? 'graphql-transport-ws', { maxPayload: options.maxPayload ?? 64 * 1024 * 1024 });
  const messages = new Arrivals<any>();
  let isClosed = false;
  const closed = new Promise<Closed>((resolve) => {
    ws.once('close', (code, reason) => {
      isClosed = true;
      resolve({ code, reason: reason.toString() });
      messages.end();
    });
  });
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    messages.push(JSON.parse(data.toString()));
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with HTTP ${res.statusCode}`)));
  });
  const socket: RawSocket = {
    ws,
    messages: messages.items,
    closed,
    get isClosed() {
      return isClosed;
    },
    send: (message) => ws.send(JSON.stringify(message)),
    waitFor(match, ms = 10_000, what = 'a matching message') {
      const got = () => JSON.stringify(messages.items).slice(0, 500);
      return messages.waitFor(match, ms, (timeout) =>
        timeout ? `timed out after ${ms} ms waiting for ${what}; got ${got()}` : `socket closed while waiting for ${what}; got ${got()}`,
      );
    },
    async init(payload = {}) {
      socket.send({ type: 'connection_init', payload });
      await socket.waitFor((m) => m.type === 'connection_ack', 10_000, 'connection_ack');
    },
    subscribe(id, query, variables = {}) {
      socket.send({ id, type: 'subscribe', payload: { query, variables } });
    },
    close: () => ws.terminate(),
  };
  return socket;
}

/** The `error` message of operation `id` (graphql-ws answers a refused operation with one). */
export const errorOf = (socket: RawSocket, id: string, ms?: number) => socket.waitFor((m) => m.id === id && m.type === 'error', ms, `an error for operation ${id}`);

/** The first `next` of operation `id`. */
export const nextOf = (socket: RawSocket, id: string, ms?: number) => socket.waitFor((m) => m.id === id && m.type === 'next', ms, `a result for operation ${id}`);

// ---- database commands ----

/**
 * Runs `action` and answers the driver commands the gateway sent meanwhile (the app must be started
 * with `monitorCommands`). Waits a moment after the action, so work it started late is seen too.
 */
export async function commandsDuring<T>(t: Pick<TestApp, 'commands'>, action: () => Promise<T>): Promise<{ result: T; commands: string[] }> {
  const before = t.commands.length;
  const result = await action();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { result, commands: t.commands.slice(before) };
}

// ---- a standalone embedded MongoDB on a port of our choosing ----

const FROM_SOURCE = ['-r', path.join(ROOT, 'test/helpers/transpile-cache.js'), '-r', path.join(ROOT, 'test/helpers/ts-register.js')];

export interface RestartableMongo {
  readonly port: number;
  /** mongodb://127.0.0.1:<port>/ */
  readonly uri: string;
  readonly running: boolean;
  /** SIGKILL (a crash) by default; resolves once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: the embedded server keeps data in memory only). */
  start(): Promise<void>;
}

/** `src/embedded-mongo/cli.ts --port <port>` as a process of its own. */
export async function startRestartableMongo(port: number, timeoutMs = 30_000): Promise<RestartableMongo> {
  let child: ManagedProcess | undefined;
  const launch = async () => {
    const started = spawnProcess(`embedded-mongo:${port}`, process.execPath, [...FROM_SOURCE, path.join(ROOT, 'src/embedded-mongo/cli.ts'), '--port', String(port)], {
      PATH: process.env.PATH,
    });
    child = started;
    try {
      await started.waitForLine((line) => line.includes(`127.0.0.1:${port}`), timeoutMs, 'its mongodb:// URI');
    } catch (error) {
      await started.stop('SIGKILL');
      throw error;
    }
  };
  await launch();
  return {
    port,
    uri: `mongodb://127.0.0.1:${port}/`,
    get running() {
      return child?.running ?? false;
    },
    async stop(signal = 'SIGKILL') {
      await child?.stop(signal);
    },
    async start() {
      if (child?.running) return;
      await launch();
    },
  };
}
