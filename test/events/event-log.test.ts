import {
  AssignTicketDocument,
  ConversationCursorsDocument,
  CloseTicketDocument,
  EventFeedDocument,
  RaiseTicketWithCursorDocument,
  RateTicketDocument,
  ReopenTicketDocument,
  SendMessageWithCursorDocument,
  SetTicketOnHoldDocument,
  TicketHistoryDocument,
} from '../generated/graphql';
import { ACME_KEY, GLOBEX_KEY, startTestApp, type TestApp } from '../helpers/app';
import type { Operation } from '../helpers/graphql';

/** The event log through the real HTTP interface: what each change records, who sees what, cursors. */
describe('the ticket event log', () => {
  let t: TestApp;
  const admin = { apiKey: ACME_KEY };
  let alice: { token: string };
  let user7: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    alice = { token: await t.token({ role: 'admin', sub: 'alice@acme.test' }) };
    user7 = { token: await t.token({ role: 'user', userId: 7 }) };
  });
  afterAll(() => t.stop());

  const HISTORY = TicketHistoryDocument;
  const EVENTS = EventFeedDocument;

  async function ok<T = any>(query: Operation, variables: Record<string, unknown>, who: { token?: string; apiKey?: string }): Promise<T> {
    const result = await t.gql(query, variables, who);
    expect(result.body.errors).toBeUndefined();
    return result.body.data as T;
  }
  const history = async (id: string, who: { token?: string; apiKey?: string } = admin, after?: string) => (await ok(HISTORY, { id, after }, who)).ticket;
  const types = (h: any) => h.history.edges.map((e: any) => e.node.type);

  it('records every change of a ticket, from both APIs, with who made it and what changed', async () => {
    const raised = await ok(
      RaiseTicketWithCursorDocument,
      {
        input: { type: 'Payment', subject: 'Card declined', userId: 7, comments: 'my card is declined', priority: 'HIGH' },
      },
      alice,
    );
    const id = raised.raiseTicket.id;
    let h = await history(id);
    expect(types(h)).toEqual(['TICKET_RAISED', 'MESSAGE_ADDED']);
    const [raise, first] = h.history.edges.map((e: any) => e.node);
    expect(raise.actor).toEqual({ role: 'ADMIN', name: 'alice@acme.test' });
    expect(raise.changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: null, to: 'UNASSIGNED' },
        { field: 'priority', from: null, to: 'HIGH' },
        { field: 'subject', from: null, to: 'Card declined' },
        { field: 'userId', from: null, to: '7' },
      ]),
    );
    expect(raise.changes.every((c: any) => c.from === null && c.to !== null)).toBe(true);
    expect(first.message).toMatchObject({ body: 'my card is declined', sender: 'USER', senderName: '7', showToUser: true });
    // Read your writes: the cursor a mutation answers is already in the history.
    expect(raised.raiseTicket.eventCursor).toBe(h.history.edges[1].cursor);

    // The legacy API records the same kinds of events; an admin key is an ADMIN actor even for a USER message.
    const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
    const legacy = (path: string, fields: Record<string, string>) =>
      fetch(`${t.url}/api/v1${path}`, { method: 'POST', headers: { 'x-api-key': ACME_KEY, 'content-type': 'application/x-www-form-urlencoded' }, body: form(fields) });
    expect((await legacy('/send_message', { ticketId: id, ticketMessage: 'any news?', sender: 'user', sender_name: '7', showToUser: '1' })).status).toBe(200);
    expect((await legacy('/assign_ticket_to_admin', { ticketId: id, admin: 'bob' })).status).toBe(200);
    await ok(AssignTicketDocument, { id, admin: 'bob' }, alice); // the same admin: nothing changes
    await ok(SetTicketOnHoldDocument, { id, onHold: true }, alice);
    await ok(SetTicketOnHoldDocument, { id, onHold: false }, alice);
    await ok(SendMessageWithCursorDocument, { input: { ticketId: id, body: 'internal: chargeback?', showToUser: false } }, alice);
    await ok(CloseTicketDocument, { id, resolution: { type: 'Refund', subject: 'Refunded' } }, alice);
    await ok(CloseTicketDocument, { id }, alice); // closed already: nothing changes
    await ok(RateTicketDocument, { input: { ticketId: id, value: 4 } }, user7);
    await ok(RateTicketDocument, { input: { ticketId: id, value: 5 } }, user7);
    await ok(ReopenTicketDocument, { input: { ticketId: id, comments: 'it happened again' } }, user7);

    h = await history(id);
    expect(types(h)).toEqual([
      'TICKET_RAISED',
      'MESSAGE_ADDED',
      'MESSAGE_ADDED',
      'TICKET_ASSIGNED',
      'TICKET_ON_HOLD',
      'TICKET_RESUMED',
      'MESSAGE_ADDED',
      'TICKET_CLOSED',
      'TICKET_RATED',
      'TICKET_RATED',
      'TICKET_REOPENED',
      'MESSAGE_ADDED',
    ]);
    expect(h.history.totalCount).toBe(12);
    const nodes = h.history.edges.map((e: any) => e.node);
    expect(nodes[2]).toMatchObject({ actor: { role: 'ADMIN', name: expect.stringMatching(/^service:/) }, message: { sender: 'USER', body: 'any news?' } });
    expect(nodes[3].changes).toEqual([
      { field: 'status', from: 'UNASSIGNED', to: 'OPEN' },
      { field: 'assignedTo', from: null, to: 'bob' },
    ]);
    expect(nodes[4].changes).toEqual([{ field: 'status', from: 'OPEN', to: 'ON_HOLD' }]);
    expect(nodes[5].changes).toEqual([{ field: 'status', from: 'ON_HOLD', to: 'OPEN' }]);
    expect(nodes[7].changes).toEqual([
      { field: 'status', from: 'OPEN', to: 'CLOSED' },
      { field: 'closedAt', from: null, to: expect.any(String) },
      { field: 'resolution.type', from: null, to: 'Refund' },
      { field: 'resolution.subject', from: null, to: 'Refunded' },
    ]);
    expect(nodes[8]).toMatchObject({ actor: { role: 'USER', name: '7' }, changes: [{ field: 'rating', from: null, to: '4' }] });
    expect(nodes[9].changes).toEqual([{ field: 'rating', from: '4', to: '5' }]);
    expect(nodes[10].message).toMatchObject({ body: 'it happened again', sender: 'USER' });
    expect(nodes[10].changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: 'CLOSED', to: 'OPEN' },
        { field: 'closedAt', from: expect.any(String), to: null },
        { field: 'resolution.type', from: 'Refund', to: null },
      ]),
    );
    expect(nodes[11].message.id).toBe(nodes[10].message.id);
    // Sequences are 1, 2, 3, ... without gaps, and every event is also in the account's feed in that order.
    const feed = (await ok(EVENTS, { first: 200 }, admin)).events;
    const sequences = feed.edges.map((e: any) => e.node.sequence);
    expect(sequences).toEqual(sequences.map((_: number, i: number) => i + 1));
    expect(feed.edges.filter((e: any) => e.node.ticketId === id).map((e: any) => e.node)).toEqual(nodes);
    expect(feed.edges.every((e: any) => e.cursor === e.node.id)).toBe(true);
  });

  it('shows a user only its own tickets and never an internal note', async () => {
    const id = (await ok(RaiseTicketWithCursorDocument, { input: { type: 'T', subject: 's', userId: 7, comments: 'c' } }, admin)).raiseTicket.id;
    await ok(SendMessageWithCursorDocument, { input: { ticketId: id, body: 'public answer' } }, admin);
    const visible = await history(id, user7);
    await ok(SendMessageWithCursorDocument, { input: { ticketId: id, body: 'secret note', showToUser: false } }, admin);
    const userView = await history(id, user7);
    expect(types(userView)).toEqual(['TICKET_RAISED', 'MESSAGE_ADDED', 'MESSAGE_ADDED']);
    expect(JSON.stringify(userView)).not.toContain('secret note');
    // The note changed nothing a user sees: not its history, not its cursor.
    expect(userView.eventCursor).toBe(visible.eventCursor);
    const adminView = await history(id, admin);
    expect(types(adminView)).toHaveLength(4);
    expect(adminView.eventCursor).not.toBe(userView.eventCursor);

    const other = await t.gql(HISTORY, { id }, { token: await t.token({ role: 'user', userId: 8 }) });
    expect(other.body.data?.ticket).toBeNull();
    const feed = await t.gql(EVENTS, {}, user7);
    expect(feed.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('pages the feed with cursors and filters it by type', async () => {
    const all = (await ok(EVENTS, { first: 200 }, admin)).events;
    const firstPage = (await ok(EVENTS, { first: 3 }, admin)).events;
    expect(firstPage.pageInfo.hasNextPage).toBe(true);
    const rest = (await ok(EVENTS, { first: 200, after: firstPage.pageInfo.endCursor }, admin)).events;
    expect([...firstPage.edges, ...rest.edges].map((e: any) => e.node.id)).toEqual(all.edges.map((e: any) => e.node.id));
    const rated = (await ok(EVENTS, { types: ['TICKET_RATED'] }, admin)).events;
    expect(rated.edges.length).toBeGreaterThan(0);
    expect(rated.edges.every((e: any) => e.node.type === 'TICKET_RATED')).toBe(true);
    // Another account has a log of its own, from 1.
    await ok(RaiseTicketWithCursorDocument, { input: { type: 'T', subject: 'g', userId: 1, comments: 'c' } }, { apiKey: GLOBEX_KEY });
    const globex = (await ok(EVENTS, {}, { apiKey: GLOBEX_KEY })).events;
    expect(globex.edges.map((e: any) => e.node.sequence)).toEqual([1, 2]);
  });

  it('refuses cursors that are malformed, of another account, or beyond the newest event', async () => {
    const globexCursor = (await ok(EVENTS, {}, { apiKey: GLOBEX_KEY })).events.pageInfo.endCursor;
    const newest = (await ok(EVENTS, { first: 200 }, admin)).events.pageInfo.endCursor;
    const beyond = Buffer.from(`e:${Number(/^e:(\d+):/.exec(Buffer.from(newest, 'base64url').toString())![1]) + 5}:acme`).toString('base64url');
    for (const [after, problem] of [
      ['not-a-cursor', /not an event cursor/],
      [globexCursor, /another account/],
      [beyond, /beyond the newest event/],
    ] as const) {
      const refused = await t.gql(EVENTS, { after }, admin);
      expect(refused.body.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'after' } });
      expect(refused.body.errors![0].message).toMatch(problem);
    }
  });

  it('gives every message the cursor of its MESSAGE_ADDED event', async () => {
    const id = (await ok(RaiseTicketWithCursorDocument, { input: { type: 'T', subject: 'm', userId: 7, comments: 'c' } }, admin)).raiseTicket.id;
    const sent = (await ok(SendMessageWithCursorDocument, { input: { ticketId: id, body: 'with a cursor' } }, admin)).sendMessage;
    const h = await history(id);
    const added = h.history.edges.find((e: any) => e.node.message?.id === sent.id);
    expect(added.cursor).toBe(sent.eventCursor);
    const conversation = (await ok(ConversationCursorsDocument, { id }, admin)).ticket.messages.edges;
    expect(conversation.map((e: any) => e.node.eventCursor)).toEqual(h.history.edges.filter((e: any) => e.node.type === 'MESSAGE_ADDED').map((e: any) => e.cursor));
  });
});

describe('the event log retention', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ EVENT_RETENTION_DAYS: '30' });
  });
  afterAll(() => t.stop());

  it("removes events older than EVENT_RETENTION_DAYS but an account's newest, so numbering goes on", async () => {
    const admin = { apiKey: ACME_KEY };
    const RAISE = RaiseTicketWithCursorDocument;

    await t.gql(RAISE, { input: { type: 'T', subject: 'old', userId: 1, comments: 'c' } }, admin);
    t.clock.advance(31 * 86_400_000);
    await t.app.container.workers.find((w) => w.name === 'event-retention')!.runOnce();
    expect((await t.gql(EventFeedDocument, { first: 200 }, admin)).body.data!.events.edges.map((e: any) => e.node.sequence)).toEqual([2]);
    await t.gql(RAISE, { input: { type: 'T', subject: 'new', userId: 1, comments: 'c' } }, admin);
    expect((await t.gql(EventFeedDocument, { first: 200 }, admin)).body.data!.events.edges.map((e: any) => e.node.sequence)).toEqual([2, 3, 4]);
    // A cursor from before what the log keeps is refused: the client reads the current state instead.
    const tooOld = Buffer.from('e:0:acme').toString('base64url');
    const refused = await t.gql(EventFeedDocument, { after: tooOld }, admin);
    expect(refused.body.errors?.[0]?.message).toMatch(/older than the event log keeps/);
  });
});
