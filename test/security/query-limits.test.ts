/**
 * The checks that run before an operation executes (parse, validation, depth, page sizes, cost) are
 * linear in the document, whoever sends it (anonymous callers included), on HTTP and over graphql-ws;
 * and the cost verdict holds for the variables the operation actually runs with.
 */
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';
import { errorOf, fragmentChain, rawSocket, report, timed, type RawSocket } from './helpers';

jest.setTimeout(30_000);

let t: TestApp;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  t = await startTestApp({ NODE_ENV: 'production', RATE_LIMIT_MAX: '100000' });
}, 60_000);

afterEach(() => {
  sockets.splice(0).forEach((socket) => socket.close());
});

afterAll(async () => {
  await t?.stop();
});

const admin = { apiKey: ACME_KEY };

describe('a chain of fragments, each spreading the next twice', () => {
  // 24 levels: 1.4 KB, 16 million paths. Before the depth walk remembered fragments, one request
  // held the event loop for minutes (20 levels: 3.9 s, each level 2x more).
  const document = fragmentChain(24);

  it('is answered at once, anonymously over HTTP, and /healthz is not held up by it', async () => {
    const [{ result, ms }, health] = await Promise.all([
      timed(() => t.gql(document)),
      timed(async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return fetch(`${t.url}/healthz`);
      }),
    ]);
    report(`fragment chain of 24 levels (${document.length} bytes) over HTTP: ${ms.toFixed(1)} ms; /healthz meanwhile ${health.ms.toFixed(1)} ms`);
    expect(result.status).toBe(400);
    expect(result.body.data).toBeUndefined();
    expect(result.body.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(ms).toBeLessThan(1000);
    expect(health.result.status).toBe(200);
    expect(health.ms).toBeLessThan(1000);
  });

  it('is answered at once over an anonymous graphql-ws connection', async () => {
    const socket = await rawSocket(t.wsUrl);
    sockets.push(socket);
    await socket.init({});
    const { result, ms } = await timed(async () => {
      socket.subscribe('chain', document);
      return errorOf(socket, 'chain');
    });
    report(`fragment chain of 24 levels over graphql-ws: ${ms.toFixed(1)} ms`);
    expect(result.payload[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(ms).toBeLessThan(1000);
  });

  it('takes time in proportion to its size, up to the token limit', async () => {
    // The longest chain MAX_QUERY_TOKENS (2000) lets through: 15 tokens a level.
    const longest = fragmentChain(130);
    const { result, ms } = await timed(() => t.gql(longest, {}, admin));
    report(`fragment chain of 130 levels (${longest.length} bytes): ${ms.toFixed(1)} ms`);
    expect(result.status).toBe(400);
    expect(ms).toBeLessThan(1000);
  });

  it('is measured for depth correctly: a fragment reached by two paths counts once, at its deepest', async () => {
    // tickets > edges > node > id is 4 levels; both spreads reach it, the depth stays 4.
    const twoPaths = `query { ...A ... on Query { ...A } }
      fragment A on Query { tickets(first: 1) { edges { ...N ... on TicketEdge { node { id } } } } }
      fragment N on TicketEdge { node { id } }`;
    const result = await t.gql(twoPaths, {}, admin);
    expect(result.body.errors).toBeUndefined();
    expect(result.status).toBe(200);
  });
});

describe('fields and fragments repeated in one selection set', () => {
  // graphql-js compares every pair of them when it validates: before they were refused first, the
  // 11 KB of repetitions took it 2-4 s, the 140 fragments 0.3-0.6 s.
  const repeated = `{ ${'tickets { totalCount } '.repeat(495)} }`;
  const fragments = `{ ${Array.from({ length: 140 }, (_, i) => `...F${i}`).join(' ')} } ${Array.from({ length: 140 }, (_, i) => `fragment F${i} on Query { tickets { totalCount } }`).join(' ')}`;

  it('are refused at once, anonymously, over HTTP (POST, GET and batches) and graphql-ws', async () => {
    for (const document of [repeated, fragments]) {
      const { result, ms } = await timed(() => t.gql(document));
      report(`${document === repeated ? '495 repeated fields' : '140 fragments'} (${document.length} bytes): ${ms.toFixed(1)} ms`);
      expect(result.status).toBe(400);
      expect(result.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: document === repeated ? 'repetition' : 'spreads' });
      expect(ms).toBeLessThan(1000);
    }
    const eleven = `{ ${'tickets { totalCount } '.repeat(11)} }`;
    const get = await fetch(`${t.url}/graphql?query=${encodeURIComponent(eleven)}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    expect(((await get.json()) as any).errors[0].extensions).toMatchObject({ limit: 'repetition', field: 'tickets', maximum: 10 });
    const batch = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ __typename }' }, { query: repeated }]),
    });
    expect(batch.status).toBe(400);

    const socket = await rawSocket(t.wsUrl);
    sockets.push(socket);
    await socket.init({});
    const { result, ms } = await timed(async () => {
      socket.subscribe('repeated', repeated);
      return errorOf(socket, 'repeated');
    });
    expect(result.payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'repetition' });
    expect(ms).toBeLessThan(1000);
  });

  it('are counted along response paths: ten tickets of ten edges of ten cursors are refused', async () => {
    // graphql-js compares every pair of the 1,000 cursors, which answer at one path (0.2-0.3 s).
    const nested = `{ ${`tickets { ${`edges { ${'cursor '.repeat(10)} } `.repeat(10)} } `.repeat(10)} }`;
    const { result, ms } = await timed(() => t.gql(nested));
    expect(result.status).toBe(400);
    expect(result.body.errors?.[0]).toMatchObject({
      message: '"tickets.edges.cursor" is selected more than 10 times',
      extensions: { code: 'BAD_USER_INPUT', limit: 'repetition', field: 'tickets.edges.cursor', maximum: 10 },
    });
    expect(ms).toBeLessThan(1000);
  });

  it('are accepted in reasonable numbers', async () => {
    const ten = `{ ${'tickets(first: 1) { totalCount edges { cursor } } '.repeat(10)} }`;
    const result = await t.gql(ten, {}, admin);
    expect(result.status).toBe(200);
    expect(result.body.errors).toBeUndefined();
  });
});

describe('the cost verdict holds for the variables actually used', () => {
  // 200 tickets, each with 200 messages: about 200 * 200 * 3, far over MAX_QUERY_COST (20000)
  // when the messages are included; a page of 200 tickets alone is cheap.
  const INCLUDE = `query Include($x: Boolean!) {
    tickets(first: 200) { edges { node { id messages(first: 200) @include(if: $x) { edges { node { body } } } } } }
  }`;
  const SKIP = `query Skip($x: Boolean = true) {
    tickets(first: 200) { edges { node { id messages(first: 200) @skip(if: $x) { edges { node { body } } } } } }
  }`;
  // An omitted $n takes its default (200); an explicit null is the schema's default page (50).
  const DEFAULTED = `query Defaulted($n: Int = 200) {
    tickets(first: 100) { edges { node { id messages(first: $n) { edges { node { body } } } } } }
  }`;

  it('refuses @include(if: true) after the same text passed with false', async () => {
    expect((await t.gql(INCLUDE, { x: false }, admin)).status).toBe(200);
    const expensive = await t.gql(INCLUDE, { x: true }, admin);
    expect(expensive.status).toBe(400);
    expect(expensive.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost', maximum: 20000 });
    expect((await t.gql(INCLUDE, { x: false }, admin)).status).toBe(200);
  });

  it('refuses @skip whose default applies when the variable is omitted, after it passed with false', async () => {
    expect((await t.gql(SKIP, { x: false }, admin)).status).toBe(400);
    expect((await t.gql(SKIP, {}, admin)).status).toBe(200);
    expect((await t.gql(SKIP, { x: false }, admin)).status).toBe(400);
  });

  it('tells an omitted page size (its default applies) from an explicit null', async () => {
    const cheap = await t.gql(DEFAULTED, { n: null }, admin);
    expect(cheap.status).toBe(200);
    const omitted = await t.gql(DEFAULTED, {}, admin);
    expect(omitted.status).toBe(400);
    expect(omitted.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
  });

  it('holds over graphql-ws too', async () => {
    const socket = await rawSocket(t.wsUrl);
    sockets.push(socket);
    await socket.init({ apiKey: ACME_KEY });
    socket.subscribe('cheap', INCLUDE, { x: false });
    await socket.waitFor((m) => m.id === 'cheap' && m.type === 'complete');
    socket.subscribe('expensive', INCLUDE, { x: true });
    expect((await errorOf(socket, 'expensive')).payload[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
  });
});
