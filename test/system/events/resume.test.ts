/**
 * Resuming from the event log across real processes: a client whose gateway was killed, or whose
 * live events were lost while Redis was down, subscribes again with the last eventCursor it saw and
 * gets every event it missed, in order, exactly once, then the live ones.
 */
import { ResumableMessagesDocument, SendMessageWithCursorDocument } from '../../generated/graphql';
import { until } from '../../helpers/arrivals';
import { ACME_KEY } from '../../helpers/credentials';
import { startCluster, startGatewayProcess, type Cluster, type GatewayProcess } from '../../helpers/gateway';
import { gqlData, liveClient, type LiveClient } from '../../helpers/graphql';
import { raiseTicket } from '../../helpers/tickets';

jest.setTimeout(90_000);

let c: Cluster;
const clients: LiveClient[] = [];
const live = (gateway: GatewayProcess) => {
  const client = liveClient(gateway, { apiKey: ACME_KEY });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  c = await startCluster();
}, 120_000);
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.dispose()));
});
afterAll(async () => {
  await c?.stop();
}, 30_000);

const MESSAGES = ResumableMessagesDocument;
const SEND = SendMessageWithCursorDocument;
type Seen = { body: string; eventCursor: string };
const pick = (data: any) => data.messageAdded as Seen;
const send = async (gateway: GatewayProcess, ticketId: string, body: string) => (await gqlData(gateway, SEND, { input: { ticketId, body } })).sendMessage.eventCursor as string;

it('after its gateway was killed, on another instance', async () => {
  const ticketId = await raiseTicket(c.b, { userId: 7, subject: 'restart', comments: 'first words' });
  const victim = await startGatewayProcess('gateway-victim', { ...c.env });
  const first = live(victim).subscribe(MESSAGES, { id: ticketId }, pick);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
  await send(c.b, ticketId, 'one');
  const [one] = await first.waitFor(1);
  expect(one.body).toBe('one');

  await victim.process.stop('SIGKILL');
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 0);
  await send(c.b, ticketId, 'two');
  await send(c.b, ticketId, 'three');
  const again = live(c.a).subscribe(MESSAGES, { id: ticketId, after: one.eventCursor }, pick);
  expect((await again.waitFor(2)).map((m) => m.body)).toEqual(['two', 'three']);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
  await send(c.b, ticketId, 'four');
  expect((await again.waitFor(3)).map((m) => m.body)).toEqual(['two', 'three', 'four']);
});

it('after a Redis outage that lost its live events', async () => {
  const ticketId = await raiseTicket(c.b, { userId: 7, subject: 'outage', comments: 'first words' });
  const client = live(c.a);
  const feed = client.subscribe(MESSAGES, { id: ticketId }, pick);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
  await send(c.b, ticketId, 'before');
  const [before] = await feed.waitFor(1);

  await c.redis.stop('SIGKILL');
  await send(c.b, ticketId, 'during 1');
  await send(c.a, ticketId, 'during 2');
  await c.redis.start();
  await until(() => c.redis.ping(), 10_000, 'Redis back');
  // The client knows it may have missed events (its Redis-fed instance said nothing for a while):
  // it subscribes again from the last cursor it saw.
  feed.dispose();
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 0);
  const resumed = client.subscribe(MESSAGES, { id: ticketId, after: before.eventCursor }, pick);
  expect((await resumed.waitFor(2)).map((m) => m.body)).toEqual(['during 1', 'during 2']);
  await c.redis.waitForSubscribers(c.channel('MESSAGE_ADDED', 'acme', ticketId), 1);
  await send(c.b, ticketId, 'after');
  expect((await resumed.waitFor(3)).map((m) => m.body)).toEqual(['during 1', 'during 2', 'after']);
});
