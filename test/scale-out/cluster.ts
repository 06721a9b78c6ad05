/**
 * Two gateway processes behind no load balancer (the tests pick the instance), sharing one
 * standalone embedded MongoDB process and one redis-server: the smallest real scale-out.
 */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { signToken, type TokenClaims } from '../../src/auth/auth.service';
import { startGatewayProcess, startMongoProcess, type GatewayProcess, type MongoProcess } from '../helpers/processes';
import { startRedis, type TestRedis } from '../helpers/redis';
import { readBody } from '../helpers/http';

export const JWT_SECRET = 'scale-out-test-secret-at-least-32-characters';
export const ACME_KEY = 'acme-scale-out-key-0123456789';
export const GLOBEX_KEY = 'globex-scale-out-key-0123456789';

export interface Cluster {
  redis: TestRedis;
  mongo: MongoProcess;
  a: GatewayProcess;
  b: GatewayProcess;
  /** MONGODB_DATABASE of both gateways, also their Redis channel prefix. */
  database: string;
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
      MONGODB_URI: mongo.uri,
      MONGODB_DATABASE: database,
      MONGODB_WRITE_CONCERN: '1',
      REDIS_URL: redis.url,
      JWT_SECRET,
      API_KEYS: `${ACME_KEY}:acme,${GLOBEX_KEY}:globex`,
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
      channel: (topic, ...route) => [database, topic, ...route].join(':'),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export const token = (claims: Partial<TokenClaims> & Pick<TokenClaims, 'role'>) => signToken(JWT_SECRET, { account: 'acme', ...claims } as TokenClaims);

export interface Auth {
  token?: string;
  apiKey?: string;
}

export interface GqlResult<T = any> {
  status: number;
  body: { data?: T; errors?: Array<{ message: string; extensions?: Record<string, any> }> };
}

export async function gql<T = any>(gateway: GatewayProcess, query: string, variables: Record<string, unknown> = {}, auth: Auth = { apiKey: ACME_KEY }): Promise<GqlResult<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.apiKey) headers['x-api-key'] = auth.apiKey;
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as GqlResult<T>['body'] };
  } catch {
    throw new Error(`${gateway.name}: /graphql answered ${response.status} with non-JSON: ${text.slice(0, 300)}`);
  }
}

/** Data of a GraphQL call that must succeed (HTTP 200, no errors). */
export async function gqlOk<T = any>(gateway: GatewayProcess, query: string, variables: Record<string, unknown> = {}, auth?: Auth): Promise<T> {
  const result = await gql<T>(gateway, query, variables, auth);
  if (result.status !== 200 || result.body.errors?.length || !result.body.data) {
    throw new Error(`${gateway.name}: expected success, got HTTP ${result.status}: ${JSON.stringify(result.body)}`);
  }
  return result.body.data;
}

export interface LegacyResult {
  status: number;
  text: string;
  json: any;
}

/** POST /api/v1/<path> with a JSON body and X-API-Key. */
export async function legacyPost(gateway: GatewayProcess, path: string, body: Record<string, unknown>, apiKey = ACME_KEY): Promise<LegacyResult> {
  const response = await fetch(`${gateway.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify(body),
  });
  const { text, json } = await readBody(response);
  return { status: response.status, text, json };
}

export const RAISE = `mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }`;
export const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id body } }`;
export const ASSIGN = `mutation($id: ID!, $admin: String!) { assignTicket(id: $id, admin: $admin) { id assignedTo } }`;
export const MESSAGE_ADDED = `subscription($ticketId: ID!) { messageAdded(ticketId: $ticketId) { id ticketId sender senderName body showToUser } }`;
export const TICKET_UPDATED = `subscription($id: ID) { ticketUpdated(id: $id) { id accountId userId status assignedTo } }`;

export async function raiseTicket(gateway: GatewayProcess, userId: number, subject: string, apiKey = ACME_KEY): Promise<string> {
  const data = await gqlOk(gateway, RAISE, { input: { type: 'Payment', subject, userId, comments: `${subject}: first words` } }, { apiKey });
  return data.raiseTicket.id as string;
}

export interface Received<T> {
  value: T;
  /** Date.now() when the client got it. */
  at: number;
}

/** The events of one subscription, with the time each arrived. */
export interface Feed<T = any> {
  readonly received: Array<Received<T>>;
  readonly values: T[];
  readonly errors: unknown[];
  /** Resolves once `count` events arrived; rejects on timeout or when the subscription ends with an error. */
  waitFor(count: number, ms?: number): Promise<T[]>;
  dispose(): void;
}

/** A graphql-ws client that never reconnects on its own, so a dropped connection is visible. */
export interface LiveClient {
  readonly client: Client;
  /** How many times the socket connected (1 = it never reconnected) and closed. */
  readonly connects: number;
  readonly closes: number;
  subscribe<T = any>(query: string, variables: Record<string, unknown>, pick: (data: any) => T): Feed<T>;
  dispose(): Promise<void>;
}

export function liveClient(gateway: GatewayProcess, connectionParams: Record<string, unknown>): LiveClient {
  let connects = 0;
  let closes = 0;
  const client = createClient({
    url: gateway.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: true,
    on: {
      connected: () => (connects += 1),
      closed: () => (closes += 1),
    },
  });
  return {
    client,
    get connects() {
      return connects;
    },
    get closes() {
      return closes;
    },
    subscribe<T>(query: string, variables: Record<string, unknown>, pick: (data: any) => T): Feed<T> {
      const received: Array<Received<T>> = [];
      const errors: unknown[] = [];
      const waiters = new Set<() => void>();
      const wake = () => waiters.forEach((w) => w());
      let completed = false;
      const dispose = client.subscribe(
        { query, variables },
        {
          next: (result) => {
            if (result.errors?.length) errors.push(result.errors);
            else received.push({ value: pick(result.data), at: Date.now() });
            wake();
          },
          error: (error) => {
            errors.push(error);
            wake();
          },
          complete: () => {
            completed = true;
            wake();
          },
        },
      );
      return {
        received,
        get values() {
          return received.map((r) => r.value);
        },
        errors,
        dispose,
        async waitFor(count, ms = 10000) {
          const deadline = Date.now() + ms;
          while (received.length < count) {
            if (errors.length) throw new Error(`subscription failed: ${JSON.stringify(errors)}`);
            if (completed) throw new Error(`subscription completed after ${received.length} of ${count} events`);
            const left = deadline - Date.now();
            if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${count} events; got ${received.length}: ${JSON.stringify(received.map((r) => r.value))}`);
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, left);
              const waiter = () => {
                clearTimeout(timer);
                waiters.delete(waiter);
                resolve();
              };
              waiters.add(waiter);
            });
          }
          return received.map((r) => r.value);
        },
      };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}
