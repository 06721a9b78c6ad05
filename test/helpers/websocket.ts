/**
 * Raw graphql-transport-ws sockets, with no client library in between, so a test can misbehave on
 * purpose (no connection_init, two of them, oversized frames) and see every message.
 */
import WebSocket from 'ws';
import { Arrivals } from './arrivals';

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
