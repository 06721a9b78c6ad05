import { MongoClient, type Db } from 'mongodb';
import { signToken } from '../../src/auth/auth.service';
import { until } from '../helpers/arrivals';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway';
import { startMongoProcess, type MongoProcess } from '../helpers/mongo';

/**
 * No change without its event, and no event without its change, whatever stops the writer: a gateway
 * that kills itself between every pair of the relay's steps (after the change is written, after its
 * effects are applied, after its event is appended), and another instance finishing what it left.
 */
const JWT_SECRET = 'fault-injection-secret-at-least-32-characters';
const API_KEY = 'fault-injection-acme-key-0123';
const DB = 'event_log_faults';
const POINTS = ['relay:start', 'relay:after-effects', 'relay:after-append'] as const;

let mongo: MongoProcess;
let survivor: GatewayProcess;
let client: MongoClient;
let db: Db;

const env = (extra: Record<string, string> = {}) => ({
  MONGODB_URI: mongo.uri,
  MONGODB_DATABASE: DB,
  MONGODB_WRITE_CONCERN: '1',
  JWT_SECRET,
  API_KEYS: `${API_KEY}:acme`,
  RATE_LIMIT_MAX: '1000000',
  ...extra,
});

async function gql(gateway: GatewayProcess, query: string, variables: Record<string, unknown>, headers: Record<string, string> = { 'x-api-key': API_KEY }) {
  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const RAISE = `mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }`;
const raise = async (gateway: GatewayProcess, subject: string) =>
  (await gql(gateway, RAISE, { input: { type: 'Payment', subject, userId: 7, comments: `${subject}: first words` } })).raiseTicket.id as string;
const close = (gateway: GatewayProcess, id: string) => gql(gateway, `mutation($id: ID!) { closeTicket(id: $id) { id } }`, { id });

/** What each scenario does on a ticket the survivor prepared; `id` is undefined for a raise. */
const MUTATIONS: Record<string, { prepare?(id: string): Promise<unknown>; run(gateway: GatewayProcess, id: string | undefined): Promise<unknown> }> = {
  raise: { run: (g) => raise(g, 'raised by the victim') },
  message: { run: (g, id) => gql(g, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, { input: { ticketId: id, body: 'a message' } }) },
  assign: { run: (g, id) => gql(g, `mutation($id: ID!) { assignTicket(id: $id, admin: "bob") { id } }`, { id }) },
  rate: {
    prepare: (id) => close(survivor, id),
    run: async (g, id) =>
      gql(
        g,
        `mutation($input: RateTicketInput!) { rateTicket(input: $input) { value } }`,
        { input: { ticketId: id, value: 4 } },
        { authorization: `Bearer ${await signToken(JWT_SECRET, { role: 'user', userId: 7, account: 'acme' })}` },
      ),
  },
  reopen: {
    prepare: (id) => close(survivor, id),
    run: (g, id) => gql(g, `mutation($input: ReopenTicketInput!) { reopenTicket(input: $input) { id } }`, { input: { ticketId: id, comments: 'again' } }),
  },
};

beforeAll(async () => {
  mongo = await startMongoProcess();
  // The other instance, sweeping often: it finishes what a killed one left in its outboxes.
  survivor = await startGatewayProcess('survivor', env({ EVENT_RELAY_INTERVAL_MS: '100' }));
  client = await MongoClient.connect(mongo.uri);
  db = client.db(DB);
}, 120_000);

afterAll(async () => {
  await client?.close();
  await survivor?.stop();
  await mongo?.stop();
});

/** The log and the data agree: every change has its event, every event its change, gap-free sequences. */
async function expectLogAndDataAgree(): Promise<void> {
  const events = await db.collection('events').find({ accountId: 'acme' }).sort({ seq: 1 }).toArray();
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  const tickets = await db.collection('tickets').find({}).toArray();
  for (const ticket of tickets) {
    expect(ticket.outbox ?? []).toEqual([]);
    const own = events.filter((e) => e.ticketId === ticket._id);
    expect(own[0]?.type).toBe('TICKET_RAISED');
    const last = own.filter((e) => e.type !== 'MESSAGE_ADDED').at(-1)!;
    const state = last.ticket;
    expect({ status: state.status, assignedTo: state.assignedTo, due: state.due, closedAt: state.closedAt }).toEqual({
      status: ticket.status,
      assignedTo: ticket.assignedTo,
      due: ticket.due.toISOString(),
      closedAt: ticket.closedAt ? ticket.closedAt.toISOString() : null,
    });
    const messages = await db.collection('messages').find({ ticketId: ticket._id }).sort({ seq: 1 }).toArray();
    const added = own.filter((e) => e.type === 'MESSAGE_ADDED').map((e) => e.message);
    expect(messages.map((m) => ({ id: m._id.toHexString(), seq: m.seq, body: m.body }))).toEqual(added.map((m) => ({ id: m._id.toHexString(), seq: m.seq, body: m.body })));
    expect(messages.map((m) => m.seq)).toEqual(messages.map((_, i) => i + 1));
    expect(messages.length).toBe(ticket.messageSeq);
    const rated = own.filter((e) => e.type === 'TICKET_RATED').at(-1);
    const rating = await db.collection('ratings').findOne({ _id: ticket._id as never });
    expect(rating?.value ?? null).toBe(rated ? Number(rated.changes.find((c: { field: string }) => c.field === 'rating').to) : null);
    expect(ticket.ratingValue ?? null).toBe(rating?.value ?? null);
  }
}

describe.each(Object.keys(MUTATIONS))('a %s', (name) => {
  it.each(POINTS)(
    'whose writer is killed at %s is finished by another instance, exactly once',
    async (point) => {
      const mutation = MUTATIONS[name];
      const id = name === 'raise' ? undefined : await raise(survivor, `${name} at ${point}`);
      if (id !== undefined) await mutation.prepare?.(id);
      const ticketsBefore = await db.collection('tickets').countDocuments();
      const messagesBefore = id === undefined ? 0 : await db.collection('messages').countDocuments({ ticketId: Number(id) });

      const victim = await startGatewayProcess(`victim ${name} ${point}`, env({ FAULT_INJECTION_POINT: point, EVENT_RELAY_INTERVAL_MS: '3600000' }));
      await expect(mutation.run(victim, id)).rejects.toThrow();
      await until(() => !victim.process.running, 10_000, 'the victim to be gone');
      expect(victim.process.child.signalCode).toBe('SIGKILL');

      await until(async () => (await db.collection('tickets').countDocuments({ 'outbox.0': { $exists: true } })) === 0, 20_000, 'the outboxes to be empty');
      await expectLogAndDataAgree();
      // The change happened exactly once.
      if (name === 'raise') expect(await db.collection('tickets').countDocuments()).toBe(ticketsBefore + 1);
      if (name === 'message') expect(await db.collection('messages').countDocuments({ ticketId: Number(id) })).toBe(messagesBefore + 1);
      if (name === 'reopen') {
        const events = await db
          .collection('events')
          .find({ ticketId: Number(id) })
          .sort({ seq: 1 })
          .toArray();
        expect(events.slice(-2).map((e) => e.type)).toEqual(['TICKET_REOPENED', 'MESSAGE_ADDED']);
      }
    },
    90_000,
  );
});
