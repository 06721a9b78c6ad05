import { SignJWT } from 'jose';
import { ACME_KEY, GLOBEX_KEY, settle, startTestApp, subscribe, TEST_JWT_SECRET, type TestApp } from '../helpers/app';

/**
 * Who may see and do what, as a table: admin, the ticket's user, another user, another account,
 * no credentials, an expired JWT and a forged one, across queries, mutations and subscriptions.
 */
let t: TestApp;
let ticketId: string;
let closedId: string;
const viewers: Record<string, { token?: string; apiKey?: string }> = {};

beforeAll(async () => {
  t = await startTestApp();
  const raise = `mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }`;
  const base = { type: 'Payment', subject: 'Card declined', userId: 6, comments: 'help' };
  ticketId = (await t.gql(raise, { input: base }, { apiKey: ACME_KEY })).body.data.raiseTicket.id;
  closedId = (await t.gql(raise, { input: { ...base, closeImmediately: true, resolution: { type: 'a', subject: 'b' } } }, { apiKey: ACME_KEY })).body.data.raiseTicket.id;
  await t.gql(`mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`, { input: { ticketId, body: 'internal', showToUser: false } }, { apiKey: ACME_KEY });
  viewers.admin = { token: await t.token({ role: 'admin', sub: 'alice@example.com' }) };
  viewers.apiKey = { apiKey: ACME_KEY };
  viewers.owner = { token: await t.token({ role: 'user', userId: 6 }) };
  viewers.otherUser = { token: await t.token({ role: 'user', userId: 7 }) };
  viewers.otherAccountAdmin = { token: await t.token({ role: 'admin', sub: 'bob', account: 'globex' }) };
  viewers.otherAccountKey = { apiKey: GLOBEX_KEY };
  viewers.anonymous = {};
  viewers.expired = { token: await t.token({ role: 'user', userId: 6 }, Math.floor(Date.now() / 1000) - 60) };
  viewers.forged = {
    token: await new SignJWT({ role: 'admin', account: 'acme' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('mallory')
      .sign(new TextEncoder().encode('x'.repeat(40))),
  };
  viewers.noneAlg = { token: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"role":"admin","account":"acme","sub":"m"}').toString('base64url')}.` };
  viewers.badKey = { apiKey: 'not-a-key-at-all-123' };
});
afterAll(async () => {
  await t.stop();
});

type Outcome = 'ok' | 'null' | 'hidden' | string;

async function outcome(query: string, variables: Record<string, unknown>, who: string, pick: (data: any) => unknown): Promise<Outcome> {
  const { status, body } = await t.gql(query, variables, viewers[who]);
  if (body.errors?.length) return body.errors[0].extensions?.code ?? `HTTP ${status}`;
  const value = pick(body.data);
  return value === null ? 'null' : 'ok';
}

const TICKET = `query($id: ID!) { ticket(id: $id) { id } }`;

describe('queries', () => {
  it.each([
    ['admin', 'ok'],
    ['apiKey', 'ok'],
    ['owner', 'ok'],
    ['otherUser', 'null'],
    ['otherAccountAdmin', 'null'],
    ['otherAccountKey', 'null'],
    ['anonymous', 'UNAUTHENTICATED'],
    ['expired', 'UNAUTHENTICATED'],
    ['forged', 'UNAUTHENTICATED'],
    ['noneAlg', 'UNAUTHENTICATED'],
    ['badKey', 'UNAUTHENTICATED'],
  ])('ticket(id) for %s: %s', async (who, expected) => {
    expect(await outcome(TICKET, { id: ticketId }, who, (d) => d.ticket)).toBe(expected);
  });

  it('answers 401 for bad credentials and 200 with UNAUTHENTICATED for none', async () => {
    expect((await t.gql(TICKET, { id: ticketId }, viewers.forged)).status).toBe(401);
    expect((await t.gql(TICKET, { id: ticketId }, viewers.expired)).body.errors![0].message).toMatch(/expired/);
    expect((await t.gql(TICKET, { id: ticketId }, viewers.anonymous)).status).toBe(200);
  });

  it('lists only what each viewer may see', async () => {
    const count = async (who: string) => (await t.gql(`{ tickets { totalCount edges { node { accountId userId } } } }`, {}, viewers[who])).body.data.tickets;
    const admin = await count('admin');
    expect(admin.totalCount).toBe(2);
    expect((await count('owner')).totalCount).toBe(2);
    expect((await count('otherUser')).totalCount).toBe(0);
    expect((await count('otherAccountKey')).totalCount).toBe(0);
    const forbidden = await t.gql(`{ tickets(filter: { userId: 6 }) { totalCount } }`, {}, viewers.otherUser);
    expect(forbidden.body.errors![0].extensions?.code).toBe('FORBIDDEN');
  });

  it('hides internal notes from the user but not from admins', async () => {
    const bodies = async (who: string) =>
      (await t.gql(`query($id: ID!) { ticket(id: $id) { messages { totalCount edges { node { body } } } } }`, { id: ticketId }, viewers[who])).body.data.ticket.messages;
    expect((await bodies('admin')).totalCount).toBe(2);
    expect(await bodies('owner')).toEqual({ totalCount: 1, edges: [{ node: { body: 'help' } }] });
  });
});

describe('mutations', () => {
  const cases: Array<[string, string, Record<string, Outcome>]> = [
    [
      'sendMessage',
      `mutation($id: ID!) { sendMessage(input: { ticketId: $id, body: "hello" }) { id } }`,
      { admin: 'ok', owner: 'ok', otherUser: 'NOT_FOUND', otherAccountAdmin: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED', forged: 'UNAUTHENTICATED' },
    ],
    [
      'assignTicket',
      `mutation($id: ID!) { assignTicket(id: $id, admin: "alice") { id } }`,
      { admin: 'ok', owner: 'FORBIDDEN', otherUser: 'FORBIDDEN', otherAccountKey: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED' },
    ],
    [
      'setTicketOnHold',
      `mutation($id: ID!) { setTicketOnHold(id: $id, onHold: false) { id } }`,
      { apiKey: 'ok', owner: 'FORBIDDEN', otherAccountAdmin: 'NOT_FOUND', expired: 'UNAUTHENTICATED' },
    ],
  ];
  for (const [name, query, table] of cases) {
    it.each(Object.entries(table))(`${name} for %s: %s`, async (who, expected) => {
      expect(await outcome(query, { id: ticketId }, who, (d) => d[name])).toBe(expected);
    });
  }

  it('lets a user send only as USER, visible', async () => {
    const forged = await t.gql(`mutation($id: ID!) { sendMessage(input: { ticketId: $id, body: "x", sender: ADMIN }) { id } }`, { id: ticketId }, viewers.owner);
    expect(forged.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    const hidden = await t.gql(
      `mutation($id: ID!) { sendMessage(input: { ticketId: $id, body: "mine", showToUser: false }) { sender senderName showToUser } }`,
      { id: ticketId },
      viewers.owner,
    );
    expect(hidden.body.data.sendMessage).toEqual({ sender: 'USER', senderName: '6', showToUser: true });
  });

  it('lets a user raise only for itself', async () => {
    const raise = `mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { userId accountId } }`;
    const own = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c' } }, viewers.otherUser);
    expect(own.body.data.raiseTicket).toEqual({ userId: 7, accountId: 'acme' });
    const other = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c', userId: 6 } }, viewers.otherUser);
    expect(other.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    const admin = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c' } }, viewers.admin);
    expect(admin.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  });

  it('lets the owner rate and reopen its closed ticket, not another user', async () => {
    const rate = `mutation($id: ID!) { rateTicket(input: { ticketId: $id, value: 5 }) { value userId } }`;
    expect(await outcome(rate, { id: closedId }, 'otherUser', (d) => d.rateTicket)).toBe('NOT_FOUND');
    expect(await outcome(rate, { id: closedId }, 'otherAccountKey', (d) => d.rateTicket)).toBe('NOT_FOUND');
    expect((await t.gql(rate, { id: closedId }, viewers.owner)).body.data.rateTicket).toEqual({ value: 5, userId: 6 });
    const wrongUser = `mutation($id: ID!) { rateTicket(input: { ticketId: $id, value: 5, userId: 7 }) { value } }`;
    expect(await outcome(wrongUser, { id: closedId }, 'owner', (d) => d.rateTicket)).toBe('FORBIDDEN');
    const reopen = `mutation($id: ID!) { reopenTicket(input: { ticketId: $id, comments: "again" }) { status } }`;
    expect(await outcome(reopen, { id: closedId }, 'otherUser', (d) => d.reopenTicket)).toBe('NOT_FOUND');
    expect((await t.gql(reopen, { id: closedId }, viewers.owner)).body.data.reopenTicket.status).toBe('UNASSIGNED');
    const close = `mutation($id: ID!) { closeTicket(id: $id) { status } }`;
    expect((await t.gql(close, { id: closedId }, viewers.owner)).body.data.closeTicket.status).toBe('CLOSED');
  });
});

describe('subscriptions', () => {
  const MESSAGES = `subscription($id: ID!) { messageAdded(ticketId: $id) { body showToUser } }`;
  const wsParams = (who: string) => {
    const v = viewers[who];
    return v.apiKey ? { apiKey: v.apiKey } : v.token ? { authorization: `Bearer ${v.token}` } : {};
  };

  it('delivers each message only to those who may see it', async () => {
    const subs = Object.fromEntries(['admin', 'apiKey', 'owner'].map((who) => [who, subscribe(t.wsClient(wsParams(who)), MESSAGES, { id: ticketId })]));
    const refused = Object.fromEntries(['otherUser', 'otherAccountAdmin', 'otherAccountKey'].map((who) => [who, subscribe(t.wsClient(wsParams(who)), MESSAGES, { id: ticketId })]));
    await settle(300);
    const send = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;
    await t.gql(send, { input: { ticketId, body: 'note', showToUser: false } }, viewers.apiKey);
    await t.gql(send, { input: { ticketId, body: 'public' } }, viewers.apiKey);
    await subs.admin.waitFor(2);
    await subs.apiKey.waitFor(2);
    await subs.owner.waitFor(1);
    await settle(200);
    expect(subs.admin.values.map((v) => v.data.messageAdded.body)).toEqual(['note', 'public']);
    expect(subs.owner.values.map((v) => v.data.messageAdded)).toEqual([{ body: 'public', showToUser: true }]);
    for (const sub of Object.values(refused)) {
      await sub.waitFor(1);
      expect(sub.values[0].errors?.[0]?.extensions?.code ?? (sub.error as any)?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    Object.values(subs).forEach((s) => s.dispose());
  });

  it('filters ticketUpdated without an id by visibility', async () => {
    const UPDATES = `subscription { ticketUpdated { id status } }`;
    const owner = subscribe(t.wsClient(wsParams('owner')), UPDATES);
    const other = subscribe(t.wsClient(wsParams('otherUser')), UPDATES);
    const otherAccount = subscribe(t.wsClient(wsParams('otherAccountKey')), UPDATES);
    const admin = subscribe(t.wsClient(wsParams('admin')), `subscription($id: ID) { ticketUpdated(id: $id) { id status assignedTo } }`, { id: ticketId });
    await settle(300);
    await t.gql(`mutation($id: ID!) { assignTicket(id: $id, admin: "zed") { id } }`, { id: ticketId }, viewers.apiKey);
    await owner.waitFor(1);
    await admin.waitFor(1);
    await settle(200);
    expect(owner.values[0].data.ticketUpdated).toEqual({ id: ticketId, status: 'OPEN' });
    expect(admin.values[0].data.ticketUpdated).toEqual({ id: ticketId, status: 'OPEN', assignedTo: 'zed' });
    expect(other.values).toEqual([]);
    expect(otherAccount.values).toEqual([]);
    [owner, other, otherAccount, admin].forEach((s) => s.dispose());
  });

  it.each(['anonymous', 'forged', 'expired', 'badKey'])('refuses %s in connection_init or at subscribe', async (who) => {
    const sub = subscribe(t.wsClient(wsParams(who)), MESSAGES, { id: ticketId });
    await sub.waitFor(1).catch(() => undefined);
    const closeCode = (sub.error as { code?: number } | undefined)?.code;
    const code = sub.values[0]?.errors?.[0]?.extensions?.code ?? (Array.isArray(sub.error) ? sub.error[0]?.extensions?.code : undefined);
    expect(closeCode === 4403 || code === 'UNAUTHENTICATED').toBe(true);
  });
});
