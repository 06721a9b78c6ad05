import { RaiseTicketDocument, SendMessageDocument } from '../generated/graphql';
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';

/**
 * Issue 14, finding 8: what a user sees does not change when only internal things change. Its message
 * cursors count the messages it sees (no gap where a note sits), and an internal note does not move
 * the ticket's updatedAt.
 */
describe('internal notes leave no trace for users', () => {
  let t: TestApp;
  const admin = { apiKey: ACME_KEY };
  let user: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    user = { token: await t.token({ role: 'user', userId: 7 }) };
  });
  afterAll(() => t.stop());

  const VIEW = `query($id: ID!, $first: Int, $after: String) { ticket(id: $id) { updatedAt messages(first: $first, after: $after) { totalCount edges { cursor node { body } } pageInfo { hasNextPage endCursor } } } }`;
  const SEND = SendMessageDocument;
  const decoded = (cursor: string) => Buffer.from(cursor, 'base64url').toString();

  it('a user sees the same cursors and updatedAt whether or not notes were added', async () => {
    const raised = await t.gql(RaiseTicketDocument, { input: { type: 'T', subject: 'notes', userId: 7, comments: 'hello' } }, admin);
    const id = raised.body.data!.raiseTicket.id;
    await t.gql(SEND, { input: { ticketId: id, body: 'answer one' } }, admin);
    const before = (await t.gql(VIEW, { id }, user)).body.data.ticket;

    t.clock.advance(60_000);
    await t.gql(SEND, { input: { ticketId: id, body: 'internal note', showToUser: false } }, admin);
    const afterNote = (await t.gql(VIEW, { id }, user)).body.data.ticket;
    expect(afterNote).toEqual(before);

    await t.gql(SEND, { input: { ticketId: id, body: 'answer two' } }, admin);
    const seen = (await t.gql(VIEW, { id }, user)).body.data.ticket;
    expect(seen.messages.edges.map((e: any) => e.node.body)).toEqual(['hello', 'answer one', 'answer two']);
    expect(seen.messages.edges.map((e: any) => decoded(e.cursor))).toEqual(['m:1', 'm:2', 'm:3']);
    expect(seen.updatedAt).not.toBe(before.updatedAt);

    // Paging with those cursors goes on where it stopped, the note never in between.
    const page1 = (await t.gql(VIEW, { id, first: 2 }, user)).body.data.ticket.messages;
    const page2 = (await t.gql(VIEW, { id, first: 2, after: page1.pageInfo.endCursor }, user)).body.data.ticket.messages;
    expect([...page1.edges, ...page2.edges].map((e: any) => e.node.body)).toEqual(['hello', 'answer one', 'answer two']);
    expect(page2.pageInfo.hasNextPage).toBe(false);

    // An admin's cursors count every message, the note included.
    const adminView = (await t.gql(VIEW, { id }, admin)).body.data.ticket;
    expect(adminView.messages.edges.map((e: any) => [e.node.body, decoded(e.cursor)])).toEqual([
      ['hello', 'm:1'],
      ['answer one', 'm:2'],
      ['internal note', 'm:3'],
      ['answer two', 'm:4'],
    ]);
  });
});
