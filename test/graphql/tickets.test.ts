import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';

const admin = { apiKey: ACME_KEY };

const RAISE = `mutation Raise($input: RaiseTicketInput!) {
  raiseTicket(input: $input) { id accountId userId subject type groupName priority status due overdue assignedTo createdAt updatedAt closedAt resolution { type subject } }
}`;
const TICKET = `query T($id: ID!) {
  ticket(id: $id) { id status assignedTo due overdue closedAt resolution { type subject } rating { value userId }
    messages { totalCount edges { node { sender senderName body showToUser } } } }
}`;

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ TICKET_ID_START: '91', TYPE_GROUPS: 'Payment=Billing' });
});
afterAll(async () => {
  await t.stop();
});

async function raise(input: Record<string, unknown> = {}, credentials: { apiKey?: string; token?: string } = admin) {
  const result = await t.gql(RAISE, { input: { type: 'Payment', subject: 'Unable to pay online', userId: 6, comments: 'connection timeout', ...input } }, credentials);
  expect(result.body.errors).toBeUndefined();
  return result.body.data.raiseTicket;
}

function errorOf(result: { body: { errors?: Array<{ message: string; extensions?: Record<string, any> }> } }) {
  expect(result.body.errors).toHaveLength(1);
  return result.body.errors![0];
}

describe('raising tickets', () => {
  it('allocates sequential ids from TICKET_ID_START, computes due from the SLA and maps the group', async () => {
    t.clock.set('2016-11-21T17:01:51.000Z');
    const first = await raise();
    const second = await raise({ priority: 'URGENT', type: 'Access' });
    expect(Number(second.id)).toBe(Number(first.id) + 1);
    expect(Number(first.id)).toBeGreaterThanOrEqual(91);
    expect(first).toMatchObject({
      accountId: 'acme',
      userId: 6,
      subject: 'Unable to pay online',
      type: 'Payment',
      groupName: 'Billing',
      priority: 'MEDIUM',
      status: 'UNASSIGNED',
      due: '2016-11-22T05:01:51.000Z',
      overdue: false,
      assignedTo: null,
      createdAt: '2016-11-21T17:01:51.000Z',
      closedAt: null,
      resolution: null,
    });
    expect(second).toMatchObject({ groupName: 'Access', priority: 'URGENT', due: '2016-11-21T18:01:51.000Z' });
  });

  it('stores the comments as the first message, visible to the user', async () => {
    const ticket = await raise({ comments: '  first words  ' });
    const { body } = await t.gql(TICKET, { id: ticket.id }, admin);
    expect(body.data.ticket.messages).toEqual({
      totalCount: 1,
      edges: [{ node: { sender: 'USER', senderName: '6', body: 'first words', showToUser: true } }],
    });
  });

  it('can close immediately with a resolution, and requires one', async () => {
    const closed = await raise({ closeImmediately: true, resolution: { type: 'Refund', subject: 'Refunded' } });
    expect(closed).toMatchObject({ status: 'CLOSED', resolution: { type: 'Refund', subject: 'Refunded' } });
    expect(closed.closedAt).not.toBeNull();
    const missing = await t.gql(RAISE, { input: { type: 'x', subject: 'y', userId: 1, comments: 'z', closeImmediately: true } }, admin);
    expect(errorOf(missing).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'resolution' });
  });

  it('rejects bad input naming the field, and writes nothing', async () => {
    const before = (await t.gql('{ tickets { totalCount } }', {}, admin)).body.data.tickets.totalCount;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ subject: '   ' }, 'subject'],
      [{ type: '' }, 'type'],
      [{ comments: ' ' }, 'comments'],
      [{ userId: 0 }, 'userId'],
      [{ userId: null }, 'userId'],
      [{ subject: 'x'.repeat(256) }, 'subject'],
      [{ type: 'x'.repeat(101) }, 'type'],
    ];
    for (const [input, field] of cases) {
      const result = await t.gql(RAISE, { input: { type: 'Payment', subject: 's', userId: 6, comments: 'c', ...input } }, admin);
      const error = errorOf(result);
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(error.message).toContain(field);
    }
    const wrongType = await t.gql(RAISE, { input: { type: 'Payment', subject: 's', userId: '6x', comments: 'c' } }, admin);
    expect(errorOf(wrongType).extensions?.code).toBe('BAD_USER_INPUT');
    const after = (await t.gql('{ tickets { totalCount } }', {}, admin)).body.data.tickets.totalCount;
    expect(after).toBe(before);
  });
});

describe('lifecycle', () => {
  it('assign makes UNASSIGNED OPEN; hold and resume; close; closing again changes nothing', async () => {
    const ticket = await raise();
    const assign = `mutation($id: ID!) { assignTicket(id: $id, admin: "max@example.com") { status assignedTo } }`;
    expect((await t.gql(assign, { id: ticket.id }, admin)).body.data.assignTicket).toEqual({ status: 'OPEN', assignedTo: 'max@example.com' });
    const hold = `mutation($id: ID!, $on: Boolean!) { setTicketOnHold(id: $id, onHold: $on) { status } }`;
    expect((await t.gql(hold, { id: ticket.id, on: true }, admin)).body.data.setTicketOnHold.status).toBe('ON_HOLD');
    // Assigning an on-hold ticket keeps it on hold.
    expect((await t.gql(assign, { id: ticket.id }, admin)).body.data.assignTicket.status).toBe('ON_HOLD');
    expect((await t.gql(hold, { id: ticket.id, on: false }, admin)).body.data.setTicketOnHold.status).toBe('OPEN');

    t.clock.advance(60_000);
    const close = `mutation($id: ID!) { closeTicket(id: $id, resolution: { type: "Fix", subject: "Done" }) { status closedAt updatedAt resolution { type } } }`;
    const closed = (await t.gql(close, { id: ticket.id }, admin)).body.data.closeTicket;
    expect(closed.status).toBe('CLOSED');
    t.clock.advance(60_000);
    const again = (await t.gql(close, { id: ticket.id }, admin)).body.data.closeTicket;
    expect(again).toEqual(closed);
  });

  it('answers CONFLICT for messages, assignment and hold on a closed ticket', async () => {
    const ticket = await raise({ closeImmediately: true, resolution: { type: 'a', subject: 'b' } });
    const ops = [
      [`mutation($id: ID!) { sendMessage(input: { ticketId: $id, body: "hi" }) { id } }`, 'closed'],
      [`mutation($id: ID!) { assignTicket(id: $id, admin: "max") { id } }`, 'closed'],
      [`mutation($id: ID!) { setTicketOnHold(id: $id, onHold: true) { id } }`, 'closed'],
      [`mutation($id: ID!) { reopenTicket(input: { ticketId: $id, comments: "x", userId: 7 }) { id } }`, 'not the user'],
    ];
    for (const [query, words] of ops.slice(0, 3)) {
      const error = errorOf(await t.gql(query, { id: ticket.id }, admin));
      expect(error.extensions?.code).toBe('CONFLICT');
      expect(error.message).toContain(words);
    }
    const forbidden = errorOf(await t.gql(ops[3][0], { id: ticket.id }, admin));
    expect(forbidden.extensions?.code).toBe('FORBIDDEN');
  });

  it('reopen only from CLOSED, restarts due and appends the reason; rating only on CLOSED and replaces', async () => {
    t.clock.set('2026-03-02T10:00:00.000Z');
    const ticket = await raise({ priority: 'HIGH' });
    const reopen = `mutation($id: ID!) { reopenTicket(input: { ticketId: $id, userId: 6, comments: "still broken" }) { status due closedAt } }`;
    const rate = `mutation($id: ID!, $v: Int!) { rateTicket(input: { ticketId: $id, userId: 6, value: $v }) { ticketId userId value } }`;
    expect(errorOf(await t.gql(reopen, { id: ticket.id }, admin)).extensions?.code).toBe('CONFLICT');
    expect(errorOf(await t.gql(rate, { id: ticket.id, v: 4 }, admin)).extensions?.code).toBe('CONFLICT');

    await t.gql(`mutation($id: ID!) { assignTicket(id: $id, admin: "max") { id } }`, { id: ticket.id }, admin);
    await t.gql(`mutation($id: ID!) { closeTicket(id: $id) { id } }`, { id: ticket.id }, admin);
    expect((await t.gql(rate, { id: ticket.id, v: 4 }, admin)).body.data.rateTicket).toEqual({ ticketId: ticket.id, userId: 6, value: 4 });
    expect((await t.gql(rate, { id: ticket.id, v: 2 }, admin)).body.data.rateTicket.value).toBe(2);
    expect(errorOf(await t.gql(rate, { id: ticket.id, v: 6 }, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'value' });
    const rated = (await t.gql(TICKET, { id: ticket.id }, admin)).body.data.ticket;
    expect(rated.rating).toEqual({ value: 2, userId: 6 });

    t.clock.set('2026-03-05T08:00:00.000Z');
    const reopened = (await t.gql(reopen, { id: ticket.id }, admin)).body.data.reopenTicket;
    expect(reopened).toEqual({ status: 'OPEN', due: '2026-03-05T12:00:00.000Z', closedAt: null });
    const details = (await t.gql(TICKET, { id: ticket.id }, admin)).body.data.ticket;
    expect(details.messages.edges.map((e: any) => e.node.body)).toEqual(['connection timeout', 'still broken']);
  });

  it('answers NOT_FOUND for unknown tickets and BAD_USER_INPUT for malformed ids', async () => {
    expect(errorOf(await t.gql(`mutation { closeTicket(id: "999999") { id } }`, {}, admin)).extensions?.code).toBe('NOT_FOUND');
    expect((await t.gql(`{ ticket(id: "999999") { id } }`, {}, admin)).body.data.ticket).toBeNull();
    expect(errorOf(await t.gql(`{ ticket(id: "abc") { id } }`, {}, admin)).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});

describe('conversations', () => {
  it('keeps messages in the order written, pages them, and hides internal notes from users', async () => {
    const ticket = await raise({ userId: 44 });
    const send = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ticketId sender senderName body showToUser } }`;
    const sent = (await t.gql(send, { input: { ticketId: ticket.id, body: 'looking', showToUser: true } }, admin)).body.data.sendMessage;
    expect(sent).toEqual({ ticketId: ticket.id, sender: 'ADMIN', senderName: expect.stringMatching(/^service:/), body: 'looking', showToUser: true });
    await t.gql(send, { input: { ticketId: ticket.id, body: 'internal note', showToUser: false, senderName: 'max' } }, admin);
    await t.gql(send, { input: { ticketId: ticket.id, body: 'user reply', sender: 'USER', senderName: 'max', showToUser: false } }, admin);

    const page = `query($id: ID!, $after: String) { ticket(id: $id) { messages(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { body showToUser } } } } }`;
    const p1 = (await t.gql(page, { id: ticket.id }, admin)).body.data.ticket.messages;
    expect(p1.totalCount).toBe(4);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const p2 = (await t.gql(page, { id: ticket.id, after: p1.pageInfo.endCursor }, admin)).body.data.ticket.messages;
    expect([...p1.edges, ...p2.edges].map((e: any) => e.node.body)).toEqual(['connection timeout', 'looking', 'internal note', 'user reply']);
    expect(p2.pageInfo.hasNextPage).toBe(false);
    // A USER message is always visible, whatever showToUser said.
    expect(p2.edges[1].node.showToUser).toBe(true);

    const user = await t.token({ role: 'user', userId: 44 });
    const seen = (await t.gql(page, { id: ticket.id }, { token: user })).body.data.ticket.messages;
    expect(seen.totalCount).toBe(3);
    const all = (await t.gql(`query($id: ID!) { ticket(id: $id) { messages { edges { node { body } } } } }`, { id: ticket.id }, { token: user })).body.data;
    expect(all.ticket.messages.edges.map((e: any) => e.node.body)).toEqual(['connection timeout', 'looking', 'user reply']);
  });

  it('rejects a cursor from another list', async () => {
    const list = (await t.gql(`{ tickets(first: 1) { pageInfo { endCursor } } }`, {}, admin)).body.data.tickets;
    const ticket = await raise();
    const result = await t.gql(
      `query($id: ID!, $after: String) { ticket(id: $id) { messages(after: $after) { totalCount } } }`,
      { id: ticket.id, after: list.pageInfo.endCursor },
      admin,
    );
    expect(errorOf(result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
});

describe('lists', () => {
  it('pages through every ticket with no repeats, in id order, with totalCount', async () => {
    const query = `query($after: String) { tickets(first: 7, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { id } } } }`;
    for (let i = 0; i < 12; i += 1) await raise({ userId: 500 + i });
    const ids: number[] = [];
    let after: string | null = null;
    let total = 0;
    for (let pages = 0; pages < 50; pages += 1) {
      const page: any = (await t.gql(query, { after }, admin)).body.data.tickets;
      total = page.totalCount;
      ids.push(...page.edges.map((e: any) => Number(e.node.id)));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(ids.length).toBe(total);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(total).toBeGreaterThan(14);
  });

  it('caps first at 200', async () => {
    const result = await t.gql(`{ tickets(first: 201) { totalCount } }`, {}, admin);
    expect(errorOf(result).extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
  });

  it('filters by user, assignee, priority, type and creation time', async () => {
    t.clock.set('2030-01-01T00:00:00.000Z');
    const a = await raise({ userId: 9001, priority: 'LOW', type: 'Filterable' });
    t.clock.set('2030-01-02T00:00:00.000Z');
    const b = await raise({ userId: 9001, type: 'Filterable' });
    await t.gql(`mutation($id: ID!) { assignTicket(id: $id, admin: "zoe") { id } }`, { id: b.id }, admin);
    const ids = async (filter: Record<string, unknown>) =>
      (await t.gql(`query($f: TicketFilter) { tickets(filter: $f) { edges { node { id } } } }`, { f: filter }, admin)).body.data.tickets.edges.map((e: any) => e.node.id);
    expect(await ids({ userId: 9001 })).toEqual([a.id, b.id]);
    expect(await ids({ userId: 9001, assignedTo: 'zoe' })).toEqual([b.id]);
    expect(await ids({ type: 'Filterable', priority: 'LOW' })).toEqual([a.id]);
    expect(await ids({ userId: 9001, createdFrom: '2030-01-01T12:00:00Z' })).toEqual([b.id]);
    expect(await ids({ userId: 9001, createdTo: '2030-01-01T00:00:00Z' })).toEqual([a.id]);
  });
});

describe('views, with the clock moved', () => {
  it('evaluates UNRESOLVED, OVERDUE, DUE_TODAY and the status views at request time', async () => {
    const view = async (v: string) =>
      (await t.gql(`query($v: TicketView) { tickets(filter: { userId: 777, view: $v }) { edges { node { id overdue } } } }`, { v }, admin)).body.data.tickets.edges.map(
        (e: any) => e.node.id,
      );
    t.clock.set('2031-05-10T08:00:00.000Z');
    const urgent = await raise({ userId: 777, priority: 'URGENT' }); // due 09:00 the same day
    const low = await raise({ userId: 777, priority: 'LOW' }); // due 08:00 the next day
    const closed = await raise({ userId: 777, closeImmediately: true, resolution: { type: 'a', subject: 'b' } });
    const held = await raise({ userId: 777 });
    await t.gql(`mutation($id: ID!) { setTicketOnHold(id: $id, onHold: true) { id } }`, { id: held.id }, admin);
    const open = await raise({ userId: 777, priority: 'HIGH' });
    await t.gql(`mutation($id: ID!) { assignTicket(id: $id, admin: "max") { id } }`, { id: open.id }, admin);

    expect(await view('UNRESOLVED')).toEqual([urgent.id, low.id, held.id, open.id]);
    expect(await view('CLOSED')).toEqual([closed.id]);
    expect(await view('ON_HOLD')).toEqual([held.id]);
    expect(await view('OPEN')).toEqual([open.id]);
    expect(await view('UNASSIGNED')).toEqual([urgent.id, low.id]);
    expect(await view('OVERDUE')).toEqual([]);
    expect(await view('DUE_TODAY')).toEqual([urgent.id, held.id, open.id]); // low is due tomorrow 08:00
    t.clock.set('2031-05-10T09:30:00.000Z');
    expect(await view('OVERDUE')).toEqual([urgent.id]);
    const overdueFlag = (await t.gql(`query($id: ID!) { ticket(id: $id) { overdue } }`, { id: urgent.id }, admin)).body.data.ticket.overdue;
    expect(overdueFlag).toBe(true);
    t.clock.set('2031-05-11T07:00:00.000Z');
    expect(await view('DUE_TODAY')).toEqual([low.id]);
    expect(await view('OVERDUE')).toEqual([urgent.id, held.id, open.id]);
  });
});
