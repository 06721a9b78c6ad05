/**
 * Golden tests of /api/v1, endpoint by endpoint: the exact JSON text (so key order counts) of every
 * success and of each error path of the contract, over real HTTP against a real server. Every answer
 * is also checked to be the envelope (status == errorCode) and validated against the OpenAPI document.
 * LEGACY_TIMEZONE is Asia/Kolkata (UTC+5:30), so every time below is a wall time of that zone.
 */
import { GLOBEX_KEY, type TestApp } from '../helpers/app';
import { OpenApiValidator } from './openapi-validator';
import { errorText, expectEnvelope, gqlData, legacy, type LegacyCall, type LegacyResponse, raiseViaGraphQL, ticketCount, startLegacyApp } from './helpers';

let t: TestApp;
let validator: OpenApiValidator;

beforeAll(async () => {
  t = await startLegacyApp({ TICKET_ID_START: '91', LEGACY_TIMEZONE: 'Asia/Kolkata' });
  validator = new OpenApiValidator((await legacy(t, '/openapi.json')).json);
});
afterAll(async () => {
  await t?.stop();
});

/** A legacy call whose answer must be the envelope and match the OpenAPI document. */
async function api(path: string, call: LegacyCall = {}): Promise<LegacyResponse> {
  const response = await legacy(t, path, call);
  expectEnvelope(response);
  const method = call.method ?? (call.form || call.json !== undefined || call.multipart || call.raw ? 'POST' : 'GET');
  const problem = validator.validate(path, method, response.status, response.json);
  if (problem) throw new Error(`${method} ${path} → ${response.status} ${response.text}: not as documented: ${problem}`);
  return response;
}

async function expectError(path: string, call: LegacyCall, errorCode: number, message: string): Promise<void> {
  const response = await api(path, call);
  expect(response.text).toBe(errorText(errorCode, message));
  expect(response.status).toBe(errorCode);
}

/** Wall time in Asia/Kolkata → the instant, for the test clock. */
const ist = (wall: string) => new Date(`${wall.replace(' ', 'T')}+05:30`);

const TICKET = `query T($id: ID!) { ticket(id: $id) { id status priority due assignedTo closedAt updatedAt resolution { type subject } rating { value }
  messages(first: 200) { totalCount edges { node { sender senderName body showToUser } } } } }`;
const ticketOf = async (id: string) => (await gqlData(t, TICKET, { id })).ticket;

describe('V1 raise_ticket', () => {
  const base = { type: 'Payment', subject: 'Unable to pay online', userId: '6', comments: 'connection timeout' };

  it('raises a ticket and answers its id, exactly as the sample', async () => {
    t.clock.set(ist('2016-11-21 17:01:51'));
    const response = await api('/raise_ticket', { form: base });
    expect(response.status).toBe(200);
    expect(response.text).toBe(
      '{"status":"success","errorCode":200,"message":"Your ticket with the ID 91 has been raised. Please wait for the response and note the ticket Id for future reference.","ticketId":"91"}',
    );
    const ticket = await ticketOf('91');
    expect(ticket).toMatchObject({ status: 'UNASSIGNED', priority: 'MEDIUM', due: ist('2016-11-22 05:01:51').toISOString(), assignedTo: null });
    expect(ticket.messages.edges).toEqual([{ node: { sender: 'USER', senderName: '6', body: 'connection timeout', showToUser: true } }]);
  });

  it('accepts JSON numbers, any-case priority, and closeTicketImmediately with a resolution', async () => {
    const response = await api('/raise_ticket', {
      json: { ...base, userId: 6, priority: 'URGENT', closeTicketImmediately: 'TRUE', resolutionType: 'Refund', resolutionSubject: ' Refunded ' },
    });
    expect(response.status).toBe(200);
    const id = response.json.ticketId as string;
    expect(response.text).toBe(
      `{"status":"success","errorCode":200,"message":"Your ticket with the ID ${id} has been raised. Please wait for the response and note the ticket Id for future reference.","ticketId":"${id}"}`,
    );
    expect(await ticketOf(id)).toMatchObject({ status: 'CLOSED', priority: 'URGENT', resolution: { type: 'Refund', subject: 'Refunded' } });
  });

  it('accepts a multipart body of fields', async () => {
    const response = await api('/raise_ticket', { multipart: { ...base, priority: 'low', closeTicketImmediately: '0' } });
    expect(response.status).toBe(200);
    expect(await ticketOf(response.json.ticketId)).toMatchObject({ status: 'UNASSIGNED', priority: 'LOW' });
  });

  it.each<[string, Record<string, string>, string]>([
    ['type missing', { type: '' }, 'type is required and must not be empty'],
    ['subject blank', { subject: '   ' }, 'subject is required and must not be empty'],
    ['comments blank', { comments: ' \t ' }, 'comments is required and must not be empty'],
    ['userId not a number', { userId: '9x' }, 'userId is required and must be a positive integer'],
    ['userId negative', { userId: '-1' }, 'userId is required and must be a positive integer'],
    ['userId fractional', { userId: '1.5' }, 'userId is required and must be a positive integer'],
    ['userId empty', { userId: '' }, 'userId is required and must be a positive integer'],
    ['userId zero', { userId: '0' }, 'userId is required and must be a positive integer'],
    ['priority unknown', { priority: 'critical' }, 'priority must be one of low, medium, high, urgent'],
    ['closeTicketImmediately not a boolean', { closeTicketImmediately: 'yes' }, 'closeTicketImmediately must be true or false'],
    ['closing without a resolution', { closeTicketImmediately: 'true' }, 'resolutionType is required and must not be empty'],
    ['closing without resolutionSubject', { closeTicketImmediately: '1', resolutionType: 'Refund' }, 'resolutionSubject is required and must not be empty'],
    ['closing with a blank resolutionType', { closeTicketImmediately: 'true', resolutionType: '  ', resolutionSubject: 'x' }, 'resolutionType is required and must not be empty'],
    ['type too long', { type: 't'.repeat(101) }, 'type must be at most 100 characters'],
    ['subject too long', { subject: 's'.repeat(256) }, 'subject must be at most 255 characters'],
    ['comments too long', { comments: 'c'.repeat(65_536) }, 'comments must be at most 65535 characters'],
  ])('%s: 400 naming the field, and nothing written', async (_name, change, message) => {
    const before = await ticketCount(t);
    await expectError('/raise_ticket', { form: { ...base, ...change } }, 400, message);
    expect(await ticketCount(t)).toBe(before);
  });

  it('takes limits in characters, after trimming: 100 emoji are a valid type', async () => {
    const response = await api('/raise_ticket', { form: { ...base, type: `  ${'😀'.repeat(100)}  ` } });
    expect(response.status).toBe(200);
  });

  it('never reuses an id after a refused request', async () => {
    const before = Number((await api('/raise_ticket', { form: base })).json.ticketId);
    await expectError('/raise_ticket', { form: { ...base, userId: 'x' } }, 400, 'userId is required and must be a positive integer');
    expect(Number((await api('/raise_ticket', { form: base })).json.ticketId)).toBe(before + 1);
  });
});

describe('V2 get_tickets', () => {
  // Users 201/202 of acme, and one globex ticket, created at known wall times.
  let a: string;
  let b: string;
  let c: string;
  let globex: string;

  beforeAll(async () => {
    t.clock.set(ist('2017-11-21 17:01:51'));
    a = await raiseViaGraphQL(t, { userId: 201, type: 'Payment', subject: 'Unable to pay online', priority: 'MEDIUM' });
    t.clock.set(ist('2017-11-21 17:03:23'));
    b = await raiseViaGraphQL(t, { userId: 201, type: 'Access', subject: 'Locked out', priority: 'HIGH' });
    t.clock.set(ist('2017-11-22 09:00:00'));
    c = await raiseViaGraphQL(t, { userId: 202, type: 'Payment', subject: 'Refund', priority: 'LOW' });
    globex = await raiseViaGraphQL(t, { userId: 201 }, { apiKey: GLOBEX_KEY });
    await gqlData(t, 'mutation($id: ID!) { assignTicket(id: $id, admin: "admin@example.com") { id } }', { id: b });
    t.clock.set(ist('2017-11-22 10:00:00'));
  });

  const ticketA = () =>
    `{"Ticket":{"id":"${a}","account_id":"acme","user":"201","subject":"Unable to pay online","type":"Payment","priority":"medium","due":"2017-11-22 05:01:51","status":"unassigned","assigned_to":"NULL","group_name":"Payment","created":"2017-11-21 17:01:51"}}`;
  const ticketB = () =>
    `{"Ticket":{"id":"${b}","account_id":"acme","user":"201","subject":"Locked out","type":"Access","priority":"high","due":"2017-11-21 21:03:23","status":"open","assigned_to":"admin@example.com","group_name":"Access","created":"2017-11-21 17:03:23"}}`;
  const ticketC = () =>
    `{"Ticket":{"id":"${c}","account_id":"acme","user":"202","subject":"Refund","type":"Payment","priority":"low","due":"2017-11-23 09:00:00","status":"unassigned","assigned_to":"NULL","group_name":"Payment","created":"2017-11-22 09:00:00"}}`;
  const list = (...tickets: string[]) => `{"status":"success","errorCode":200,"data":[${tickets.join(',')}]}`;

  it("lists a user's tickets by id ascending, keys in the sample's order, only of the caller's account", async () => {
    const response = await api('/get_tickets/201');
    expect(response.status).toBe(200);
    expect(response.text).toBe(list(ticketA(), ticketB()));
    expect(response.text).not.toContain(`"id":"${globex}"`);
  });

  it('filters by status, view and assigned admin (GET and POST alike)', async () => {
    expect((await api('/get_tickets/201/open')).text).toBe(list(ticketB()));
    expect((await api('/get_tickets/201/unassigned', { method: 'POST' })).text).toBe(list(ticketA()));
    expect((await api('/get_tickets/201/OPEN/admin%40example.com')).text).toBe(list(ticketB()));
    expect((await api('/get_tickets/201/all/admin@example.com')).text).toBe(list(ticketB()));
    expect((await api('/get_tickets/201/all/nobody@example.com')).text).toBe(list());
    expect((await api('/get_tickets/201/closed')).text).toBe(list());
    expect((await api('/get_tickets/201/unresolved')).text).toBe(list(ticketA(), ticketB()));
    // At 10:00 on the 22nd, A (due 05:01:51) and B (due 21:03:23 the day before) are overdue; C is due tomorrow.
    expect((await api('/get_tickets/0/overdue', { query: { fromDate: '21-11-2017', toDate: '22-11-2017' } })).text).toBe(list(ticketA(), ticketB()));
    expect((await api('/get_tickets/0/duetoday', { query: { fromDate: '21-11-2017', toDate: '22-11-2017' } })).text).toBe(list(ticketA()));
  });

  it('filters on created with fromDate/toDate in LEGACY_TIMEZONE, both inclusive', async () => {
    const between = async (fromDate: string | undefined, toDate: string | undefined) =>
      (await api('/get_tickets/0', { form: { ...(fromDate ? { fromDate } : {}), ...(toDate ? { toDate } : {}) } })).text;
    expect(await between('21-11-2017 17:01', '21-11-2017 17:01')).toBe(list(ticketA()));
    expect(await between('21-11-2017 17:02', '21-11-2017 17:03')).toBe(list(ticketB()));
    expect(await between('21-11-2017 17:04', '22-11-2017 8:59')).toBe(list());
    expect(await between('21-11-2017', '21-11-2017')).toBe(list(ticketA(), ticketB()));
    expect(await between('22-11-2017 9:0', undefined)).toBe(list(ticketC()));
    expect(await between('1-1-2017', '21-11-2017 17:00')).toBe(list());
  });

  it('lets userId 0 mean every user, and takes limit/offset as an extension', async () => {
    const range = { fromDate: '21-11-2017', toDate: '22-11-2017' };
    expect((await api('/get_tickets/0', { query: range })).text).toBe(list(ticketA(), ticketB(), ticketC()));
    expect((await api('/get_tickets/0', { query: { ...range, limit: 2 } })).text).toBe(list(ticketA(), ticketB()));
    expect((await api('/get_tickets/0', { query: { ...range, limit: 1, offset: 1 } })).text).toBe(list(ticketB()));
    expect((await api('/get_tickets/0', { query: { ...range, offset: 2 } })).text).toBe(list(ticketC()));
    expect((await api('/get_tickets/0', { query: { ...range, limit: 0 } })).text).toBe(list());
    expect((await api('/get_tickets/0', { query: { ...range, offset: 5 } })).text).toBe(list());
  });

  it('answers an empty list as "data": []', async () => {
    expect((await api('/get_tickets/999')).text).toBe('{"status":"success","errorCode":200,"data":[]}');
  });

  it("never shows another account's tickets", async () => {
    const response = await api('/get_tickets/201', { apiKey: GLOBEX_KEY });
    expect(response.json.data.map((row: any) => row.Ticket.id)).toEqual([globex]);
    expect(response.json.data[0].Ticket.account_id).toBe('globex');
  });

  it.each<[string, string, LegacyCall, string]>([
    ['an unknown status', '/get_tickets/201/pending', {}, 'status must be one of unresolved, overdue, duetoday, open, onhold, unassigned, closed, all'],
    ['a userId that is not a number', '/get_tickets/abc', {}, 'userId is required and must be 0 (all users) or a positive integer'],
    ['a negative userId', '/get_tickets/-1', {}, 'userId is required and must be 0 (all users) or a positive integer'],
    ['no userId at all', '/get_tickets', {}, 'userId is required and must be 0 (all users) or a positive integer'],
    ['an impossible date', '/get_tickets/0', { form: { fromDate: '31-02-2017' } }, 'fromDate must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01'],
    ['an impossible hour', '/get_tickets/0', { form: { toDate: '21-11-2017 25:00' } }, 'toDate must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01'],
    ['letters in a date', '/get_tickets/0', { query: { fromDate: 'yesterday' } }, 'fromDate must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01'],
    ['an ISO date', '/get_tickets/0', { json: { toDate: '2017-11-21' } }, 'toDate must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01'],
    ['toDate before fromDate', '/get_tickets/0', { form: { fromDate: '22-11-2017', toDate: '21-11-2017' } }, 'toDate must not be before fromDate'],
    ['a negative limit', '/get_tickets/0', { query: { limit: '-1' } }, 'limit must be a non-negative integer'],
    ['a fractional offset', '/get_tickets/0', { json: { offset: 1.5 } }, 'offset must be a non-negative integer'],
    ['an assigned_admin over 254 characters', `/get_tickets/0/all/${'a'.repeat(255)}`, {}, 'assigned_admin must be at most 254 characters'],
  ])('400 for %s', async (_name, path, call, message) => {
    await expectError(path, call, 400, message);
  });

  it('404 for more path segments than the endpoint has', async () => {
    await expectError('/get_tickets/0/open/admin/extra', {}, 404, 'No endpoint at /api/v1/get_tickets/0/open/admin/extra: the endpoints are listed at /api/v1/openapi.json');
  });
});

describe('V3 send_message', () => {
  let id: string;
  let closed: string;
  beforeAll(async () => {
    t.clock.set(ist('2016-11-21 19:06:34'));
    id = await raiseViaGraphQL(t, { userId: 301 });
    closed = await raiseViaGraphQL(t, { userId: 301, closeImmediately: true, resolution: { type: 'Fixed', subject: 'Done' } });
  });
  const message = { ticketMessage: 'ok. Looking on it', sender: 'admin', sender_name: 'admin@example.com', showToUser: 'false' };

  it('sends an admin message and answers with the sender as given', async () => {
    const response = await api('/send_message', { form: { ticketId: id, ...message } });
    expect(response.text).toBe('{"status":"success","errorCode":200,"message":"The message has been sent to the admin"}');
    const again = await api('/send_message', { json: { ticketId: Number(id), ...message, sender: 'User', showToUser: false } });
    expect(again.text).toBe('{"status":"success","errorCode":200,"message":"The message has been sent to the User"}');
    const stored = (await ticketOf(id)).messages.edges.map((e: any) => e.node);
    expect(stored.slice(1)).toEqual([
      { sender: 'ADMIN', senderName: 'admin@example.com', body: 'ok. Looking on it', showToUser: false },
      // A user's message is always visible to the user (the GraphQL rule).
      { sender: 'USER', senderName: 'admin@example.com', body: 'ok. Looking on it', showToUser: true },
    ]);
  });

  it.each<[string, Record<string, unknown>, number, string]>([
    ['an unknown sender', { sender: 'bot' }, 400, 'sender is required and must be one of admin, user'],
    ['no sender', { sender: undefined }, 400, 'sender is required and must be one of admin, user'],
    ['showToUser not a boolean', { showToUser: 'maybe' }, 400, 'showToUser is required and must be true or false'],
    ['no showToUser', { showToUser: undefined }, 400, 'showToUser is required and must be true or false'],
    ['no message', { ticketMessage: '  ' }, 400, 'ticketMessage is required and must not be empty'],
    ['no sender_name', { sender_name: '' }, 400, 'sender_name is required and must not be empty'],
    ['no ticketId', { ticketId: undefined }, 400, 'ticketId is required and must be a positive integer'],
    ['a ticketId that is not a number', { ticketId: '12abc' }, 400, 'ticketId is required and must be a positive integer'],
    ['a sender_name over 254 characters', { sender_name: 'n'.repeat(255) }, 400, 'sender_name must be at most 254 characters'],
    ['a message over 65,535 characters', { ticketMessage: 'm'.repeat(65_536) }, 400, 'ticketMessage must be at most 65535 characters'],
    ['an unknown ticket', { ticketId: '999999' }, 404, 'No ticket with the ID 999999 was found'],
  ])('%s', async (_name, change, errorCode, text) => {
    const form = Object.fromEntries(Object.entries({ ticketId: id, ...message, ...change }).filter(([, v]) => v !== undefined)) as Record<string, string>;
    const before = await ticketOf(id);
    await expectError('/send_message', { form }, errorCode, text);
    expect(await ticketOf(id)).toEqual(before);
  });

  it('409 on a closed ticket: reopen first', async () => {
    await expectError('/send_message', { form: { ticketId: closed, ...message } }, 409, `Ticket ${closed} is closed: reopen it before sending a message`);
    expect((await ticketOf(closed)).messages.totalCount).toBe(1);
  });

  it("404 for another account's ticket", async () => {
    await expectError('/send_message', { form: { ticketId: id, ...message }, apiKey: GLOBEX_KEY }, 404, `No ticket with the ID ${id} was found`);
  });
});

describe('V4 get_ticket_details', () => {
  it('answers the whole conversation in order (internal notes included) and the ticket state, as the sample', async () => {
    t.clock.set(ist('2016-11-16 13:07:26'));
    const id = await raiseViaGraphQL(t, { userId: 6, comments: 'connection timeout' });
    t.clock.set(ist('2016-11-21 19:06:34'));
    await api('/send_message', { form: { ticketId: id, ticketMessage: 'ok. Looking on it', sender: 'admin', sender_name: 'admin@example.com', showToUser: '0' } });
    t.clock.set(ist('2016-11-21 19:07:11'));
    await api('/assign_ticket_to_admin', { form: { ticketId: id, admin: 'admin@example.com' } });
    await api('/send_message', { form: { ticketId: id, ticketMessage: 'issue is solved', sender: 'admin', sender_name: 'admin@example.com', showToUser: '1' } });
    await api(`/close_ticket/${id}`);
    const response = await api(`/get_ticket_details/${id}`);
    expect(response.text).toBe(
      '{"status":"success","errorCode":200,"message":{"ticket_conversation":[' +
        '{"sender":"user","sender_name":"6","ticket_message":"connection timeout","created":"2016-11-16 13:07:26","show_to_user":"1"},' +
        '{"sender":"admin","sender_name":"admin@example.com","ticket_message":"ok. Looking on it","created":"2016-11-21 19:06:34","show_to_user":"0"},' +
        '{"sender":"admin","sender_name":"admin@example.com","ticket_message":"issue is solved","created":"2016-11-21 19:07:11","show_to_user":"1"}],' +
        '"ticket_details":{"status":"closed","assigned_to":"admin@example.com","created":"2016-11-16 13:07:26"}}}',
    );
    // The id may also come from the body or the query string.
    expect((await api('/get_ticket_details', { query: { ticketId: id } })).text).toBe(response.text);
    expect((await api('/get_ticket_details', { json: { ticketId: Number(id) } })).text).toBe(response.text);
  });

  it('says "NULL" for an unassigned ticket', async () => {
    const id = await raiseViaGraphQL(t, { userId: 6 });
    expect((await api(`/get_ticket_details/${id}`)).json.message.ticket_details.assigned_to).toBe('NULL');
  });

  it("404 for an unknown ticket or another account's, 400 for a malformed id", async () => {
    await expectError('/get_ticket_details/999999', {}, 404, 'No ticket with the ID 999999 was found');
    const theirs = await raiseViaGraphQL(t, {}, { apiKey: GLOBEX_KEY });
    await expectError(`/get_ticket_details/${theirs}`, {}, 404, `No ticket with the ID ${theirs} was found`);
    await expectError('/get_ticket_details/abc', {}, 400, 'ticketId is required and must be a positive integer');
    await expectError('/get_ticket_details/0', {}, 400, 'ticketId is required and must be a positive integer');
    await expectError('/get_ticket_details', {}, 400, 'ticketId is required and must be a positive integer');
  });
});

describe('V5 close_ticket', () => {
  it('closes, and closing again answers the same and changes nothing', async () => {
    const id = await raiseViaGraphQL(t, { userId: 501 });
    const first = await api(`/close_ticket/${id}`);
    expect(first.text).toBe('{"status":"success","errorCode":200,"message":"The ticket has been closed"}');
    const closed = await ticketOf(id);
    expect(closed.status).toBe('CLOSED');
    t.clock.advance(60_000);
    const again = await api(`/close_ticket/${id}`, { method: 'POST', form: { resolutionType: 'Late', resolutionSubject: 'ignored' } });
    expect(again.text).toBe(first.text);
    expect(await ticketOf(id)).toEqual(closed);
  });

  it('stores a resolution given whole, and refuses half of one', async () => {
    const id = await raiseViaGraphQL(t, { userId: 501 });
    await expectError(`/close_ticket/${id}`, { form: { resolutionType: 'Refund' } }, 400, 'resolutionSubject is required and must not be empty');
    await expectError(`/close_ticket/${id}`, { query: { resolutionSubject: 'Refunded' } }, 400, 'resolutionType is required and must not be empty');
    expect((await ticketOf(id)).status).toBe('UNASSIGNED');
    await api(`/close_ticket/${id}`, { json: { resolutionType: 'Refund', resolutionSubject: 'Refunded' } });
    expect(await ticketOf(id)).toMatchObject({ status: 'CLOSED', resolution: { type: 'Refund', subject: 'Refunded' } });
  });

  it('404 for an unknown ticket, 400 for a malformed id', async () => {
    await expectError('/close_ticket/999999', {}, 404, 'No ticket with the ID 999999 was found');
    await expectError('/close_ticket/1.5', {}, 400, 'ticketId is required and must be a positive integer');
  });
});

describe('V6 assign_ticket_to_admin', () => {
  it('assigns: unassigned becomes open, onhold stays onhold', async () => {
    const id = await raiseViaGraphQL(t, { userId: 601 });
    const response = await api('/assign_ticket_to_admin', { form: { ticketId: id, admin: ' alice ' } });
    expect(response.text).toBe('{"status":"success","errorCode":200,"message":"Admin assigned to the ticket successfully"}');
    expect(await ticketOf(id)).toMatchObject({ status: 'OPEN', assignedTo: 'alice' });
    await gqlData(t, 'mutation($id: ID!) { setTicketOnHold(id: $id, onHold: true) { id } }', { id });
    await api('/assign_ticket_to_admin', { json: { ticketId: Number(id), admin: 'bob' } });
    expect(await ticketOf(id)).toMatchObject({ status: 'ON_HOLD', assignedTo: 'bob' });
    expect((await api('/get_tickets/601/onhold')).json.data[0].Ticket).toMatchObject({ status: 'onhold', assigned_to: 'bob' });
  });

  it('409 on a closed ticket, 404 on an unknown one, 400 without an admin', async () => {
    const id = await raiseViaGraphQL(t, { userId: 601, closeImmediately: true, resolution: { type: 'a', subject: 'b' } });
    await expectError('/assign_ticket_to_admin', { form: { ticketId: id, admin: 'alice' } }, 409, `Ticket ${id} is closed: reopen it before assigning it`);
    await expectError('/assign_ticket_to_admin', { form: { ticketId: '999999', admin: 'alice' } }, 404, 'No ticket with the ID 999999 was found');
    await expectError('/assign_ticket_to_admin', { form: { ticketId: id, admin: '   ' } }, 400, 'admin is required and must not be empty');
    await expectError('/assign_ticket_to_admin', { form: { admin: 'alice' } }, 400, 'ticketId is required and must be a positive integer');
  });

  it("400 for an admin over 254 characters (the limit is the GraphQL layer's), and nothing written", async () => {
    const id = await raiseViaGraphQL(t, { userId: 601 });
    const before = await ticketOf(id);
    await expectError('/assign_ticket_to_admin', { form: { ticketId: id, admin: 'a'.repeat(255) } }, 400, 'admin must be at most 254 characters');
    expect(await ticketOf(id)).toEqual(before);
  });
});

describe('V7 reopen_ticket', () => {
  it('reopens a closed ticket: message before errorCode, the reason appended, due restarted', async () => {
    t.clock.set(ist('2016-11-21 10:00:00'));
    const id = await raiseViaGraphQL(t, { userId: 701, priority: 'HIGH' });
    await api(`/close_ticket/${id}`);
    t.clock.set(ist('2016-11-23 12:00:00'));
    const response = await api('/reopen_ticket', { form: { ticketId: id, userId: '701', comments: 'still broken' } });
    expect(response.text).toBe('{"status":"success","message":"Ticket has been reopened successfully","errorCode":200}');
    const ticket = await ticketOf(id);
    expect(ticket).toMatchObject({ status: 'UNASSIGNED', due: ist('2016-11-23 16:00:00').toISOString(), closedAt: null });
    expect(ticket.messages.edges.at(-1).node).toEqual({ sender: 'USER', senderName: '701', body: 'still broken', showToUser: true });
  });

  it('reopens an assigned ticket as open', async () => {
    const id = await raiseViaGraphQL(t, { userId: 701 });
    await api('/assign_ticket_to_admin', { form: { ticketId: id, admin: 'alice' } });
    await api(`/close_ticket/${id}`);
    await api('/reopen_ticket', { json: { ticketId: id, userId: 701, comments: 'again' } });
    expect((await ticketOf(id)).status).toBe('OPEN');
  });

  it('403 for another user, 409 for an open ticket, 404 for an unknown one, 400 for missing fields', async () => {
    const id = await raiseViaGraphQL(t, { userId: 701 });
    await expectError('/reopen_ticket', { form: { ticketId: id, userId: '702', comments: 'x' } }, 403, `User 702 is not the user of ticket ${id}`);
    await expectError('/reopen_ticket', { form: { ticketId: id, userId: '701', comments: 'x' } }, 409, `Ticket ${id} is not closed: only a closed ticket can be reopened`);
    await expectError('/reopen_ticket', { form: { ticketId: '999999', userId: '701', comments: 'x' } }, 404, 'No ticket with the ID 999999 was found');
    await expectError('/reopen_ticket', { form: { ticketId: id, userId: '701' } }, 400, 'comments is required and must not be empty');
    await expectError('/reopen_ticket', { form: { ticketId: id, comments: 'x' } }, 400, 'userId is required and must be a positive integer');
    await expectError('/reopen_ticket', { form: { ticketId: id, userId: '701', comments: 'c'.repeat(65_536) } }, 400, 'comments must be at most 65535 characters');
  });
});

describe('V8 ticket_rating', () => {
  it('rates a closed ticket (message before errorCode, "ID214" without a space); rating again replaces', async () => {
    const id = await raiseViaGraphQL(t, { userId: 801 });
    await api(`/close_ticket/${id}`);
    const response = await api('/ticket_rating', { form: { ticketId: id, userId: '801', ratingValue: '4' } });
    expect(response.text).toBe(`{"status":"success","message":"Thanks for your feedback, your rating has been saved for the ticket ID${id}","errorCode":200}`);
    expect((await ticketOf(id)).rating).toEqual({ value: 4 });
    await api('/ticket_rating', { json: { ticketId: Number(id), userId: 801, ratingValue: 2 } });
    expect((await ticketOf(id)).rating).toEqual({ value: 2 });
  });

  it('400 for a value outside 1–5 or not an integer, 403 for another user, 409 for an open ticket', async () => {
    const id = await raiseViaGraphQL(t, { userId: 801 });
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '801', ratingValue: '3' } }, 409, `Ticket ${id} is not closed: only a closed ticket can be rated`);
    await api(`/close_ticket/${id}`);
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '801', ratingValue: '6' } }, 400, 'ratingValue must be an integer from 1 to 5');
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '801', ratingValue: '0' } }, 400, 'ratingValue must be an integer from 1 to 5');
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '801', ratingValue: '4.5' } }, 400, 'ratingValue is required and must be an integer from 1 to 5');
    await expectError('/ticket_rating', { json: { ticketId: id, userId: 801, ratingValue: 'five' } }, 400, 'ratingValue is required and must be an integer from 1 to 5');
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '801' } }, 400, 'ratingValue is required and must be an integer from 1 to 5');
    await expectError('/ticket_rating', { form: { ticketId: id, userId: '802', ratingValue: '5' } }, 403, `User 802 is not the user of ticket ${id}`);
    await expectError('/ticket_rating', { form: { ticketId: '999999', userId: '801', ratingValue: '5' } }, 404, 'No ticket with the ID 999999 was found');
    expect((await ticketOf(id)).rating).toBeNull();
  });
});

describe('common answers', () => {
  it('401 without credentials or with a wrong key; 403 for a user token', async () => {
    await expectError('/get_tickets/0', { apiKey: null }, 401, 'Authentication required: send X-API-Key, Authorization: Bearer <key or admin token>, or ?api_key=');
    await expectError('/get_tickets/0', { apiKey: 'not-a-valid-key-0000' }, 401, 'The API key is not valid');
    const user = await t.token({ role: 'user', userId: 6 });
    await expectError(
      '/get_tickets/0',
      { apiKey: null, headers: { authorization: `Bearer ${user}` } },
      403,
      'The legacy API is an admin/service channel: a user token may not call it',
    );
  });

  it('404 for an unknown path, 405 for another method (with Allow)', async () => {
    await expectError('/tickets', {}, 404, 'No endpoint at /api/v1/tickets: the endpoints are listed at /api/v1/openapi.json');
    await expectError('', {}, 404, 'No endpoint at /api/v1/: the endpoints are listed at /api/v1/openapi.json');
    const response = await legacy(t, '/raise_ticket', { method: 'PUT', form: { type: 'x' } });
    expectEnvelope(response);
    expect(response.text).toBe(errorText(405, 'Method PUT is not allowed: use GET or POST'));
    expect(response.headers.get('allow')).toBe('GET, POST');
  });

  it('every endpoint answers GET as well as POST', async () => {
    const id = await raiseViaGraphQL(t, { userId: 901 });
    expect((await api('/raise_ticket', { query: { type: 'T', subject: 'S', userId: 901, comments: 'C' } })).status).toBe(200);
    expect((await api('/send_message', { query: { ticketId: id, ticketMessage: 'm', sender: 'admin', sender_name: 'a', showToUser: 'true' } })).status).toBe(200);
    expect((await api('/assign_ticket_to_admin', { query: { ticketId: id, admin: 'a' } })).status).toBe(200);
    expect((await api(`/close_ticket/${id}`)).status).toBe(200);
    expect((await api('/ticket_rating', { query: { ticketId: id, userId: 901, ratingValue: 5 } })).status).toBe(200);
    expect((await api('/reopen_ticket', { query: { ticketId: id, userId: 901, comments: 'r' } })).status).toBe(200);
    expect((await api(`/get_ticket_details/${id}`, { method: 'POST' })).status).toBe(200);
  });

  it('400 for an id beyond any integer, never a database error', async () => {
    await expectError('/get_ticket_details/99999999999999999999', {}, 400, 'ticketId is required and must be a positive integer');
  });
});
