/**
 * GraphQL clients for every test server, in-process or a process of its own: over HTTP (`gql`,
 * `gqlData`, `postGraphQL`) and over graphql-ws (`liveClient`, `subscribe`). An operation is a
 * typed document from test/generated/graphql.ts (codegen of test/operations/*.graphql) or, for
 * what is deliberately malformed or adversarial, a string.
 */
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { ADMIN, ACME_KEY, credentialHeaders, type Credentials } from './credentials';
import { request, type Answer, type HttpTarget } from './http';

/** A server with an HTTP and a WebSocket endpoint: a TestApp or a GatewayProcess. */
export interface GraphQLTarget extends HttpTarget {
  /** ws://127.0.0.1:<port>/graphql */
  readonly wsUrl: string;
}

/** An operation: a typed document, or its text. */
export type Operation<R = any, V = any> = TypedDocumentNode<R, V> | DocumentNode | string;

const printed = new WeakMap<DocumentNode, string>();
/** The text of an operation. */
export function textOf(operation: Operation): string {
  if (typeof operation === 'string') return operation;
  let text = printed.get(operation);
  if (text === undefined) printed.set(operation, (text = print(operation)));
  return text;
}

export interface GraphQLError {
  message: string;
  path?: Array<string | number>;
  extensions?: Record<string, any>;
}

export interface GqlResult<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: GraphQLError[] };
  /** The exact text of the body. */
  text: string;
  ms: number;
}

/**
 * POST /graphql with `credentials` (none by default) and any further headers. The answer must be
 * JSON: anything else fails with what came instead.
 */
export async function gql<R = any, V = Record<string, unknown>>(
  target: HttpTarget,
  operation: Operation<R, V>,
  variables?: V,
  credentials: Credentials = {},
  headers: Record<string, string> = {},
): Promise<GqlResult<R>> {
  const answer = await request(`${target.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...credentialHeaders(credentials), ...headers },
    body: JSON.stringify({ query: textOf(operation), variables }),
  });
  if (answer.json === undefined) throw new Error(`${target.url}/graphql answered ${answer.status} with non-JSON: ${answer.text.slice(0, 300)}`);
  return { status: answer.status, headers: answer.headers, body: answer.json as GqlResult<R>['body'], text: answer.text, ms: answer.ms };
}

/** The data of a call that must succeed (HTTP 200, no errors), as the admin API key unless told. */
export async function gqlData<R = any, V = Record<string, unknown>>(target: HttpTarget, operation: Operation<R, V>, variables?: V, credentials: Credentials = ADMIN): Promise<R> {
  const result = await gql<R, V>(target, operation, variables ?? ({} as V), credentials);
  if (result.status !== 200 || result.body.errors?.length || !result.body.data) {
    throw new Error(`${target.url}: expected success, got HTTP ${result.status}: ${JSON.stringify(result.body)}`);
  }
  return result.body.data;
}

/** POSTs a body text to /graphql verbatim (as the acme admin API key unless headers say otherwise): JSON that is not an operation, a batch, or not JSON at all. */
export function postGraphQL(target: HttpTarget, text: string, headers: Record<string, string> = {}): Promise<Answer> {
  return request(`${target.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, ...headers },
    body: text,
  });
}

// ---- graphql-ws ----

export interface Received<T> {
  value: T;
  /** Date.now() when the client got it. */
  at: number;
}

/** The events of one subscription (or the result of one query sent over the socket), as they arrive. */
export interface Feed<T = any> {
  /** Each `next`: the whole result, or `pick(data)` of the results without errors when a `pick` was given. */
  readonly values: T[];
  readonly received: Array<Received<T>>;
  /** The errors of results (with a `pick`), and what the subscription failed with. */
  readonly errors: unknown[];
  /** What the subscription failed with (a close event, or the errors of an `error` message). */
  readonly error: unknown;
  readonly completed: boolean;
  /** Resolves once the subscription ended, completed or failed. */
  readonly ended: Promise<void>;
  /** Resolves with `values` once there are `count`; rejects on timeout or when the subscription ends first. */
  waitFor(count: number, ms?: number): Promise<T[]>;
  /** Forgets what arrived so far (say, the markers that showed the subscription active). */
  clear(): void;
  dispose(): void;
}

export function subscribe<T = any>(client: Client, operation: Operation, variables: Record<string, unknown> = {}, pick?: (data: any) => T): Feed<T> {
  const received: Array<Received<T>> = [];
  const errors: unknown[] = [];
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  let error: unknown;
  let completed = false;
  let end!: () => void;
  const ended = new Promise<void>((resolve) => (end = resolve));
  const dispose = client.subscribe(
    { query: textOf(operation), variables },
    {
      next: (result) => {
        if (!pick) received.push({ value: result as T, at: Date.now() });
        else if (result.errors?.length) errors.push(result.errors);
        else received.push({ value: pick(result.data), at: Date.now() });
        wake();
      },
      error: (e) => {
        error = e;
        errors.push(e);
        end();
        wake();
      },
      complete: () => {
        completed = true;
        end();
        wake();
      },
    },
  );
  const values = () => received.map((r) => r.value);
  return {
    received,
    get values() {
      return values();
    },
    errors,
    get error() {
      return error;
    },
    get completed() {
      return completed;
    },
    ended,
    dispose,
    clear: () => void received.splice(0),
    async waitFor(count, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (received.length < count) {
        if (error !== undefined) throw new Error(`subscription failed after ${received.length} of ${count} events: ${JSON.stringify(error)}`);
        if (completed) throw new Error(`subscription completed after ${received.length} of ${count} events: ${JSON.stringify(values())}; errors ${JSON.stringify(errors)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${ms} ms waiting for ${count} events; got ${received.length}: ${JSON.stringify(values())}`);
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
      return values();
    },
  };
}

/** A graphql-ws client that never reconnects on its own, so a dropped connection is visible. */
export interface LiveClient {
  readonly client: Client;
  /** How many times the socket connected (1 = it never reconnected) and closed. */
  readonly connects: number;
  readonly closes: number;
  subscribe<T = any>(operation: Operation, variables?: Record<string, unknown>, pick?: (data: any) => T): Feed<T>;
  dispose(): Promise<void>;
}

export function liveClient(target: Pick<GraphQLTarget, 'wsUrl'>, connectionParams: Record<string, unknown> = {}): LiveClient {
  let connects = 0;
  let closes = 0;
  const client = createClient({
    url: target.wsUrl,
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
    subscribe: (operation, variables = {}, pick) => subscribe(client, operation, variables, pick),
    dispose: () => client.dispose() as Promise<void>,
  };
}

// ---- markers: what proves a subscription active, and that nothing else is on its way ----

let markers = 0;
/**
 * What no event of a test carries but a marker: a number (so it can be a ticket id too) far above
 * the ids tests use, as a string; a marker event carries it in a field the subscription selects.
 */
export const newMarker = () => String(900_000_000 + (markers += 1));

const carries = (value: unknown, marker: string) => JSON.stringify(value).includes(JSON.stringify(marker));

/**
 * Sends a marker event that every feed of `feeds` may see (`publish(marker)` publishes one event
 * carrying the marker in a selected field) and resolves once each feed received it. Events of one
 * publisher reach a subscriber in the order they were sent: whatever was published before the
 * marker has then arrived. The marker is taken off `values` again.
 */
export async function flush(feeds: Feed[], publish: (marker: string) => void, ms = 10_000): Promise<void> {
  const marker = newMarker();
  publish(marker);
  await Promise.all(feeds.map((feed) => waitForMarker(feed, marker, ms)));
  for (const feed of feeds)
    feed.received.splice(
      feed.received.findIndex((r) => carries(r.value, marker)),
      1,
    );
}

async function waitForMarker(feed: Feed, marker: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (let count = 1; !feed.values.some((value) => carries(value, marker)); count = feed.values.length + 1) {
    await feed.waitFor(count, Math.max(1, deadline - Date.now())).catch((error: Error) => {
      throw new Error(`the marker ${marker} did not arrive: ${error.message}`);
    });
  }
}

/**
 * graphql-ws acknowledges no subscription, and the server registers one only after its resolver has
 * run. Publishes markers that every feed may see, every 50 ms, until one reached each feed; then
 * `flush`es, and clears the feeds: from here on, they hold what arrives after the subscription was
 * active. Feeds given to separate calls must not see each other's markers.
 */
export async function whenSubscribed(feeds: Feed[], publish: (marker: string) => void, ms = 10_000): Promise<void> {
  const sent: string[] = [];
  const send = () => {
    const marker = newMarker();
    sent.push(marker);
    publish(marker);
  };
  send();
  const timer = setInterval(send, 50);
  try {
    const deadline = Date.now() + ms;
    await Promise.all(
      feeds.map(async (feed) => {
        for (let count = 1; !feed.values.some((value) => sent.some((marker) => carries(value, marker))); count = feed.values.length + 1) {
          await feed.waitFor(count, Math.max(1, deadline - Date.now()));
        }
      }),
    );
  } finally {
    clearInterval(timer);
  }
  await flush(feeds, publish, ms);
  for (const feed of feeds) feed.clear();
}
