/**
 * Idempotent writes: an `Idempotency-Key` on raise_ticket / send_message (the legacy shim) and on the
 * raiseTicket / sendMessage mutations. A replay answers the first response and writes nothing; the
 * key with another body is 422; ten concurrent requests with one key make one ticket; keys live 24 h
 * (a TTL index, and a key older than that may be used again).
 */
import type { CommandStartedEvent } from 'mongodb';
import { ACME_KEY, GLOBEX_KEY, startTestApp, type TestApp } from '../helpers/app';
import { expectEnvelope, legacy, raiseViaGraphQL, ticketCount } from '../legacy/helpers';

jest.setTimeout(30_000);

let t: TestApp;
/** Every write command the gateway sent: `<command> <collection>`. */
const writes: string[] = [];
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'createIndexes', 'drop']);

beforeAll(async () => {
  t = await startTestApp({ RATE_LIMIT_MAX: '100000' }, { monitorCommands: true });
  t.app.database.connection.getClient().on('commandStarted', (event: CommandStartedEvent) => {
    if (WRITE_COMMANDS.has(event.commandName)) writes.push(`${event.commandName} ${String(event.command[event.commandName])}`);
  });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** The write commands `action` caused, except on the idempotency keys themselves. */
async function dataWritesDuring<T>(action: () => Promise<T>): Promise<{ result: T; writes: string[] }> {
  const before = writes.length;
  const result = await action();
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { result, writes: writes.slice(before).filter((w) => !w.endsWith(' idempotency_keys')) };
}

const RAISE = `mutation Raise($input: RaiseTicketInput!) { raiseTicket(input: $input) { id subject } }`;
const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id body } }`;
const MESSAGES = `query($id: ID!) { ticket(id: $id) { messages(first: 200) { totalCount } } }`;

let keys = 0;
/** A key no other request used. */
const freshKey = () => `reliability-${process.pid}-${(keys += 1)}`;

async function gqlWithKey(query: string, variables: Record<string, unknown>, key: string, apiKey = ACME_KEY) {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'idempotency-key': key },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const raiseForm = (subject: string) => ({ type: 'Payment', subject, userId: 6, comments: 'connection timeout' });

async function messageCount(ticketId: string): Promise<number> {
  const { body } = await t.gql(MESSAGES, { id: ticketId }, { apiKey: ACME_KEY });
  return body.data.ticket.messages.totalCount;
}

describe('the legacy shim', () => {
  it('raise_ticket: a replay answers the first response byte for byte and writes nothing', async () => {
    const key = freshKey();
    const before = await ticketCount(t);
    const first = await legacy(t, '/raise_ticket', { json: raiseForm('idempotent raise'), headers: { 'idempotency-key': key } });
    expectEnvelope(first);
    expect(first.status).toBe(200);
    const { result: replay, writes: written } = await dataWritesDuring(() =>
      legacy(t, '/raise_ticket', { json: raiseForm('idempotent raise'), headers: { 'idempotency-key': key } }),
    );
    expect(replay.status).toBe(200);
    expect(replay.text).toBe(first.text);
    expect(written).toEqual([]);
    expect(await ticketCount(t)).toBe(before + 1);
  });

  it('send_message: a replay adds no second message', async () => {
    const ticketId = await raiseViaGraphQL(t);
    const key = freshKey();
    const form = { ticketId, ticketMessage: 'once only', sender: 'admin', sender_name: 'alice', showToUser: 'true' };
    const first = await legacy(t, '/send_message', { form, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(200);
    const { result: replay, writes: written } = await dataWritesDuring(() => legacy(t, '/send_message', { form, headers: { 'idempotency-key': key } }));
    expect(replay.text).toBe(first.text);
    expect(written).toEqual([]);
    expect(await messageCount(ticketId)).toBe(2);
  });

  it('the same key with a different body is a 422 envelope, and writes nothing', async () => {
    const key = freshKey();
    expect((await legacy(t, '/raise_ticket', { json: raiseForm('first body'), headers: { 'idempotency-key': key } })).status).toBe(200);
    const before = await ticketCount(t);
    const { result: other, writes: written } = await dataWritesDuring(() => legacy(t, '/raise_ticket', { json: raiseForm('another body'), headers: { 'idempotency-key': key } }));
    expectEnvelope(other);
    expect(other.status).toBe(422);
    expect(other.json.message).toMatch(/Idempotency-Key/);
    expect(written).toEqual([]);
    expect(await ticketCount(t)).toBe(before);
  });

  it('ten concurrent raise_ticket requests with one key create one ticket, and all answer it', async () => {
    const key = freshKey();
    const before = await ticketCount(t);
    const answers = await Promise.all(Array.from({ length: 10 }, () => legacy(t, '/raise_ticket', { json: raiseForm('concurrent legacy'), headers: { 'idempotency-key': key } })));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(await ticketCount(t)).toBe(before + 1);
  });
});

describe('GraphQL', () => {
  it('raiseTicket: a replay answers the first result, marked Idempotent-Replayed, and writes nothing', async () => {
    const key = freshKey();
    const before = await ticketCount(t);
    const variables = { input: raiseForm('graphql raise') };
    const first = await gqlWithKey(RAISE, variables, key);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).errors).toBeUndefined();
    const { result: replay, writes: written } = await dataWritesDuring(() => gqlWithKey(RAISE, variables, key));
    expect(replay.status).toBe(200);
    expect(JSON.parse(replay.text)).toEqual(JSON.parse(first.text));
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(written).toEqual([]);
    expect(await ticketCount(t)).toBe(before + 1);
  });

  it('sendMessage: a replay adds no second message', async () => {
    const ticketId = await raiseViaGraphQL(t);
    const key = freshKey();
    const variables = { input: { ticketId, body: 'graphql once' } };
    const first = await gqlWithKey(SEND, variables, key);
    expect(JSON.parse(first.text).errors).toBeUndefined();
    const { result: replay, writes: written } = await dataWritesDuring(() => gqlWithKey(SEND, variables, key));
    expect(JSON.parse(replay.text)).toEqual(JSON.parse(first.text));
    expect(written).toEqual([]);
    expect(await messageCount(ticketId)).toBe(2);
  });

  it('the same key with different variables is 422 UNPROCESSABLE, and writes nothing', async () => {
    const key = freshKey();
    expect((await gqlWithKey(RAISE, { input: raiseForm('one') }, key)).status).toBe(200);
    const before = await ticketCount(t);
    const { result: other, writes: written } = await dataWritesDuring(() => gqlWithKey(RAISE, { input: raiseForm('two') }, key));
    expect(other.status).toBe(422);
    expect(JSON.parse(other.text).errors[0].extensions).toMatchObject({ code: 'UNPROCESSABLE', field: 'Idempotency-Key' });
    expect(written).toEqual([]);
    expect(await ticketCount(t)).toBe(before);
  });

  it('ten concurrent raiseTicket mutations with one key create one ticket, and all answer it', async () => {
    const key = freshKey();
    const before = await ticketCount(t);
    const answers = await Promise.all(Array.from({ length: 10 }, () => gqlWithKey(RAISE, { input: raiseForm('concurrent graphql') }, key)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const ids = answers.map((a) => JSON.parse(a.text).data?.raiseTicket.id);
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toEqual(expect.any(String));
    expect(await ticketCount(t)).toBe(before + 1);
  });

  it('keeps keys private to their credential: another API key with the same key raises its own ticket', async () => {
    const key = freshKey();
    const acme = JSON.parse((await gqlWithKey(RAISE, { input: raiseForm('scoped') }, key, ACME_KEY)).text);
    const globex = JSON.parse((await gqlWithKey(RAISE, { input: raiseForm('scoped') }, key, GLOBEX_KEY)).text);
    expect(globex.errors).toBeUndefined();
    expect(globex.data.raiseTicket.id).not.toBe(acme.data.raiseTicket.id);
  });
});

describe('expiry', () => {
  it('has a TTL index of 24 h on idempotency_keys', async () => {
    const indexes = await t.app.database.connection.getClient().db(t.app.config.mongodbDatabase).collection('idempotency_keys').listIndexes().toArray();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { createdAt: 1 }, expireAfterSeconds: 86400 }));
  });

  it('lets a key be used again once it is older than 24 h', async () => {
    const key = freshKey();
    const variables = { input: raiseForm('expiring') };
    const first = JSON.parse((await gqlWithKey(RAISE, variables, key)).text).data.raiseTicket.id;
    t.clock.advance(23 * 3_600_000);
    expect(JSON.parse((await gqlWithKey(RAISE, variables, key)).text).data.raiseTicket.id).toBe(first);
    t.clock.advance(2 * 3_600_000);
    const again = await gqlWithKey(RAISE, variables, key);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    const second = JSON.parse(again.text).data.raiseTicket.id;
    expect(second).not.toBe(first);
    // And the renewed key now replays the new ticket.
    expect(JSON.parse((await gqlWithKey(RAISE, variables, key)).text).data.raiseTicket.id).toBe(second);
  });
});
