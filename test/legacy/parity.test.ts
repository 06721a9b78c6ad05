/**
 * The shim only translates: the same action through /api/v1 and through GraphQL leaves the same
 * state (read back through GraphQL); a message sent through /api/v1 reaches GraphQL subscribers;
 * concurrent calls behave (distinct ids, no lost message); lists and conversations longer than
 * GraphQL's 200-item page come back whole and in order.
 */
import { ACME_KEY, settle, subscribe, type TestApp } from '../helpers/app';
import { expectEnvelope, gqlData, legacy, type LegacyCall, raiseViaGraphQL, ticketCount, startLegacyApp } from './helpers';

let t: TestApp;
beforeAll(async () => {
  t = await startLegacyApp({ LEGACY_TIMEZONE: 'Europe/Berlin' });
});
afterAll(async () => {
  await t?.stop();
});

async function ok(path: string, call: LegacyCall = {}): Promise<any> {
  const response = await legacy(t, path, call);
  expectEnvelope(response);
  if (response.status !== 200) throw new Error(`${path}: ${response.text}`);
  return response.json;
}

const STATE = `query State($id: ID!) {
  ticket(id: $id) { accountId userId subject type groupName priority status due overdue assignedTo createdAt updatedAt closedAt
    resolution { type subject } rating { userId value createdAt }
    messages(first: 200) { totalCount edges { node { sender senderName body showToUser createdAt } } } }
}`;
const stateOf = async (id: string) => (await gqlData(t, STATE, { id })).ticket;

describe('parity: /api/v1 and GraphQL leave the same state', () => {
  it('through a whole lifecycle: raise, messages, assign, close with a resolution, rate, reopen', async () => {
    t.clock.set('2026-03-02T10:00:00.000Z');
    const rest = (await ok('/raise_ticket', { form: { type: 'Payment', subject: 'Unable to pay', userId: '6', comments: 'timeout', priority: 'High' } })).ticketId;
    const gql = await raiseViaGraphQL(t, { type: 'Payment', subject: 'Unable to pay', userId: 6, comments: 'timeout', priority: 'HIGH' });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));

    t.clock.advance(60_000);
    await ok('/send_message', { form: { ticketId: rest, ticketMessage: 'internal note', sender: 'admin', sender_name: 'alice', showToUser: 'false' } });
    await gqlData(t, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', {
      i: { ticketId: gql, body: 'internal note', sender: 'ADMIN', senderName: 'alice', showToUser: false },
    });
    await ok('/send_message', { json: { ticketId: rest, ticketMessage: 'me again', sender: 'user', sender_name: '6', showToUser: false } });
    await gqlData(t, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', {
      i: { ticketId: gql, body: 'me again', sender: 'USER', senderName: '6', showToUser: false },
    });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));

    t.clock.advance(60_000);
    await ok('/assign_ticket_to_admin', { form: { ticketId: rest, admin: 'alice' } });
    await gqlData(t, 'mutation($id: ID!) { assignTicket(id: $id, admin: "alice") { id } }', { id: gql });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));

    t.clock.advance(60_000);
    await ok(`/close_ticket/${rest}`, { form: { resolutionType: 'Refund', resolutionSubject: 'Refunded' } });
    await gqlData(t, 'mutation($id: ID!) { closeTicket(id: $id, resolution: { type: "Refund", subject: "Refunded" }) { id } }', { id: gql });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));

    t.clock.advance(60_000);
    await ok('/ticket_rating', { form: { ticketId: rest, userId: '6', ratingValue: '5' } });
    await gqlData(t, 'mutation($i: RateTicketInput!) { rateTicket(input: $i) { value } }', { i: { ticketId: gql, userId: 6, value: 5 } });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));

    t.clock.advance(60_000);
    await ok('/reopen_ticket', { form: { ticketId: rest, userId: '6', comments: 'broken again' } });
    await gqlData(t, 'mutation($i: ReopenTicketInput!) { reopenTicket(input: $i) { id } }', { i: { ticketId: gql, userId: 6, comments: 'broken again' } });
    const [a, b] = [await stateOf(rest), await stateOf(gql)];
    expect(a).toEqual(b);
    expect(a).toMatchObject({ status: 'OPEN', assignedTo: 'alice', messages: { totalCount: 4 } });
  });

  it('for a ticket closed immediately', async () => {
    const rest = (
      await ok('/raise_ticket', {
        json: {
          type: 'Access',
          subject: 'Locked',
          userId: 7,
          comments: 'done already',
          closeTicketImmediately: true,
          resolutionType: 'Reset',
          resolutionSubject: 'Password reset',
        },
      })
    ).ticketId;
    const gql = await raiseViaGraphQL(t, {
      type: 'Access',
      subject: 'Locked',
      userId: 7,
      comments: 'done already',
      closeImmediately: true,
      resolution: { type: 'Reset', subject: 'Password reset' },
    });
    expect(await stateOf(rest)).toEqual(await stateOf(gql));
  });

  it('and reads agree: get_tickets and get_ticket_details show what GraphQL shows', async () => {
    const id = await raiseViaGraphQL(t, { userId: 8, comments: 'hello' });
    const state = await stateOf(id);
    const row = (await ok('/get_tickets/8')).data.at(-1).Ticket;
    // Europe/Berlin is UTC+1 in March 2026.
    const berlin = (iso: string) => new Date(new Date(iso).getTime() + 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    expect(row).toEqual({
      id,
      account_id: state.accountId,
      user: '8',
      subject: state.subject,
      type: state.type,
      priority: state.priority.toLowerCase(),
      due: berlin(state.due),
      status: 'unassigned',
      assigned_to: 'NULL',
      group_name: state.groupName,
      created: berlin(state.createdAt),
    });
    const details = (await ok(`/get_ticket_details/${id}`)).message;
    expect(details.ticket_conversation).toEqual([{ sender: 'user', sender_name: '8', ticket_message: 'hello', created: berlin(state.createdAt), show_to_user: '1' }]);
  });
});

describe('GraphQL plugins apply to the shim too', () => {
  it('an Idempotency-Key makes a retried raise answer the same ticket, written once', async () => {
    const before = await ticketCount(t);
    const call: LegacyCall = { form: { type: 'Payment', subject: 'retry me', userId: '11', comments: 'once' }, headers: { 'idempotency-key': 'legacy-retry-1' } };
    const first = await legacy(t, '/raise_ticket', call);
    const second = await legacy(t, '/raise_ticket', call);
    expectEnvelope(second);
    expect(second.text).toBe(first.text);
    expect(await ticketCount(t)).toBe(before + 1);
  });
});

describe('live: a message sent through /api/v1 reaches GraphQL subscribers', () => {
  it('publishes messageAdded and ticketUpdated', async () => {
    const id = await raiseViaGraphQL(t, { userId: 9 });
    const client = t.wsClient({ apiKey: ACME_KEY });
    const messages = subscribe(client, 'subscription($id: ID!) { messageAdded(ticketId: $id) { ticketId sender senderName body showToUser } }', { id });
    const updates = subscribe(client, 'subscription($id: ID) { ticketUpdated(id: $id) { id status assignedTo } }', { id });
    await settle(200);
    await ok('/send_message', { form: { ticketId: id, ticketMessage: 'live from v1', sender: 'admin', sender_name: 'alice', showToUser: '1' } });
    await messages.waitFor(1);
    expect(messages.values[0]).toEqual({ data: { messageAdded: { ticketId: id, sender: 'ADMIN', senderName: 'alice', body: 'live from v1', showToUser: true } } });
    await ok('/assign_ticket_to_admin', { form: { ticketId: id, admin: 'bob' } });
    await updates.waitFor(1);
    expect(updates.values.at(-1)).toEqual({ data: { ticketUpdated: { id, status: 'OPEN', assignedTo: 'bob' } } });
    messages.dispose();
    updates.dispose();
  });

  it('and a user subscriber gets the visible message but never an internal note', async () => {
    const id = await raiseViaGraphQL(t, { userId: 10 });
    const userClient = t.wsClient({ authorization: `Bearer ${await t.token({ role: 'user', userId: 10 })}` });
    const seen = subscribe(userClient, 'subscription($id: ID!) { messageAdded(ticketId: $id) { body } }', { id });
    await settle(200);
    await ok('/send_message', { form: { ticketId: id, ticketMessage: 'internal', sender: 'admin', sender_name: 'alice', showToUser: 'false' } });
    await ok('/send_message', { form: { ticketId: id, ticketMessage: 'public', sender: 'admin', sender_name: 'alice', showToUser: 'true' } });
    await seen.waitFor(1);
    await settle(100);
    expect(seen.values).toEqual([{ data: { messageAdded: { body: 'public' } } }]);
    seen.dispose();
  });
});

describe('concurrency', () => {
  it('50 concurrent raises get 50 distinct ids', async () => {
    const before = await ticketCount(t);
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => legacy(t, '/raise_ticket', { form: { type: 'Load', subject: `concurrent ${i}`, userId: '42', comments: `c${i}` } })),
    );
    for (const response of responses) {
      expectEnvelope(response);
      expect(response.status).toBe(200);
    }
    const ids = responses.map((r) => Number(r.json.ticketId));
    expect(new Set(ids).size).toBe(50);
    expect(await ticketCount(t)).toBe(before + 50);
    const listed = (await ok('/get_tickets/42')).data.map((row: any) => Number(row.Ticket.id));
    expect(listed).toEqual([...ids].sort((x, y) => x - y));
  });

  it('40 concurrent messages on one ticket are all stored', async () => {
    const id = await raiseViaGraphQL(t, { userId: 43 });
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        legacy(t, '/send_message', { form: { ticketId: id, ticketMessage: `message ${i}`, sender: i % 2 ? 'user' : 'admin', sender_name: `s${i}`, showToUser: 'true' } }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
    const conversation = (await ok(`/get_ticket_details/${id}`)).message.ticket_conversation;
    expect(conversation).toHaveLength(41);
    expect(
      conversation
        .slice(1)
        .map((m: any) => m.ticket_message)
        .sort(),
    ).toEqual(Array.from({ length: 40 }, (_, i) => `message ${i}`).sort());
  });
});

describe('beyond one GraphQL page (200)', () => {
  it('get_tickets returns every match in id order, and limit/offset slice across pages', async () => {
    for (let batch = 0; batch < 11; batch += 1) {
      await Promise.all(Array.from({ length: 20 }, (_, i) => raiseViaGraphQL(t, { userId: 44, subject: `bulk ${batch}-${i}` })));
    }
    const all: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await gqlData(
        t,
        'query($after: String) { tickets(filter: { userId: 44 }, first: 200, after: $after) { edges { node { id } } pageInfo { hasNextPage endCursor } } }',
        { after },
      );
      all.push(...page.tickets.edges.map((e: any) => e.node.id));
      if (!page.tickets.pageInfo.hasNextPage) break;
      after = page.tickets.pageInfo.endCursor;
    }
    expect(all).toHaveLength(220);
    const listed = (await ok('/get_tickets/44')).data.map((row: any) => row.Ticket.id);
    expect(listed).toEqual(all);
    const slice = (await ok('/get_tickets/44/all', { query: { offset: 195, limit: 10 } })).data.map((row: any) => row.Ticket.id);
    expect(slice).toEqual(all.slice(195, 205));
    const tail = (await ok('/get_tickets/44', { query: { offset: 210 } })).data.map((row: any) => row.Ticket.id);
    expect(tail).toEqual(all.slice(210));
    const big = (await ok('/get_tickets/44', { query: { limit: 1000 } })).data;
    expect(big).toHaveLength(220);
  });

  it('get_ticket_details returns a conversation of more than 200 messages whole, in the order written', async () => {
    const id = await raiseViaGraphQL(t, { userId: 45, comments: 'm0' });
    for (let batch = 0; batch < 21; batch += 1) {
      await Promise.all(
        Array.from({ length: 10 }, (_, i) => {
          const n = batch * 10 + i + 1;
          return gqlData(t, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }', { i: { ticketId: id, body: `m${n}`, showToUser: n % 3 !== 0 } });
        }),
      );
    }
    const written: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await gqlData(
        t,
        'query($id: ID!, $after: String) { ticket(id: $id) { messages(first: 100, after: $after) { edges { node { body } } pageInfo { hasNextPage endCursor } } } }',
        { id, after },
      );
      written.push(...page.ticket.messages.edges.map((e: any) => e.node.body));
      if (!page.ticket.messages.pageInfo.hasNextPage) break;
      after = page.ticket.messages.pageInfo.endCursor;
    }
    expect(written).toHaveLength(211);
    const conversation = (await ok(`/get_ticket_details/${id}`)).message.ticket_conversation;
    expect(conversation.map((m: any) => m.ticket_message)).toEqual(written);
    expect([...written].sort()).toEqual(Array.from({ length: 211 }, (_, i) => `m${i}`).sort());
    expect(conversation.filter((m: any) => m.show_to_user === '0')).toHaveLength(70);
  });
});
