/**
 * graphql-ws, attacked: an id names exactly one live operation (a reused one is refused with 4409, as
 * the protocol says), closing a socket ends everything it started, credentials are checked for every
 * operation and the socket closes when they expire, refused operations count against the rate
 * limit, and a page of another origin cannot open a socket (cross-site WebSocket hijacking).
 */
import WebSocket from 'ws';
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';
import { until } from '../helpers/processes';
import { raiseTicket as raiseViaGraphQL } from '../helpers/tickets';
import { countLiveSubscriptions, errorOf, nextOf, rawSocket, sendTogether, type RawSocket } from './helpers';

jest.setTimeout(30_000);

const MAX_SUBSCRIPTIONS = 3;
const RATE_LIMIT = 5;
const APP_ORIGIN = 'https://app.example';

let t: TestApp;
/** RATE_LIMIT_MAX=5. */
let limited: TestApp;
let liveSubscriptions: () => number;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  [t, limited] = await Promise.all([
    startTestApp({ RATE_LIMIT_MAX: '100000', WS_MAX_SUBSCRIPTIONS: String(MAX_SUBSCRIPTIONS), JWT_CLOCK_SKEW_S: '0', CORS_ORIGINS: APP_ORIGIN }),
    startTestApp({ RATE_LIMIT_MAX: String(RATE_LIMIT) }),
  ]);
  liveSubscriptions = countLiveSubscriptions(t.app.container.pubSub as never);
}, 60_000);

afterEach(async () => {
  sockets.splice(0).forEach((socket) => socket.close());
  await until(
    () => liveSubscriptions() === 0,
    5000,
    () => `every subscription to end (${liveSubscriptions()} live)`,
  );
});

afterAll(async () => {
  await Promise.allSettled([t?.stop(), limited?.stop()]);
});

async function socketOf(app: TestApp, payload: Record<string, unknown> = { apiKey: ACME_KEY }): Promise<RawSocket> {
  const socket = await rawSocket(app.wsUrl);
  sockets.push(socket);
  await socket.init(payload);
  return socket;
}

const WATCH = 'subscription { ticketUpdated { id } }';
const subscribeMessage = (id: string, query = WATCH) => ({ id, type: 'subscribe', payload: { query, variables: {} } });

describe('one live operation per id', () => {
  it('refuses an id reused while the operation that had it is still ending (subscribe, complete, subscribe) with 4409', async () => {
    const socket = await socketOf(t);
    const burst: unknown[] = [];
    for (let i = 0; i < 20; i += 1) burst.push(subscribeMessage('X'), { id: 'X', type: 'complete' });
    burst.push(subscribeMessage('X'));
    sendTogether(socket, burst);
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4409, reason: 'Subscriber for X already exists' });
    // Closing the socket ended everything it started: nothing keeps listening.
    await until(
      () => liveSubscriptions() === 0,
      5000,
      () => `the socket's subscriptions to end (${liveSubscriptions()} live)`,
    );
  });

  it('accepts the id again once its operation has ended, and then delivers each event once', async () => {
    const socket = await socketOf(t);
    socket.subscribe('X', WATCH);
    await until(() => liveSubscriptions() === 1, 5000, 'the subscription to start');
    socket.send({ id: 'X', type: 'complete' });
    await until(() => liveSubscriptions() === 0, 5000, 'the completed subscription to end');
    socket.subscribe('X', WATCH);
    await until(() => liveSubscriptions() === 1, 5000, 'the new subscription to start');
    const first = await raiseViaGraphQL(t);
    const second = await raiseViaGraphQL(t);
    await socket.waitFor((m) => m.id === 'X' && m.type === 'next' && m.payload.data.ticketUpdated.id === second);
    expect(socket.messages.filter((m) => m.id === 'X' && m.type === 'next' && m.payload.data.ticketUpdated.id === first)).toHaveLength(1);
  });

  it('ends every subscription of a socket when the client drops it', async () => {
    const socket = await socketOf(t);
    for (let i = 1; i <= MAX_SUBSCRIPTIONS; i += 1) socket.subscribe(`s${i}`, WATCH);
    await until(() => liveSubscriptions() === MAX_SUBSCRIPTIONS, 5000, 'the subscriptions to start');
    socket.close();
    await until(
      () => liveSubscriptions() === 0,
      5000,
      () => `the dropped socket's subscriptions to end (${liveSubscriptions()} live)`,
    );
  });

  it(`keeps the cap of ${MAX_SUBSCRIPTIONS} subscriptions per connection whatever the ids`, async () => {
    const socket = await socketOf(t);
    const burst: unknown[] = [];
    for (let i = 0; i <= MAX_SUBSCRIPTIONS; i += 1) burst.push(subscribeMessage(`c${i}`));
    sendTogether(socket, burst);
    const refused = await errorOf(socket, `c${MAX_SUBSCRIPTIONS}`);
    expect(refused.payload[0].message).toBe(`At most ${MAX_SUBSCRIPTIONS} subscriptions per connection`);
    await until(() => liveSubscriptions() === MAX_SUBSCRIPTIONS, 5000, 'the subscriptions under the cap to start');
  });
});

describe('credentials that expire', () => {
  it('close the socket with 4403 when the token expires, and no operation runs after', async () => {
    const expiresAt = (Math.floor(Date.now() / 1000) + 2) * 1000;
    const token = await t.token({ role: 'admin', sub: 'short-lived' }, expiresAt / 1000);
    const socket = await socketOf(t, { authorization: `Bearer ${token}` });
    socket.subscribe('before', '{ tickets(first: 1) { totalCount } }');
    expect((await nextOf(socket, 'before')).payload.errors).toBeUndefined();
    const closed = await socket.closed;
    expect(closed).toEqual({ code: 4403, reason: 'Credentials expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
  });

  it('are checked again for every operation, whatever timers say', async () => {
    const count = async () => (await t.gql('{ tickets(first: 0) { totalCount } }', {}, { apiKey: ACME_KEY })).body.data.tickets.totalCount;
    const before = await count();
    const token = await t.token({ role: 'admin', sub: 'an-hour' }, '1h');
    const socket = await socketOf(t, { authorization: `Bearer ${token}` });
    socket.subscribe('now', '{ tickets(first: 1) { totalCount } }');
    expect((await nextOf(socket, 'now')).payload.errors).toBeUndefined();
    // Two hours later (the server runs in this process): its expiry timer is an hour away still.
    const later = Date.now() + 2 * 3_600_000;
    const now = jest.spyOn(Date, 'now').mockImplementation(() => later);
    try {
      socket.subscribe('later', 'mutation { raiseTicket(input: { type: "Payment", subject: "after expiry", userId: 6, comments: "x" }) { id } }');
      expect(await socket.closed).toEqual({ code: 4403, reason: 'Credentials expired' });
    } finally {
      now.mockRestore();
    }
    expect(socket.messages.filter((m) => m.id === 'later' && m.type === 'next')).toEqual([]);
    expect(await count()).toBe(before);
  });
});

describe('refused operations', () => {
  it(`count against the rate limit (${RATE_LIMIT} per window): parse, validation and limit refusals alike`, async () => {
    const socket = await socketOf(limited);
    const refusals = ['{', '{ nope }', '{ tickets(first: 500) { totalCount } }', '{', '{ nope }'];
    refusals.forEach((query, i) => socket.subscribe(`bad${i}`, query));
    for (let i = 0; i < refusals.length; i += 1) await errorOf(socket, `bad${i}`);
    socket.subscribe('good', '{ tickets(first: 1) { totalCount } }');
    const refused = await errorOf(socket, 'good');
    expect(refused.payload[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
  });
});

describe('the Origin of a WebSocket upgrade', () => {
  const upgrade = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(t.wsUrl, 'graphql-transport-ws', { headers });
      ws.once('open', () => {
        ws.terminate();
        resolve(101);
      });
      ws.once('unexpected-response', (_req, res) => {
        ws.terminate();
        resolve(res.statusCode ?? 0);
      });
      ws.once('error', (error) => (error.message.includes('Unexpected server response') ? undefined : reject(error)));
    });

  it('refuses a page of another origin (cross-site WebSocket hijacking)', async () => {
    expect(await upgrade({ origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade({ origin: 'null' })).toBe(403);
  });

  it("accepts CORS_ORIGINS, the gateway's own origin, and clients that send no Origin", async () => {
    expect(await upgrade({ origin: APP_ORIGIN })).toBe(101);
    expect(await upgrade({ origin: t.url })).toBe(101);
    expect(await upgrade({})).toBe(101);
  });
});
