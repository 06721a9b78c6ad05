import { MessageBodiesDocument, RaiseTicketDocument, SendMessageDocument } from '../generated/graphql';
import { startTestApp, subscribe, type TestApp } from '../helpers/app';

/**
 * No event announces a write that did not happen. The raise whose ticket cannot be written (its id is
 * already taken) has written its first message before failing: that message must be undone and never
 * reach a subscriber of the ticket the id belongs to.
 */
describe('publish after commit', () => {
  let t: TestApp;
  let admin: { token: string };

  beforeAll(async () => {
    t = await startTestApp();
    admin = { token: await t.token({ role: 'admin', sub: 'root@acme.test' }) };
  });
  afterAll(() => t.stop());

  const SEND = SendMessageDocument;
  const RAISE = RaiseTicketDocument;

  it('a raise that fails after writing its first message announces nothing', async () => {
    const raised = await t.gql(RAISE, { input: { type: 'Payment', subject: 'first', userId: 7, comments: 'hello' } }, admin);
    const firstId = Number(raised.body.data!.raiseTicket.id);
    const db = t.app.database.connection.db!;
    // The next id the counter hands out belongs to a ticket that exists already, with no conversation.
    const takenId = firstId + 1;
    const existing = await db.collection('tickets').findOne({ _id: firstId as never });
    await db.collection('tickets').insertOne({ ...existing!, _id: takenId as never, subject: 'taken', messageSeq: 0 });

    const sub = subscribe(t.wsClient({ authorization: `Bearer ${admin.token}` }), MessageBodiesDocument, { ticketId: String(takenId) });
    // Live once a probe message arrives; the probes are then removed, so position 1 is free again.
    for (let probe = 0; sub.values.length === 0; probe += 1) {
      await t.gql(SEND, { input: { ticketId: String(takenId), body: `probe ${probe}` } }, admin);
      await sub.waitFor(1, 500).catch(() => undefined);
    }
    // Events of one subscription arrive in order: once "ready" is in, no earlier probe is still on its way.
    await t.gql(SEND, { input: { ticketId: String(takenId), body: 'ready' } }, admin);
    for (let n = sub.values.length + 1; !sub.values.some((v) => v.data.messageAdded.body === 'ready'); n += 1) await sub.waitFor(n);
    const probes = sub.values.length;
    await db.collection('messages').deleteMany({ ticketId: takenId });
    await db.collection('tickets').updateOne({ _id: takenId as never }, { $set: { messageSeq: 0 } });

    const failed = await t.gql(RAISE, { input: { type: 'Payment', subject: 'collides', userId: 7, comments: 'never announced' } }, admin);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
    expect(await db.collection('messages').countDocuments({ ticketId: takenId })).toBe(0);

    // A later message of the same ticket is the next thing the subscriber receives, and the only one.
    await t.gql(SEND, { input: { ticketId: String(takenId), body: 'after' } }, admin);
    await sub.waitFor(probes + 1);
    expect(sub.values.slice(probes).map((v) => v.data.messageAdded.body)).toEqual(['after']);
    sub.dispose();
  });
});
