import 'reflect-metadata';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { loadConfig } from '../../src/config';
import { startApp, type RunningApp } from '../../src/index';
import { signToken, type TokenClaims } from '../../src/auth/auth.service';
import { startTestMongo } from './mongo';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';
export const ACME_KEY = 'acme-api-key-0123456789';
export const GLOBEX_KEY = 'globex-api-key-0123456789';

/** A clock the tests move by hand. */
export class TestClock {
  constructor(private current = new Date('2026-03-02T10:00:00.000Z')) {}
  readonly now = (): Date => new Date(this.current.getTime());
  set(instant: Date | string): void {
    this.current = new Date(instant);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, any> }> };
}

export interface Credentials {
  token?: string;
  apiKey?: string;
}

export interface TestApp {
  app: RunningApp;
  url: string;
  wsUrl: string;
  clock: TestClock;
  /** Names of the database commands the gateway sent (with `monitorCommands`). */
  commands: string[];
  gql<T = any>(query: string, variables?: Record<string, unknown>, credentials?: Credentials): Promise<GqlResult<T>>;
  token(claims: Partial<TokenClaims> & Pick<TokenClaims, 'role'>, expiresIn?: string | number): Promise<string>;
  wsClient(connectionParams?: Record<string, unknown>): Client;
  stop(): Promise<void>;
}

export async function startTestApp(env: Record<string, string> = {}, options: { monitorCommands?: boolean } = {}): Promise<TestApp> {
  const mongo = await startTestMongo();
  const dbName = new URL(mongo.uri).pathname.slice(1) || 'tg_test';
  const config = loadConfig({
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    MONGODB_URI: mongo.uri,
    MONGODB_DATABASE: dbName,
    MONGODB_WRITE_CONCERN: '1',
    JWT_SECRET: TEST_JWT_SECRET,
    API_KEYS: `${ACME_KEY}:acme,${GLOBEX_KEY}:globex`,
    // The outbox sweep only finishes what a stopped process left: in-process tests count their own
    // commands, so it runs at start only unless a test asks for it.
    EVENT_RELAY_INTERVAL_MS: '3600000',
    ...env,
  });
  const clock = new TestClock();
  const app = await startApp(config, { clock: clock.now, monitorCommands: options.monitorCommands ?? false });
  const commands: string[] = [];
  if (options.monitorCommands) {
    app.database.connection.getClient().on('commandStarted', (event) => commands.push(event.commandName));
  }
  const clients: Client[] = [];
  const wsUrl = `ws://127.0.0.1:${app.port}/graphql`;
  return {
    app,
    url: `http://127.0.0.1:${app.port}`,
    wsUrl,
    clock,
    commands,
    async gql(query, variables, credentials = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (credentials.token) headers.authorization = `Bearer ${credentials.token}`;
      if (credentials.apiKey) headers['x-api-key'] = credentials.apiKey;
      const response = await fetch(`http://127.0.0.1:${app.port}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      return { status: response.status, body: (await response.json()) as GqlResult['body'] };
    },
    token(claims, expiresIn) {
      return signToken(TEST_JWT_SECRET, { account: 'acme', ...claims } as TokenClaims, expiresIn);
    },
    wsClient(connectionParams = {}) {
      const client = createClient({ url: wsUrl, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.dispose()));
      await app.stop();
      await mongo.stop();
    },
  };
}

/** Collects the events of one subscription; `next()` waits for the following one. */
export function subscribe<T = any>(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const values: Array<{ data?: T; errors?: any[] }> = [];
  const waiters: Array<() => void> = [];
  let error: unknown;
  let completed = false;
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        values.push(value as { data?: T; errors?: any[] });
        waiters.splice(0).forEach((w) => w());
      },
      error: (e) => {
        error = e;
        waiters.splice(0).forEach((w) => w());
      },
      complete: () => {
        completed = true;
        waiters.splice(0).forEach((w) => w());
      },
    },
  );
  return {
    values,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    dispose,
    /** Resolves when at least `count` values arrived (or the subscription ended), or rejects after `ms`. */
    async waitFor(count: number, ms = 3000): Promise<void> {
      const deadline = Date.now() + ms;
      while (values.length < count && error === undefined && !completed) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${count} events (got ${values.length})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
  };
}

/** Waits until the server has registered a subscription (graphql-ws gives no ack per subscription). */
export const settle = (ms = 100) => new Promise((resolve) => setTimeout(resolve, ms));
