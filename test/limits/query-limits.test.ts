/**
 * Query limits are checked before anything executes, on every surface: GraphQL over HTTP, over
 * WebSocket, and the legacy shim (which runs its operations through Apollo). Every refusal is counted
 * against the driver: a refused request sends MongoDB no command at all.
 *
 * The schema has no cycle, so no valid query nests deeper than 7 fields: the depth check itself is
 * exercised with MAX_QUERY_DEPTH lowered (`tight`); at the default of 12 a deeper document is refused
 * all the same, and does no database work either.
 */
import { ACME_KEY, commandsDuring, startTestApp, type TestApp } from '../helpers/app';
import { postGraphQL } from '../helpers/graphql';
import { expectEnvelope, legacy } from '../helpers/legacy';
import { raiseTicket } from '../helpers/tickets';
import { errorOf, nextOf, rawSocket, type RawSocket } from '../helpers/websocket';

jest.setTimeout(30_000);

let t: TestApp;
/** MAX_QUERY_DEPTH=4, MAX_QUERY_COST=3000. */
let tight: TestApp;
let ticketId: string;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  [t, tight] = await Promise.all([
    startTestApp({ RATE_LIMIT_MAX: '100000' }, { monitorCommands: true }),
    startTestApp({ RATE_LIMIT_MAX: '100000', MAX_QUERY_DEPTH: '4', MAX_QUERY_COST: '3000' }, { monitorCommands: true }),
  ]);
  ticketId = await raiseTicket(t);
  await raiseTicket(tight);
}, 60_000);

afterEach(() => {
  sockets.splice(0).forEach((socket) => socket.close());
});

afterAll(async () => {
  await Promise.allSettled([t?.stop(), tight?.stop()]);
});

const admin = { apiKey: ACME_KEY };

async function adminSocket(app: TestApp): Promise<RawSocket> {
  const socket = await rawSocket(app.wsUrl);
  sockets.push(socket);
  await socket.init({ apiKey: ACME_KEY });
  return socket;
}

/** `{ f { f { ... } } }` `levels` fields deep (not valid against the schema past its real depth). */
const nested = (levels: number) => `{ ${'tickets { '.repeat(levels - 1)}totalCount${' }'.repeat(levels - 1)} }`;

/** Five levels of real fields: tickets > edges > node > messages > totalCount. */
const FIVE_DEEP = '{ tickets(first: 1) { edges { node { messages(first: 1) { totalCount } } } } }';
const FOUR_DEEP = '{ tickets(first: 1) { edges { node { id } } } }';

const EXPENSIVE = `query Expensive($n: Int) {
  tickets(first: $n) { edges { node { id messages(first: 200) { edges { node { body } } } } } }
}`;

describe('depth', () => {
  it('refuses a document over 12 levels at the default limit, with no database work', async () => {
    const { result, commands } = await commandsDuring(t, () => t.gql(nested(13), {}, admin));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(commands).toEqual([]);
  });

  it('refuses a query over MAX_QUERY_DEPTH on HTTP, naming the limit, before any database command', async () => {
    const { result, commands } = await commandsDuring(tight, () => tight.gql(FIVE_DEEP, {}, admin));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'depth', depth: 5, maximum: 4 });
    expect(commands).toEqual([]);

    const allowed = await tight.gql(FOUR_DEEP, {}, admin);
    expect(allowed.status).toBe(200);
    expect(allowed.body.errors).toBeUndefined();
  });

  it('refuses it over WebSocket too, with no database work', async () => {
    const socket = await adminSocket(tight);
    const { result, commands } = await commandsDuring(tight, async () => {
      socket.subscribe('deep', FIVE_DEEP);
      return errorOf(socket, 'deep');
    });
    expect(result.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'depth' });
    expect(commands).toEqual([]);
    socket.subscribe('ok', FOUR_DEEP);
    expect((await nextOf(socket, 'ok')).payload.errors).toBeUndefined();
  });

  it('applies to the legacy shim: get_ticket_details (5 levels) is a 400 envelope, with no database work', async () => {
    const { result, commands } = await commandsDuring(tight, () => legacy(tight, '/get_ticket_details/1'));
    expectEnvelope(result);
    expect(result.status).toBe(400);
    expect(result.json.message).toMatch(/5 levels deep; the maximum is 4/);
    expect(commands).toEqual([]);
  });
});

describe('cost', () => {
  it('refuses a query over MAX_QUERY_COST on HTTP, lists costing by their `first` (from variables too)', async () => {
    const { result, commands } = await commandsDuring(t, () => t.gql(EXPENSIVE, { n: 200 }, admin));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', maximum: 20000 });
    expect(result.body.errors?.[0].extensions?.cost).toBeGreaterThan(20000);
    expect(commands).toEqual([]);

    // The same selection over smaller pages is cheap enough.
    const small = await t.gql(EXPENSIVE, { n: 5 }, admin);
    expect(small.status).toBe(200);
    expect(small.body.errors).toBeUndefined();
  });

  it('refuses it over WebSocket too, with no database work', async () => {
    const socket = await adminSocket(t);
    const { result, commands } = await commandsDuring(t, async () => {
      socket.subscribe('costly', EXPENSIVE, { n: 200 });
      return errorOf(socket, 'costly');
    });
    expect(result.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
    expect(commands).toEqual([]);
  });

  it('applies to the legacy shim: get_tickets pages of 200 cost too much under MAX_QUERY_COST=3000, a limit of 10 does not', async () => {
    const { result, commands } = await commandsDuring(tight, () => legacy(tight, '/get_tickets/0'));
    expectEnvelope(result);
    expect(result.status).toBe(400);
    expect(result.json.message).toMatch(/costs \d+; the maximum is 3000/);
    expect(commands).toEqual([]);

    const small = await legacy(tight, '/get_tickets/0', { query: { limit: 10 } });
    expectEnvelope(small);
    expect(small.status).toBe(200);
    expect(small.json.data).toHaveLength(1);
  });
});

describe('parser token limit', () => {
  const aliasFlood = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: tickets(first: 1) { totalCount }`).join(' ')} }`;
  const fieldFlood = `{ tickets(first: 1) { ${'totalCount '.repeat(2100)}} }`;

  it('refuses alias flooding and field flooding on HTTP at the parser, with no database work', async () => {
    for (const query of [aliasFlood, fieldFlood]) {
      const { result, commands } = await commandsDuring(t, () => t.gql(query, {}, admin));
      expect(result.status).toBe(400);
      expect(result.body.data).toBeUndefined();
      expect(result.body.errors?.[0].message).toMatch(/more tha[nt] 2000 tokens/);
      expect(commands).toEqual([]);
    }
  });

  it('refuses them over WebSocket too, with no database work', async () => {
    const socket = await adminSocket(t);
    const { result, commands } = await commandsDuring(t, async () => {
      socket.subscribe('aliases', aliasFlood);
      socket.subscribe('fields', fieldFlood);
      return Promise.all([errorOf(socket, 'aliases'), errorOf(socket, 'fields')]);
    });
    for (const error of result) expect(error.payload[0].message).toMatch(/more tha[nt] 2000 tokens/);
    expect(commands).toEqual([]);
  });
});

describe('batching', () => {
  it('refuses a batch of more than 10 operations before any of them runs', async () => {
    const batch = Array.from({ length: 11 }, () => ({ query: '{ tickets(first: 1) { totalCount } }' }));
    const { result, commands } = await commandsDuring(t, () => postGraphQL(t, JSON.stringify(batch)));
    expect(result.status).toBe(400);
    expect(result.json.errors[0].message).toMatch(/at most 10 operations/);
    expect(commands).toEqual([]);

    const ten = await postGraphQL(t, JSON.stringify(batch.slice(0, 10)));
    expect(ten.status).toBe(200);
    expect(ten.json).toHaveLength(10);
    for (const item of ten.json) expect(item.errors).toBeUndefined();
  });

  it('checks every operation of an accepted batch against the limits', async () => {
    const batch = [{ query: '{ tickets(first: 1) { totalCount } }' }, { query: EXPENSIVE, variables: { n: 200 } }];
    const { result, commands } = await commandsDuring(t, () => postGraphQL(t, JSON.stringify(batch)));
    expect(result.json[1].errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
    // Only the cheap operation touched the database.
    expect(commands.filter((command) => command.name === 'aggregate')).toHaveLength(1);
  });
});

describe('`first` is capped at 200', () => {
  it('accepts 200 and refuses 201 on the top-level list, with no database work', async () => {
    expect((await t.gql('{ tickets(first: 200) { totalCount } }', {}, admin)).body.errors).toBeUndefined();
    const { result, commands } = await commandsDuring(t, () => t.gql('query($n: Int) { tickets(first: $n) { totalCount } }', { n: 201 }, admin));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(commands).toEqual([]);
  });

  it('refuses a nested page over 200 before the outer list is read', async () => {
    const query = `query($id: ID!) { ticket(id: $id) { id messages(first: 500) { totalCount } } }`;
    const { result, commands } = await commandsDuring(t, () => t.gql(query, { id: ticketId }, admin));
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(commands).toEqual([]);
  });

  it('refuses it over WebSocket too, with no database work', async () => {
    const socket = await adminSocket(t);
    const { result, commands } = await commandsDuring(t, async () => {
      socket.subscribe('big', '{ tickets(first: 1000) { totalCount } }');
      return errorOf(socket, 'big');
    });
    expect(result.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'first' });
    expect(commands).toEqual([]);
  });

  it('the legacy shim stays within the cap: a limit of 1000 is read in pages of at most 200', async () => {
    // A page of 1000 would be refused by the cap; the shim asks for 200 at a time.
    const response = await legacy(t, '/get_tickets/0', { query: { limit: 1000 } });
    expectEnvelope(response);
    expect(response.status).toBe(200);
  });
});
