import { ACME_KEY, commandsDuring, startTestApp, type TestApp } from '../helpers/app';
import {
  CloseTicketDocument,
  RaiseTicketDocument,
  RateTicketDocument,
  SendMessageDocument,
  TicketPageWithConversationsDocument,
  type TicketPageWithConversationsQuery,
} from '../generated/graphql';

let t: TestApp;
const admin = { apiKey: ACME_KEY };

beforeAll(async () => {
  t = await startTestApp({}, { monitorCommands: true });
  for (let i = 0; i < 100; i += 1) {
    const raised = await t.gql(RaiseTicketDocument, { input: { type: 'Bulk', subject: `ticket ${i}`, userId: 1 + (i % 5), comments: `first ${i}` } }, admin);
    const id = raised.body.data!.raiseTicket.id;
    if (i % 3 === 0) await t.gql(SendMessageDocument, { input: { ticketId: id, body: `second ${i}` } }, admin);
    if (i % 4 === 0) {
      await t.gql(CloseTicketDocument, { id }, admin);
      await t.gql(RateTicketDocument, { input: { ticketId: id, value: 1 + (i % 5) } }, admin);
    }
  }
});
afterAll(async () => {
  await t.stop();
});

async function commandsFor(first: number): Promise<{ commands: string[]; data: TicketPageWithConversationsQuery }> {
  const { result, commands } = await commandsDuring(t, () => t.gql(TicketPageWithConversationsDocument, { first }, admin));
  expect(result.body.errors).toBeUndefined();
  return { commands: commands.map((command) => command.name), data: result.body.data! };
}

describe('per-request batching', () => {
  it('answers 100 tickets with ratings and first messages in at most 4 database commands', async () => {
    const { commands, data } = await commandsFor(100);
    expect(data.tickets.edges).toHaveLength(100);
    expect(commands.length).toBeLessThanOrEqual(4);
    const edges = data.tickets.edges;
    expect(edges[0].node.rating?.value).toBe(1);
    expect(edges[1].node.rating).toBeNull();
    expect(edges[0].node.messages).toEqual({ totalCount: 2, edges: [{ node: { body: 'first 0' } }] });
    expect(edges[1].node.messages.totalCount).toBe(1);
  });

  it('costs the same number of commands for 10 tickets as for 100', async () => {
    const small = await commandsFor(10);
    const large = await commandsFor(100);
    expect(large.commands).toEqual(small.commands);
  });
});
