/**
 * Scale-out with real processes: gateway A and gateway B share one MongoDB and one Redis. Live
 * events written through one instance reach subscribers of the other, filtered and in order, and
 * a Redis outage costs live events only: writes keep working and subscribers resume by themselves.
 *
 * Before relying on a subscriber, a test waits until its channel shows up in Redis (PUBSUB NUMSUB):
 * graphql-ws does not acknowledge a subscription. "Nothing arrived" is checked with a later event
 * that did arrive, since events of one publisher reach a subscriber in the order they were sent.
 */
import {
  ACME_KEY,
  ASSIGN,
  GLOBEX_KEY,
  MESSAGE_ADDED,
  SEND,
  TICKET_UPDATED,
  gql,
  gqlOk,
  legacyPost,
  liveClient,
  raiseTicket,
  startCluster,
  token,
  type Cluster,
  type LiveClient,
} from './cluster';
import { until, type GatewayProcess, type LogEntry } from '../helpers/processes';

jest.setTimeout(60_000);

let c: Cluster;
const clients: LiveClient[] = [];
const live = (gateway: GatewayProcess, params: Record<string, unknown>) => {
  const client = liveClient(gateway, params);
  clients.push(client);
  return client;
};

beforeAll(async () => {
  c = await startCluster();
}, 120_000);

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.dispose()));
  // The next test's "subscribed" check must not be satisfied by this test's subscriptions.
  if (c?.redis.running) {
    let left: string[] = [];
    await until(
      async () => (left = await c.redis.channels(`${c.database}:*`)).length === 0,
      10000,
      () => `unsubscribed channels (left: ${left.join(', ')})`,
    );
  }
});

afterAll(async () => {
  await c?.stop();
}, 30_000);

type Msg = { id: string; ticketId: string; sender: string; senderName: string; body: string; showToUser: boolean };
type Tkt = { id: string; accountId: string; userId: number; status: string; assignedTo: string | null };
const message = (data: any) => data.messageAdded as Msg;
const ticket = (data: any) => data.ticketUpdated as Tkt;

/** Stored conversation, read back through the given instance. */
async function storedBodies(gateway: GatewayProcess, ticketId: string): Promise<string[]> {
  const data = await gqlOk(gateway, `query($id: ID!) { ticket(id: $id) { messages(first: 200) { edges { node { body } } } } }`, { id: ticketId });
  return data.ticket.messages.edges.map((edge: any) => edge.node.body as string);
}

const sendVia = (gateway: GatewayProcess, ticketId: string, body: string, extra: Record<string, unknown> = {}) => gqlOk(gateway, SEND, { input: { ticketId, body, ...extra } });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

it('gives tickets raised concurrently through both instances distinct ids from the MongoDB counter', async () => {
  const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => raiseTicket(i % 2 ? c.b : c.a, 100 + i, `concurrent ${i}`)));
  expect(new Set(ids).size).toBe(10);
});

it('delivers messageAdded and ticketUpdated written through B (GraphQL) to a subscriber on A', async () => {
  const ticketId = await raiseTicket(c.b, 41, 'cross-instance graphql');
  const admin = live(c.a, { authorization: `Bearer ${await token({ role: 'admin', sub: 'alice' })}` });
  const messages = admin.subscribe(MESSAGE_ADDED, { ticketId }, message);
  const updates = admin.subscribe(TICKET_UPDATED, { id: ticketId }, ticket);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
  await c.redis.waitForSubscribers(c.channel('TICKET_UPDATED', 'acme'), 1);

  await sendVia(c.b, ticketId, 'written on B', { senderName: 'bob' });
  await gqlOk(c.b, ASSIGN, { id: ticketId, admin: 'carol' });

  expect(await messages.waitFor(1)).toEqual([expect.objectContaining({ ticketId, sender: 'ADMIN', senderName: 'bob', body: 'written on B', showToUser: true })]);
  expect(await updates.waitFor(1)).toEqual([{ id: ticketId, accountId: 'acme', userId: 41, status: 'OPEN', assignedTo: 'carol' }]);
});

it('delivers a message written through B with POST /api/v1/send_message (X-API-Key) to a subscriber on A', async () => {
  const ticketId = await raiseTicket(c.b, 42, 'cross-instance legacy');
  const admin = live(c.a, { apiKey: ACME_KEY });
  const messages = admin.subscribe(MESSAGE_ADDED, { ticketId }, message);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);

  const response = await legacyPost(c.b, 'send_message', { ticketId: Number(ticketId), ticketMessage: 'legacy on B', sender: 'admin', sender_name: 'bob', showToUser: true });
  expect({ status: response.status, body: response.json ?? response.text }).toEqual({ status: 200, body: expect.objectContaining({ status: 'success' }) });

  expect(await messages.waitFor(1)).toEqual([expect.objectContaining({ ticketId, sender: 'ADMIN', senderName: 'bob', body: 'legacy on B' })]);
});

it("filters across instances: a user on A gets neither internal notes nor other users' events from B, another account gets nothing", async () => {
  const mine = await raiseTicket(c.b, 7, 'user 7 ticket');
  const theirs = await raiseTicket(c.b, 8, 'user 8 ticket');
  const user7 = live(c.a, { authorization: `Bearer ${await token({ role: 'user', userId: 7 })}` });
  const globex = live(c.a, { authorization: `Bearer ${await token({ role: 'admin', sub: 'gus', account: 'globex' })}` });
  const myMessages = user7.subscribe(MESSAGE_ADDED, { ticketId: mine }, message);
  const myTickets = user7.subscribe(TICKET_UPDATED, {}, ticket);
  const notMine = user7.subscribe(MESSAGE_ADDED, { ticketId: theirs }, message);
  const globexTickets = globex.subscribe(TICKET_UPDATED, {}, ticket);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', mine), 1);
  await c.redis.waitForSubscribers(c.channel('TICKET_UPDATED', 'acme'), 1);
  await c.redis.waitForSubscribers(c.channel('TICKET_UPDATED', 'globex'), 1);

  // What user 7 must not see, all written through B...
  await sendVia(c.b, mine, 'internal note', { showToUser: false });
  await sendVia(c.b, theirs, 'for user 8');
  await gqlOk(c.b, ASSIGN, { id: theirs, admin: 'carol' });
  // ...then what it must see: arriving, they prove the earlier ones were filtered, not late.
  await sendVia(c.b, mine, 'for user 7');
  await gqlOk(c.b, ASSIGN, { id: mine, admin: 'carol' });
  const globexTicket = await raiseTicket(c.b, 9, 'globex ticket', GLOBEX_KEY);

  expect((await myMessages.waitFor(1)).map((m) => m.body)).toEqual(['for user 7']);
  expect(await myTickets.waitFor(1)).toEqual([{ id: mine, accountId: 'acme', userId: 7, status: 'OPEN', assignedTo: 'carol' }]);
  expect(await globexTickets.waitFor(1)).toEqual([expect.objectContaining({ id: globexTicket, accountId: 'globex', userId: 9 })]);
  expect(notMine.values).toEqual([]);
  expect(JSON.stringify(notMine.errors)).toContain('NOT_FOUND');
  expect(myMessages.values).toHaveLength(1);
  expect(myTickets.values).toHaveLength(1);
  expect(globexTickets.values).toHaveLength(1);
});

it('keeps the order of 20 quick messages written through B, as seen by a subscriber on A', async () => {
  const ticketId = await raiseTicket(c.b, 43, 'ordering');
  const admin = live(c.a, { apiKey: ACME_KEY });
  const messages = admin.subscribe(MESSAGE_ADDED, { ticketId }, message);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);

  const sentAt = new Map<string, number>();
  const bodies = Array.from({ length: 20 }, (_, i) => `quick ${String(i + 1).padStart(2, '0')}`);
  for (const body of bodies) {
    sentAt.set(body, Date.now());
    await sendVia(c.b, ticketId, body);
  }
  expect((await messages.waitFor(20, 20000)).map((m) => m.body)).toEqual(bodies);
  expect((await storedBodies(c.a, ticketId)).slice(1)).toEqual(bodies);

  const latencies = messages.received.map((r) => r.at - sentAt.get(r.value.body)!).sort((x, y) => x - y);
  console.log(
    `cross-instance delivery (send on B → event on A), 20 messages: p50 ${percentile(latencies, 50)} ms, p90 ${percentile(latencies, 90)} ms, max ${latencies[latencies.length - 1]} ms`,
  );
});

describe('Redis outage', () => {
  const isRedisLog = (entry: LogEntry) => entry.component === 'redis';

  it('keeps writes working through both instances while Redis is down, and resumes live events when it is back', async () => {
    const ticketId = await raiseTicket(c.b, 44, 'outage');
    const lateTicketId = await raiseTicket(c.b, 45, 'subscribed during the outage');
    const admin = live(c.a, { authorization: `Bearer ${await token({ role: 'admin', sub: 'alice' })}` });
    const messages = admin.subscribe(MESSAGE_ADDED, { ticketId }, message);
    const updates = admin.subscribe(TICKET_UPDATED, { id: ticketId }, ticket);
    await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
    await c.redis.waitForSubscribers(c.channel('TICKET_UPDATED', 'acme'), 1);
    await sendVia(c.b, ticketId, 'before the outage');
    await messages.waitFor(1);
    const logsBefore = { a: c.a.logs().length, b: c.b.logs().length };

    await c.redis.stop('SIGKILL');
    const lost = (entry: LogEntry) => isRedisLog(entry) && entry.level === 40 && /lost|not reachable/.test(entry.msg);
    await Promise.all([c.a.waitForLog(lost, 10000, 'a warning that Redis is gone'), c.b.waitForLog(lost, 10000, 'a warning that Redis is gone')]);

    // Writes through both instances and both APIs commit and answer promptly.
    const started = Date.now();
    await sendVia(c.a, ticketId, 'during the outage, GraphQL on A');
    await sendVia(c.b, ticketId, 'during the outage, GraphQL on B');
    const legacy = await legacyPost(c.b, 'send_message', {
      ticketId: Number(ticketId),
      ticketMessage: 'during the outage, legacy on B',
      sender: 'admin',
      sender_name: 'bob',
      showToUser: true,
    });
    await gqlOk(c.a, ASSIGN, { id: ticketId, admin: 'dave' });
    const writeMs = Date.now() - started;
    // A subscription made now reaches Redis once it is back.
    const lateMessages = admin.subscribe(MESSAGE_ADDED, { ticketId: lateTicketId }, message);
    const health = await Promise.all([fetch(`${c.a.url}/readyz`), fetch(`${c.b.url}/readyz`)]);
    expect(health.map((r) => r.status)).toEqual([200, 200]);

    const restartedAt = Date.now();
    await c.redis.start();
    const back = (connection: string) => (entry: LogEntry) => isRedisLog(entry) && entry.level === 30 && entry.connection === connection && /reconnected/.test(entry.msg);
    const [, , publishB] = await Promise.all([
      c.a.waitForLog(back('subscribe'), 15000, 'A: subscribe connection back'),
      c.a.waitForLog(back('publish'), 15000, 'A: publish connection back'),
      c.b.waitForLog(back('publish'), 15000, 'B: publish connection back'),
      c.b.waitForLog(back('subscribe'), 15000, 'B: subscribe connection back'),
    ]);
    await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
    await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', lateTicketId), 1);
    await c.redis.waitForSubscribers(c.channel('TICKET_UPDATED', 'acme'), 1);
    await sendVia(c.b, ticketId, 'after the outage, on B');
    await sendVia(c.a, ticketId, 'after the outage, on A');
    await gqlOk(c.b, ASSIGN, { id: ticketId, admin: 'erin' });
    await sendVia(c.b, lateTicketId, 'to the late subscriber');

    // Events written while Redis was down are not replayed (they are in MongoDB, not in Redis).
    expect((await messages.waitFor(3)).map((m) => m.body)).toEqual(['before the outage', 'after the outage, on B', 'after the outage, on A']);
    expect((await updates.waitFor(1)).map((t) => t.assignedTo)).toEqual(['erin']);
    expect((await lateMessages.waitFor(1)).map((m) => m.body)).toEqual(['to the late subscriber']);
    const resumedMs = Date.now() - restartedAt;
    expect({ connects: admin.connects, closes: admin.closes }).toEqual({ connects: 1, closes: 0 });

    expect(writeMs).toBeLessThan(5000);
    expect({ status: legacy.status, body: legacy.json ?? legacy.text }).toEqual({ status: 200, body: expect.objectContaining({ status: 'success' }) });
    expect(await storedBodies(c.a, ticketId)).toEqual([
      'outage: first words',
      'before the outage',
      'during the outage, GraphQL on A',
      'during the outage, GraphQL on B',
      'during the outage, legacy on B',
      'after the outage, on B',
      'after the outage, on A',
    ]);

    // The log says what happened, with reasons and counts, and never the password.
    const outageLogs = [...c.a.logs().slice(logsBefore.a), ...c.b.logs().slice(logsBefore.b)].filter(isRedisLog);
    expect(outageLogs.filter((entry) => entry.level === 40).every((entry) => typeof entry.reason === 'string' && entry.reason !== '')).toBe(true);
    expect(publishB.droppedEvents).toBeGreaterThanOrEqual(2);
    for (const gateway of [c.a, c.b]) {
      expect(gateway.process.lines.join('\n')).not.toContain(c.redis.password);
      expect(gateway.logs().find(isRedisLog)).toMatchObject({ redis: `redis://127.0.0.1:${c.redis.port}` });
    }
    console.log(`Redis outage: writes during the outage took ${writeMs} ms for 4 requests; live events resumed ${resumedMs} ms after redis-server was restarted`);
  });
});

describe('other parts failing (these run last: they take A and MongoDB down)', () => {
  it('a gateway that stops closes its WebSockets with 1001, so clients reconnect through the load balancer, while the other keeps serving', async () => {
    const ticketId = await raiseTicket(c.b, 46, 'gateway down');
    const closeCodes: number[] = [];
    const admin = live(c.a, { apiKey: ACME_KEY });
    admin.client.on('closed', (event) => void closeCodes.push((event as { code: number }).code));
    admin.subscribe(MESSAGE_ADDED, { ticketId }, message);
    await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);

    const exit = new Promise<number | null>((resolve) => c.a.process.child.once('exit', (code) => resolve(code)));
    await c.a.stop();
    expect(await exit).toBe(0);
    expect(closeCodes).toEqual([1001]);
    await sendVia(c.b, ticketId, 'B still serves');
    expect(await storedBodies(c.b, ticketId)).toEqual(['gateway down: first words', 'B still serves']);
  });

  it('MongoDB down: the remaining instance answers SERVICE_UNAVAILABLE / 503 within 5 s, and /readyz says 503', async () => {
    const ticketId = await raiseTicket(c.b, 47, 'mongo down');
    await c.mongo.stop();
    const started = Date.now();
    const [graphql, legacy, ready] = await Promise.all([
      gql(c.b, SEND, { input: { ticketId, body: 'no database' } }),
      legacyPost(c.b, 'send_message', { ticketId: Number(ticketId), ticketMessage: 'no database', sender: 'admin', sender_name: 'bob', showToUser: true }),
      fetch(`${c.b.url}/readyz`),
    ]);
    const ms = Date.now() - started;
    expect(graphql.body.errors?.[0]?.extensions?.code).toBe('SERVICE_UNAVAILABLE');
    expect(legacy.status).toBe(503);
    expect(ready.status).toBe(503);
    expect(ms).toBeLessThan(5000);
    console.log(`MongoDB down: GraphQL, /api/v1 and /readyz answered within ${ms} ms`);
  });
});
