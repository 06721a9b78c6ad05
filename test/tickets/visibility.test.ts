import { SignJWT } from 'jose';
import {
  AssignTicketDocument,
  CloseTicketDocument,
  MessageBodiesDocument,
  RaiseTicketDocument,
  RaiseTicketOwnerDocument,
  RateTicketDocument,
  ReopenTicketDocument,
  SendMessageDocument,
  SetTicketOnHoldDocument,
  TicketAssignmentUpdatesDocument,
  TicketByIdDocument,
  TicketConversationDocument,
  TicketIdsDocument,
  TicketStatusUpdatesDocument,
} from '../generated/graphql';
import { ACME_KEY, GLOBEX_KEY, messageMarker, startTestApp, subscribe, ticketMarker, type TestApp } from '../helpers/app';
import { flush, whenSubscribed, type Operation } from '../helpers/graphql';

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
  const base = { type: 'Payment', subject: 'Card declined', userId: 6, comments: 'help' };
  ticketId = (await t.gql(RaiseTicketDocument, { input: base }, { apiKey: ACME_KEY })).body.data!.raiseTicket.id;
  closedId = (await t.gql(RaiseTicketDocument, { input: { ...base, closeImmediately: true, resolution: { type: 'a', subject: 'b' } } }, { apiKey: ACME_KEY })).body.data!
    .raiseTicket.id;
  await t.gql(SendMessageDocument, { input: { ticketId, body: 'internal', showToUser: false } }, { apiKey: ACME_KEY });
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

async function outcome(operation: Operation, variables: Record<string, unknown>, who: string, pick: (data: any) => unknown): Promise<Outcome> {
  const { status, body } = await t.gql(operation, variables, viewers[who]);
  if (body.errors?.length) return body.errors[0].extensions?.code ?? `HTTP ${status}`;
  const value = pick(body.data);
  return value === null ? 'null' : 'ok';
}

const TICKET = TicketByIdDocument;

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
    const count = async (who: string) => (await t.gql(TicketIdsDocument, {}, viewers[who])).body.data!.tickets;
    const admin = await count('admin');
    expect(admin.totalCount).toBe(2);
    expect((await count('owner')).totalCount).toBe(2);
    expect((await count('otherUser')).totalCount).toBe(0);
    expect((await count('otherAccountKey')).totalCount).toBe(0);
    const forbidden = await t.gql(TicketIdsDocument, { filter: { userId: 6 } }, viewers.otherUser);
    expect(forbidden.body.errors![0].extensions?.code).toBe('FORBIDDEN');
  });

  it('hides internal notes from the user but not from admins', async () => {
    const bodies = async (who: string) => (await t.gql(TicketConversationDocument, { id: ticketId }, viewers[who])).body.data!.ticket!.messages;
    expect((await bodies('admin')).totalCount).toBe(2);
    expect(await bodies('owner')).toEqual({ totalCount: 1, edges: [{ node: { body: 'help' } }] });
  });
});

describe('mutations', () => {
  const cases: Array<[string, Operation, (id: string) => Record<string, unknown>, Record<string, Outcome>]> = [
    [
      'sendMessage',
      SendMessageDocument,
      (id) => ({ input: { ticketId: id, body: 'hello' } }),
      { admin: 'ok', owner: 'ok', otherUser: 'NOT_FOUND', otherAccountAdmin: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED', forged: 'UNAUTHENTICATED' },
    ],
    [
      'assignTicket',
      AssignTicketDocument,
      (id) => ({ id, admin: 'alice' }),
      { admin: 'ok', owner: 'FORBIDDEN', otherUser: 'FORBIDDEN', otherAccountKey: 'NOT_FOUND', anonymous: 'UNAUTHENTICATED' },
    ],
    ['setTicketOnHold', SetTicketOnHoldDocument, (id) => ({ id, onHold: false }), { apiKey: 'ok', owner: 'FORBIDDEN', otherAccountAdmin: 'NOT_FOUND', expired: 'UNAUTHENTICATED' }],
  ];
  for (const [name, operation, variables, table] of cases) {
    it.each(Object.entries(table))(`${name} for %s: %s`, async (who, expected) => {
      expect(await outcome(operation, variables(ticketId), who, (d) => d[name])).toBe(expected);
    });
  }

  it('lets a user send only as USER, visible', async () => {
    const forged = await t.gql(SendMessageDocument, { input: { ticketId, body: 'x', sender: 'ADMIN' } }, viewers.owner);
    expect(forged.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    const hidden = await t.gql(SendMessageDocument, { input: { ticketId, body: 'mine', showToUser: false } }, viewers.owner);
    expect(hidden.body.data!.sendMessage).toEqual({ ticketId, sender: 'USER', senderName: '6', body: 'mine', showToUser: true });
  });

  it('lets a user raise only for itself', async () => {
    const raise = RaiseTicketOwnerDocument;
    const own = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c' } }, viewers.otherUser);
    expect(own.body.data!.raiseTicket).toEqual({ userId: 7, accountId: 'acme' });
    const other = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c', userId: 6 } }, viewers.otherUser);
    expect(other.body.errors![0].extensions?.code).toBe('FORBIDDEN');
    const admin = await t.gql(raise, { input: { type: 't', subject: 's', comments: 'c' } }, viewers.admin);
    expect(admin.body.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'userId' });
  });

  it('lets the owner rate and reopen its closed ticket, not another user', async () => {
    const rate = { input: { ticketId: closedId, value: 5 } };
    expect(await outcome(RateTicketDocument, rate, 'otherUser', (d) => d.rateTicket)).toBe('NOT_FOUND');
    expect(await outcome(RateTicketDocument, rate, 'otherAccountKey', (d) => d.rateTicket)).toBe('NOT_FOUND');
    expect((await t.gql(RateTicketDocument, rate, viewers.owner)).body.data!.rateTicket).toEqual({ ticketId: closedId, value: 5, userId: 6 });
    const wrongUser = { input: { ticketId: closedId, value: 5, userId: 7 } };
    expect(await outcome(RateTicketDocument, wrongUser, 'owner', (d) => d.rateTicket)).toBe('FORBIDDEN');
    const reopen = { input: { ticketId: closedId, comments: 'again' } };
    expect(await outcome(ReopenTicketDocument, reopen, 'otherUser', (d) => d.reopenTicket)).toBe('NOT_FOUND');
    expect((await t.gql(ReopenTicketDocument, reopen, viewers.owner)).body.data!.reopenTicket.status).toBe('UNASSIGNED');
    expect((await t.gql(CloseTicketDocument, { id: closedId }, viewers.owner)).body.data!.closeTicket.status).toBe('CLOSED');
  });
});

describe('subscriptions', () => {
  const MESSAGES = MessageBodiesDocument;
  const wsParams = (who: string) => {
    const v = viewers[who];
    return v.apiKey ? { apiKey: v.apiKey } : v.token ? { authorization: `Bearer ${v.token}` } : {};
  };

  it('delivers each message only to those who may see it', async () => {
    const subs = Object.fromEntries(['admin', 'apiKey', 'owner'].map((who) => [who, subscribe(t.wsClient(wsParams(who)), MESSAGES, { ticketId })]));
    const refused = Object.fromEntries(['otherUser', 'otherAccountAdmin', 'otherAccountKey'].map((who) => [who, subscribe(t.wsClient(wsParams(who)), MESSAGES, { ticketId })]));
    // Marker events all three may see: active once one reached each, and whole once the last one did.
    const marker = (m: string) => t.events.messageAdded(messageMarker(ticketId, 6, m));
    await whenSubscribed(Object.values(subs), marker);
    await t.gql(SendMessageDocument, { input: { ticketId, body: 'note', showToUser: false } }, viewers.apiKey);
    await t.gql(SendMessageDocument, { input: { ticketId, body: 'public' } }, viewers.apiKey);
    await subs.admin.waitFor(2);
    await subs.apiKey.waitFor(2);
    await subs.owner.waitFor(1);
    await flush(Object.values(subs), marker);
    expect(subs.admin.values.map((v) => v.data.messageAdded.body)).toEqual(['note', 'public']);
    expect(subs.owner.values.map((v) => v.data.messageAdded)).toEqual([{ body: 'public', showToUser: true }]);
    for (const sub of Object.values(refused)) {
      await sub.ended;
      expect(sub.values[0].errors?.[0]?.extensions?.code ?? (sub.error as any)?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
    Object.values(subs).forEach((s) => s.dispose());
  });

  it('filters ticketUpdated without an id by visibility', async () => {
    const UPDATES = TicketStatusUpdatesDocument;
    const owner = subscribe(t.wsClient(wsParams('owner')), UPDATES);
    const other = subscribe(t.wsClient(wsParams('otherUser')), UPDATES);
    const otherAccount = subscribe(t.wsClient(wsParams('otherAccountKey')), UPDATES);
    const admin = subscribe(t.wsClient(wsParams('admin')), TicketAssignmentUpdatesDocument, { id: ticketId });
    // Each gets marker events of its own, which none of the others may see: a ticket of user 6, of
    // user 7, of globex, and (for the admin following one ticket) of the ticket itself.
    const markers = {
      owner: (m: string) => t.events.ticketUpdated(ticketMarker(m, { userId: 6 })),
      other: (m: string) => t.events.ticketUpdated(ticketMarker(m, { userId: 7 })),
      otherAccount: (m: string) => t.events.ticketUpdated(ticketMarker(m, { accountId: 'globex' })),
      admin: (m: string) => t.events.ticketUpdated(ticketMarker(m, { ticketId, userId: 8 })),
    };
    await Promise.all([
      whenSubscribed([owner], markers.owner),
      whenSubscribed([other], markers.other),
      whenSubscribed([otherAccount], markers.otherAccount),
      whenSubscribed([admin], markers.admin),
    ]);
    await t.gql(AssignTicketDocument, { id: ticketId, admin: 'zed' }, viewers.apiKey);
    await owner.waitFor(1);
    await admin.waitFor(1);
    // A later event each of them may see arrives first and alone: the change was not delivered to the others.
    await Promise.all([flush([owner], markers.owner), flush([other], markers.other), flush([otherAccount], markers.otherAccount), flush([admin], markers.admin)]);
    expect(owner.values[0].data.ticketUpdated).toEqual({ id: ticketId, status: 'OPEN' });
    expect(admin.values[0].data.ticketUpdated).toEqual({ id: ticketId, status: 'OPEN', assignedTo: 'zed' });
    expect(other.values).toEqual([]);
    expect(otherAccount.values).toEqual([]);
    [owner, other, otherAccount, admin].forEach((s) => s.dispose());
  });

  it.each(['anonymous', 'forged', 'expired', 'badKey'])('refuses %s in connection_init or at subscribe', async (who) => {
    const sub = subscribe(t.wsClient(wsParams(who)), MESSAGES, { ticketId });
    await sub.waitFor(1).catch(() => undefined);
    const closeCode = (sub.error as { code?: number } | undefined)?.code;
    const code = sub.values[0]?.errors?.[0]?.extensions?.code ?? (Array.isArray(sub.error) ? sub.error[0]?.extensions?.code : undefined);
    expect(closeCode === 4403 || code === 'UNAUTHENTICATED').toBe(true);
  });
});
