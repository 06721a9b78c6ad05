/**
 * graphql-ws abuse, with raw `ws` clients that misbehave on purpose: no connection_init, two of them,
 * rejected credentials, too many subscriptions on one connection, too many connections for one
 * credential, an oversized frame, and a slow consumer that stops reading while large events flow
 * (it is dropped; a subscriber next to it keeps receiving everything).
 */
import { ACME_KEY, GLOBEX_KEY, startTestApp, type TestApp } from './helpers/app';
import type { MessageAddedEvent } from '../src/shared/events';
import { within } from './helpers/arrivals';
import { report } from './helpers/report';
import { raiseTicket } from './helpers/tickets';
import { errorOf, nextOf, rawSocket, type RawSocket } from './helpers/websocket';

jest.setTimeout(60_000);

const INIT_TIMEOUT_MS = 300;
const MAX_SUBSCRIPTIONS = 3;
const MAX_CONNECTIONS = 2;
const MAX_BUFFERED = 64 * 1024;

let t: TestApp;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({
    RATE_LIMIT_MAX: '100000',
    WS_INIT_TIMEOUT_MS: String(INIT_TIMEOUT_MS),
    WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS),
    WS_MAX_CONNECTIONS_PER_CREDENTIAL: String(MAX_CONNECTIONS),
    WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED),
  });
}, 60_000);

afterEach(() => {
  sockets.splice(0).forEach((socket) => socket.close());
});

afterAll(async () => {
  await t?.stop();
});

async function open(): Promise<RawSocket> {
  const socket = await rawSocket(t.wsUrl);
  sockets.push(socket);
  return socket;
}

/** A socket past connection_init, authenticated as an admin of its own (so caps do not interfere). */
async function adminSocket(sub: string): Promise<RawSocket> {
  const socket = await open();
  await socket.init({ authorization: `Bearer ${await t.token({ role: 'admin', sub })}` });
  return socket;
}

it(`closes a connection that sends no connection_init with 4408 after WS_INIT_TIMEOUT_MS`, async () => {
  const started = Date.now();
  const socket = await open();
  const closed = await socket.closed;
  const elapsed = Date.now() - started;
  expect(closed.code).toBe(4408);
  expect(elapsed).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 50);
  expect(elapsed).toBeLessThan(INIT_TIMEOUT_MS + 5000);
});

it('closes a connection that sends connection_init twice with 4429', async () => {
  const socket = await open();
  await socket.init({ apiKey: ACME_KEY });
  socket.send({ type: 'connection_init', payload: { apiKey: ACME_KEY } });
  expect((await socket.closed).code).toBe(4429);
});

it('closes a connection with rejected credentials with 4403, before any operation', async () => {
  const badToken = (await t.token({ role: 'admin', sub: 'mallory' })).slice(0, -4) + 'AAAA';
  for (const payload of [{ apiKey: 'not-a-key-not-a-key' }, { authorization: `Bearer ${badToken}` }, { authorization: 'Basic abc' }]) {
    const socket = await open();
    socket.send({ type: 'connection_init', payload });
    expect((await socket.closed).code).toBe(4403);
    expect(socket.messages.filter((m) => m.type === 'connection_ack')).toEqual([]);
  }
});

it(`refuses the subscription over WS_MAX_SUBSCRIPTIONS (${MAX_SUBSCRIPTIONS}) on one connection, and accepts one again after a complete`, async () => {
  const socket = await adminSocket('subscriber');
  for (let i = 1; i <= MAX_SUBSCRIPTIONS; i += 1) socket.subscribe(`s${i}`, 'subscription { ticketUpdated { id } }');
  socket.subscribe('over', 'subscription { ticketUpdated { id } }');
  const refused = await errorOf(socket, 'over');
  expect(refused.payload[0].message).toBe(`At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
  expect(refused.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  // Queries are not subscriptions: they still run.
  socket.subscribe('q', '{ tickets(first: 1) { totalCount } }');
  expect((await nextOf(socket, 'q')).payload.errors).toBeUndefined();
  // The connection stays open; completing one frees a place.
  socket.send({ id: 's1', type: 'complete' });
  socket.subscribe('again', 'subscription { ticketUpdated { id } }');
  await raiseTicket(t, {}, { apiKey: ACME_KEY });
  await nextOf(socket, 'again');
  expect(socket.messages.filter((m) => m.id === 'again' && m.type === 'error')).toEqual([]);
  expect(socket.isClosed).toBe(false);
});

it(`closes the connection over WS_MAX_CONNECTIONS_PER_CREDENTIAL (${MAX_CONNECTIONS}) with 4429, and accepts one again once another closed`, async () => {
  const kept: RawSocket[] = [];
  for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
    const socket = await open();
    await socket.init({ apiKey: GLOBEX_KEY });
    kept.push(socket);
  }
  const over = await open();
  over.send({ type: 'connection_init', payload: { apiKey: GLOBEX_KEY } });
  const closed = await over.closed;
  expect(closed.code).toBe(4429);
  expect(closed.reason).toMatch(/too many connections/i);

  // Another credential is not affected.
  await (await open()).init({ apiKey: ACME_KEY });

  kept[0].close();
  await kept[0].closed;
  const deadline = Date.now() + 5000;
  for (;;) {
    const retry = await open();
    retry.send({ type: 'connection_init', payload: { apiKey: GLOBEX_KEY } });
    const answer = await Promise.race([retry.waitFor((m) => m.type === 'connection_ack', 5000).then(() => 'ack'), retry.closed.then(() => 'closed')]);
    if (answer === 'ack') break;
    // The server may see the close a moment after the client.
    if (Date.now() > deadline) throw new Error('a connection was not accepted again after another one closed');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

it('closes a connection that sends a frame over 1 MiB with 1009, as a client error (nothing on stderr)', async () => {
  const printed = jest.spyOn(console, 'error');
  try {
    const socket = await adminSocket('big-sender');
    socket.subscribe('big', `{ tickets(filter: { type: "${'x'.repeat(1024 * 1024 + 10)}" }) { totalCount } }`);
    expect((await socket.closed).code).toBe(1009);
    // The gateway still serves others; it has answered one, so what it printed for the frame, it printed by now.
    const other = await adminSocket('after-big');
    other.subscribe('q', '{ __typename }');
    expect((await nextOf(other, 'q')).payload.data).toEqual({ __typename: 'Query' });
    expect(printed).not.toHaveBeenCalled();
    other.close();
  } finally {
    printed.mockRestore();
  }
});

it('closes a connection that sends a text frame of invalid UTF-8 with 1007, nothing on stderr', async () => {
  const printed = jest.spyOn(console, 'error');
  try {
    const socket = await adminSocket('bad-utf8');
    socket.ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), { binary: false });
    expect((await socket.closed).code).toBe(1007);
    // Nothing printed up to a later operation on another connection, answered.
    const other = await adminSocket('after-bad-utf8');
    other.subscribe('q', '{ __typename }');
    expect((await nextOf(other, 'q')).payload.data).toEqual({ __typename: 'Query' });
    expect(printed).not.toHaveBeenCalled();
  } finally {
    printed.mockRestore();
  }
});

it('drops a subscriber that stops reading while large events flow; another subscriber keeps receiving all of them', async () => {
  const ticketId = Number(await raiseTicket(t, {}, { apiKey: ACME_KEY }));
  const events = t.events;
  const query = `subscription($id: ID!) { messageAdded(ticketId: $id) { id body } }`;
  const slow = await adminSocket('slow');
  const fast = await adminSocket('fast');
  slow.subscribe('m', query, { id: String(ticketId) });
  fast.subscribe('m', query, { id: String(ticketId) });

  let seq = 0;
  const publish = (body: string) => {
    seq += 1;
    const event: MessageAddedEvent = {
      accountId: 'acme',
      ticketId,
      ticketUserId: 6,
      id: `${ticketId}:${seq}`,
      seq,
      sender: 'admin',
      senderName: 'load',
      body,
      showToUser: true,
      createdAt: new Date().toISOString(),
    };
    events.messageAdded(event);
  };
  const received = (socket: RawSocket) => socket.messages.filter((m) => m.type === 'next').length;
  const lastId = (socket: RawSocket) => socket.messages.filter((m) => m.type === 'next').at(-1)?.payload.data.messageAdded.id;
  const caughtUp = (socket: RawSocket, what: string) => socket.waitFor(() => lastId(socket) === `${ticketId}:${seq}`, 20_000, what);

  // Both are subscribed once an event reaches both (graphql-ws acknowledges no subscription).
  const warmUp = setInterval(() => publish('warm-up'), 50);
  try {
    await Promise.all([nextOf(slow, 'm'), nextOf(fast, 'm')]);
  } finally {
    clearInterval(warmUp);
  }
  await Promise.all([caughtUp(slow, 'the warm-up on the slow subscriber'), caughtUp(fast, 'the warm-up on the fast subscriber')]);
  const [fastBefore, slowBefore] = [received(fast), received(slow)];
  (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

  // 400 events of 64 KB (25 MB): more than the kernel buffers of a loopback connection hold.
  const big = 'x'.repeat(64 * 1024);
  const total = 400;
  for (let sent = 0; sent < total; sent += 20) {
    for (let i = 0; i < 20; i += 1) publish(big);
    await caughtUp(fast, `event ${seq} on the fast subscriber`);
  }
  expect(received(fast)).toBe(fastBefore + total);
  expect(fast.isClosed).toBe(false);

  // Reading again, the slow one finds what the kernel had buffered, then the end of the connection.
  (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
  const closed = await within(slow.closed, 10_000, () => `the slow consumer was not dropped (it read ${received(slow) - slowBefore} of ${total} events)`);
  report(`slow consumer: dropped with ${closed.code} after reading ${received(slow) - slowBefore} of ${total} events of 64 KB; the other read all ${total}`);
  expect([4413, 1006]).toContain(closed.code);
  expect(received(slow) - slowBefore).toBeLessThan(total);

  // The fast one is still subscribed.
  publish('after the drop');
  await caughtUp(fast, 'the event after the drop');
});
