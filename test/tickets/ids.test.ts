import { RaiseTicketDocument } from '../generated/graphql';
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ TICKET_ID_START: '500' });
});
afterAll(async () => {
  await t.stop();
});

const raise = (i: number) => t.gql(RaiseTicketDocument, { input: { type: 't', subject: `s${i}`, userId: 1, comments: 'c' } }, { apiKey: ACME_KEY });

describe('ticket ids', () => {
  it('are distinct and start at TICKET_ID_START even when raises come before the counter was set up', async () => {
    // As after a database that came up late, or lost its data: no counter document at all.
    await t.app.container.models.Counter.deleteMany({});
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => raise(i)));
    const ids = results.map((r) => Number(r.body.data?.raiseTicket.id));
    expect(results.every((r) => r.body.errors === undefined)).toBe(true);
    expect(new Set(ids).size).toBe(12);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(500);
  });

  it('make /readyz wait for the indexes and the counter', async () => {
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
  });
});
