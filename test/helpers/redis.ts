/**
 * A real `redis-server` for one test file, on a free port, without persistence, with a password
 * (so tests can check that it never reaches a log). `stop()` and `start()` take it down and bring
 * it back on the same port. There is deliberately no skip when redis-server is missing: the
 * scale-out tests fail with a message saying how to install it.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort, spawnProcess, until, type ManagedProcess } from './processes';

export interface TestRedis {
  readonly port: number;
  readonly password: string;
  /** redis://:<password>@127.0.0.1:<port> */
  readonly url: string;
  readonly running: boolean;
  /** True when the server answers PING now. */
  ping(): Promise<boolean>;
  /** One command on a fresh connection. */
  command(name: string, ...args: Array<string | number>): Promise<unknown>;
  /** How many connections subscribe to `channel` (PUBSUB NUMSUB). */
  subscribers(channel: string): Promise<number>;
  /** Channels with at least one subscriber (PUBSUB CHANNELS). */
  channels(pattern?: string): Promise<string[]>;
  /** Polls until `channel` has exactly `count` subscribing connections. */
  waitForSubscribers(channel: string, count: number, ms?: number): Promise<void>;
  /** SIGTERM (a clean shutdown) or SIGKILL (a crash); resolves when the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: nothing is persisted). */
  start(): Promise<void>;
}

const INSTALL_HINT = 'The scale-out tests need a real Redis: install it (Debian/Ubuntu: apt-get install -y redis-server) so that `redis-server` is on PATH.';

/** PING over a raw socket: no client library state, no retries. */
function rawPing(port: number, password: string, ms = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let reply = '';
    const finish = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(ms, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(`AUTH ${password}\r\nPING\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes('+PONG')) finish(true);
      else if (/^-/m.test(reply)) finish(false);
    });
  });
}

export async function startRedis(timeoutMs = 15000): Promise<TestRedis> {
  const password = randomBytes(12).toString('hex');
  let port = 0;
  let server: ManagedProcess | undefined;

  const launch = async (): Promise<void> => {
    const child = spawnProcess(
      `redis-server:${port}`,
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--requirepass', password, '--dir', '/tmp'],
      { PATH: process.env.PATH },
    );
    server = child;
    const deadline = Date.now() + timeoutMs;
    while (!(await rawPing(port, password))) {
      if (!child.running) {
        const why = child.stderr() + child.lines.slice(-5).join('\n');
        if (child.child.pid === undefined) throw new Error(`redis-server could not be started (${why || 'not found'}). ${INSTALL_HINT}`);
        throw new Error(`redis-server exited at start on port ${port}: ${why.trim().slice(-1000)}`);
      }
      if (Date.now() > deadline) {
        await child.stop('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // Another process may take the free port between the check and redis-server binding it.
  for (let attempt = 1; ; attempt += 1) {
    port = await freePort();
    try {
      await launch();
      break;
    } catch (error) {
      if (attempt >= 3 || /could not be started/.test((error as Error).message)) throw error;
    }
  }

  const command = async (name: string, ...args: Array<string | number>): Promise<unknown> => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      password,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      connectTimeout: 2000,
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.call(name, ...args);
    } finally {
      client.disconnect();
    }
  };
  const subscribers = async (channel: string) => {
    const reply = (await command('PUBSUB', 'NUMSUB', channel)) as [string, number];
    return Number(reply[1]);
  };

  return {
    port,
    password,
    url: `redis://:${password}@127.0.0.1:${port}`,
    get running() {
      return server?.running ?? false;
    },
    ping: () => rawPing(port, password),
    command,
    subscribers,
    channels: async (pattern = '*') => (await command('PUBSUB', 'CHANNELS', pattern)) as string[],
    async waitForSubscribers(channel, count, ms = 10000) {
      let seen = -1;
      await until(
        async () => (seen = await subscribers(channel)) === count,
        ms,
        () => `${count} Redis subscriber(s) on ${channel} (last seen: ${seen})`,
      );
    },
    async stop(signal = 'SIGTERM') {
      await server?.stop(signal);
    },
    async start() {
      if (server?.running) return;
      await launch();
    },
  };
}
