import {
  AssignTicketDocument,
  CloseTicketDocument,
  RaiseTicketWithCursorDocument,
  ResumableMessagesDocument,
  ResumableTicketUpdatesDocument,
  SendMessageWithCursorDocument,
  SetTicketOnHoldDocument,
  TicketEventCursorDocument,
  TicketHistoryDocument,
} from '../generated/graphql';
import { ACME_KEY, messageMarker, startTestApp, subscribe, ticketMarker, type TestApp } from '../helpers/app';
import { whenSubscribed } from '../helpers/graphql';

/**
 * Resumable subscriptions: a client that lost its socket subscribes again with the last eventCursor
 * it saw and gets every event it may see since, in order, exactly once, then the live ones.
 */
describe('resuming a subscription from an event cursor', () => {
  let t: TestApp;
  const admin = { apiKey: ACME_KEY };
  let userToken: string;

  beforeAll(async () => {
    t = await startTestApp();
    userToken = await t.token({ role: 'user', userId: 7 });
  });
  afterAll(() => t.stop());

  const MESSAGES = ResumableMessagesDocument;
  const UPDATES = ResumableTicketUpdatesDocument;
  const SEND = SendMessageWithCursorDocument;

  async function raise(): Promise<string> {
    const result = await t.gql(RaiseTicketWithCursorDocument, { input: { type: 'T', subject: 'resume', userId: 7, comments: 'first' } }, admin);
    return result.body.data!.raiseTicket.id;
  }
  const send = async (ticketId: string, body: string, showToUser = true) =>
    (await t.gql(SEND, { input: { ticketId, body, showToUser } }, admin)).body.data!.sendMessage as { id: string; eventCursor: string };

  it('gives a client that dropped its socket exactly what it missed, then goes live', async () => {
    const id = await raise();
    const first = subscribe(t.wsClient({ apiKey: ACME_KEY }), MESSAGES, { id }, (data) => data.messageAdded);
    await whenSubscribed([first], (marker) => t.events.messageAdded(messageMarker(id, 7, marker)));
    await send(id, 'one');
    await send(id, 'two');
    const seen = await first.waitFor(2);
    expect(seen.map((m) => m.body)).toEqual(['one', 'two']);
    first.dispose(); // the socket drops

    await send(id, 'three');
    await send(id, 'four (note)', false);
    const again = subscribe(t.wsClient({ apiKey: ACME_KEY }), MESSAGES, { id, after: seen[1].eventCursor }, (data) => data.messageAdded);
    expect((await again.waitFor(2)).map((m) => m.body)).toEqual(['three', 'four (note)']);
    await send(id, 'five');
    const all = await again.waitFor(3);
    expect(all.map((m) => m.body)).toEqual(['three', 'four (note)', 'five']);
    // Live and replayed messages carry the cursors of their events, as the history shows them.
    const history = await t.gql(TicketHistoryDocument, { id }, admin);
    const cursors = Object.fromEntries(
      history.body.data!.ticket!.history.edges.filter((e: any) => e.node.type === 'MESSAGE_ADDED').map((e: any) => [e.node.message.body, e.cursor]),
    );
    expect(all.map((m) => m.eventCursor)).toEqual(['three', 'four (note)', 'five'].map((body) => cursors[body]));
    again.dispose();
  });

  it('misses nothing and repeats nothing at the seam, while messages keep coming', async () => {
    const id = await raise();
    const start = await send(id, 'start');
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const sending = (async () => {
      for (const body of bodies) await send(id, body);
    })();
    const feed = subscribe(t.wsClient({ apiKey: ACME_KEY }), MESSAGES, { id, after: start.eventCursor }, (data) => data.messageAdded);
    await sending;
    expect((await feed.waitFor(bodies.length)).map((m) => m.body)).toEqual(bodies);
    // And nothing after them but what comes next.
    await send(id, 'last');
    expect((await feed.waitFor(bodies.length + 1)).map((m) => m.body)).toEqual([...bodies, 'last']);
    feed.dispose();
  });

  it('replays a user only what it may see: no internal note, no other ticket', async () => {
    const id = await raise();
    const other = await raise();
    const start = await send(id, 'start');
    await send(id, 'secret', false);
    await send(other, 'on another ticket');
    await send(id, 'visible');
    const feed = subscribe(t.wsClient({ authorization: `Bearer ${userToken}` }), MESSAGES, { id, after: start.eventCursor }, (data) => data.messageAdded);
    expect((await feed.waitFor(1)).map((m) => m.body)).toEqual(['visible']);
    // The next thing it receives is the next visible message: the note never came.
    await send(id, 'secret 2', false);
    await send(id, 'visible 2');
    expect((await feed.waitFor(2)).map((m) => m.body)).toEqual(['visible', 'visible 2']);
    feed.dispose();
  });

  it('replays ticketUpdated as the ticket was right after each event', async () => {
    const id = await raise();
    const mark = (await t.gql(TicketEventCursorDocument, { id }, admin)).body.data!.ticket!.eventCursor;
    await t.gql(AssignTicketDocument, { id, admin: 'bob' }, admin);
    await t.gql(SetTicketOnHoldDocument, { id, onHold: true }, admin);
    await send(id, 'a message is not a ticket change');
    await t.gql(CloseTicketDocument, { id }, admin);
    const feed = subscribe(t.wsClient({ apiKey: ACME_KEY }), UPDATES, { id, after: mark }, (data) => data.ticketUpdated);
    const replayed = await feed.waitFor(3);
    expect(replayed.map((t) => [t.status, t.assignedTo])).toEqual([
      ['OPEN', 'bob'],
      ['ON_HOLD', 'bob'],
      ['CLOSED', 'bob'],
    ]);
    const current = (await t.gql(TicketEventCursorDocument, { id }, admin)).body.data!.ticket!.eventCursor;
    expect(replayed[2].eventCursor).toBe(current);
    // Live markers still pass after the replay.
    t.events.ticketUpdated(ticketMarker('zed', { ticketId: id, userId: 7 }));
    expect((await feed.waitFor(4))[3].assignedTo).toBe('zed');
    feed.dispose();
  });

  it('refuses a cursor of another account', async () => {
    const id = await raise();
    const foreign = Buffer.from('e:1:globex').toString('base64url');
    const feed = subscribe(t.wsClient({ apiKey: ACME_KEY }), MESSAGES, { id, after: foreign });
    await feed.ended.catch(() => undefined);
    await feed.waitFor(1).catch(() => undefined);
    const refusal = JSON.stringify([feed.values, feed.errors]);
    expect(refusal).toContain('BAD_USER_INPUT');
    expect(refusal).toContain('another account');
  });
});
