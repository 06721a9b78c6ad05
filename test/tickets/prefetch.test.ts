import type { CommandStartedEvent, CommandSucceededEvent } from 'mongodb';
import {
  CloseTicketDocument,
  RaiseTicketDocument,
  RateTicketDocument,
  SendMessageDocument,
  TicketConversationDocument,
  TicketConversationThreeWaysDocument,
  TicketFirstMessageUnlessSkippedDocument,
  TicketMessageBodiesDocument,
  TicketMessageCountDocument,
  TicketRatingAndFirstMessageDocument,
  TicketSubjectAndConversationDocument,
  TicketSubjectDocument,
} from '../generated/graphql';
import { ACME_KEY, GLOBEX_KEY, startTestApp, subscribe, type TestApp } from '../helpers/app';

/**
 * `ticket(id) { messages rating }` reads the ticket, its conversation and its rating at the same time
 * (one round trip to the database instead of two), with the answers and the visibility of reading
 * them in turn.
 */
let t: TestApp;
const admin = { apiKey: ACME_KEY };
let ticketId: string;
let ratedId: string;
let events: string[] = [];

beforeAll(async () => {
  t = await startTestApp({}, { monitorCommands: true });
  const raised = await t.gql(RaiseTicketDocument, { input: { type: 'Payment', subject: 'Card declined', userId: 1, comments: 'first' } }, admin);
  ticketId = raised.body.data!.raiseTicket.id;
  await t.gql(SendMessageDocument, { input: { ticketId, body: 'second, for admins only', showToUser: false } }, admin);
  await t.gql(SendMessageDocument, { input: { ticketId, body: 'third' } }, admin);
  const rated = await t.gql(RaiseTicketDocument, { input: { type: 'Payment', subject: 'Refund', userId: 1, comments: 'refund please' } }, admin);
  ratedId = rated.body.data!.raiseTicket.id;
  await t.gql(CloseTicketDocument, { id: ratedId }, admin);
  const rating = await t.gql(RateTicketDocument, { input: { ticketId: ratedId, userId: 1, value: 4 } }, admin);
  expect(rating.body.errors).toBeUndefined();
  const client = t.app.database.connection.getClient();
  client.on('commandStarted', (e: CommandStartedEvent) => events.push(`start ${e.commandName} ${String(e.command[e.commandName])}`));
  client.on('commandSucceeded', (e: CommandSucceededEvent) => events.push(`done ${e.commandName}`));
});
afterAll(async () => {
  await t.stop();
});
beforeEach(() => {
  events = [];
});

const bodies = (connection: { edges: Array<{ node: { body: string } }> }) => connection.edges.map((e) => e.node.body);

describe('a ticket with its conversation', () => {
  it('sends the ticket read and the conversation read before either answers', async () => {
    const { body } = await t.gql(TicketSubjectAndConversationDocument, { id: ticketId }, admin);
    expect(body.errors).toBeUndefined();
    const ticket = body.data!.ticket!;
    expect(ticket.subject).toBe('Card declined');
    expect(bodies(ticket.messages)).toEqual(['first', 'second, for admins only', 'third']);
    expect(ticket.messages.totalCount).toBe(3);
    // Both finds start, then both answer; the count (totalCount) follows the page.
    expect(events.slice(0, 2).sort()).toEqual(['start find messages', 'start find tickets']);
    expect(events.slice(2, 4)).toEqual(['done find', 'done find']);
    expect(events.slice(4)).toEqual(['start aggregate messages', 'done aggregate']);
  });

  it('reads the rating alongside too, and answers null for a ticket not rated', async () => {
    const query = TicketRatingAndFirstMessageDocument;
    const { body } = await t.gql(query, { id: ratedId }, admin);
    expect(body.errors).toBeUndefined();
    expect(body.data!.ticket).toEqual({ rating: { value: 4, userId: 1 }, messages: { edges: [{ node: { body: 'refund please' } }] } });
    expect(events.slice(0, 3).sort()).toEqual(['start find messages', 'start find ratings', 'start find tickets']);
    expect(events.slice(3)).toEqual(['done find', 'done find', 'done find']);
    const unrated = await t.gql(query, { id: ticketId }, admin);
    expect(unrated.body.data!.ticket!.rating).toBeNull();
    const hidden = await t.gql(query, { id: ratedId }, { token: await t.token({ role: 'user', userId: 2 }) });
    expect(hidden.body).toEqual({ data: { ticket: null } });
  });

  it('reads the ticket alone when no conversation is asked for', async () => {
    const { body } = await t.gql(TicketSubjectDocument, { id: ticketId }, admin);
    expect(body.data!.ticket!.subject).toBe('Card declined');
    expect(events).toEqual(['start find tickets', 'done find']);
  });

  it('answers each selection with its own arguments: aliases, variables, fragments, defaults', async () => {
    const query = TicketConversationThreeWaysDocument;
    const first = await t.gql(query, { id: ticketId, n: 1, after: null }, admin);
    expect(first.body.errors).toBeUndefined();
    const ticket = first.body.data!.ticket!;
    expect(bodies(ticket.head)).toEqual(['first']);
    expect(ticket.head.pageInfo.hasNextPage).toBe(true);
    expect(bodies(ticket.rest)).toEqual(['first', 'second, for admins only', 'third']);
    expect(bodies(ticket.all)).toEqual(['first', 'second, for admins only', 'third']);
    // The second page, through a cursor in a variable.
    const next = await t.gql(query, { id: ticketId, n: 1, after: ticket.head.pageInfo.endCursor }, admin);
    expect(bodies(next.body.data!.ticket!.rest)).toEqual(['second, for admins only', 'third']);
  });

  it('leaves conditional selections to the executor', async () => {
    const query = TicketFirstMessageUnlessSkippedDocument;
    const skipped = await t.gql(query, { id: ticketId, skip: true }, admin);
    expect(skipped.body.data!.ticket).toEqual({ id: ticketId });
    expect(events).toEqual(['start find tickets', 'done find']);
    const kept = await t.gql(query, { id: ticketId, skip: false }, admin);
    expect(bodies(kept.body.data!.ticket!.messages!)).toEqual(['first']);
  });

  it('shows a user only the messages shown to users, and nothing of a ticket that is not theirs', async () => {
    const query = TicketConversationDocument;
    const owner = await t.gql(query, { id: ticketId }, { token: await t.token({ role: 'user', userId: 1 }) });
    expect(bodies(owner.body.data!.ticket!.messages)).toEqual(['first', 'third']);
    expect(owner.body.data!.ticket!.messages.totalCount).toBe(2);
    for (const credentials of [{ token: await t.token({ role: 'user', userId: 2 }) }, { apiKey: GLOBEX_KEY }]) {
      const other = await t.gql(query, { id: ticketId }, credentials);
      expect(other.status).toBe(200);
      expect(other.body).toEqual({ data: { ticket: null } });
    }
  });

  it('reports a bad page size or cursor on the field, and nothing for a ticket that does not exist', async () => {
    const negative = await t.gql(TicketMessageCountDocument, { id: ticketId, first: -1 }, admin);
    expect(negative.body.data).toEqual({ ticket: null });
    expect(negative.body.errors).toHaveLength(1);
    expect(negative.body.errors?.[0].path).toEqual(['ticket', 'messages']);
    expect(negative.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    const badCursor = await t.gql(TicketMessageCountDocument, { id: ticketId, after: 'nonsense' }, admin);
    expect(badCursor.body.errors?.[0].path).toEqual(['ticket', 'messages']);
    expect(badCursor.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    const missing = await t.gql(TicketMessageCountDocument, { id: '999999', after: 'nonsense' }, admin);
    expect(missing.body).toEqual({ data: { ticket: null } });
  });

  it('does the same for a query sent over the WebSocket, each operation with its own pages', async () => {
    const client = t.wsClient({ apiKey: ACME_KEY });
    const query = TicketMessageBodiesDocument;
    const one = subscribe(client, query, { id: ticketId, first: 1 });
    const all = subscribe(client, query, { id: ticketId, first: 10 });
    await Promise.all([one.waitFor(1), all.waitFor(1)]);
    expect(bodies(one.values[0].data.ticket.messages)).toEqual(['first']);
    expect(bodies(all.values[0].data.ticket.messages)).toEqual(['first', 'second, for admins only', 'third']);
    expect(events.filter((e) => e.startsWith('start')).sort()).toEqual(['start find messages', 'start find messages', 'start find tickets', 'start find tickets']);
  });
});
