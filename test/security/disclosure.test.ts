/**
 * What a client learns from a refusal in production: a 4xx with a clear message, no schema names
 * suggested (introspection is off), no stack, nothing derived from a secret.
 */
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';
import { errorOf, rawSocket } from './helpers';

jest.setTimeout(30_000);

let t: TestApp;

beforeAll(async () => {
  t = await startTestApp({ NODE_ENV: 'production', RATE_LIMIT_MAX: '100000' });
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, text: await response.text() };
}

describe('in production, validation and coercion errors suggest no names', () => {
  it('over HTTP: a misspelled field, argument, input field and enum value', async () => {
    const cases: Array<{ query: string; variables?: Record<string, unknown> }> = [
      { query: '{ tickt(id: "1") { id } }' },
      { query: '{ ticket(idd: "1") { id } }' },
      { query: '{ tickets(filter: { priority: HIHG }) { totalCount } }' },
      { query: 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }', variables: { input: { type: 'a', subjct: 'b', comments: 'c' } } },
    ];
    for (const body of cases) {
      const { status, text } = await post(body);
      expect(status).toBe(400);
      expect(text).not.toMatch(/Did you mean/);
      expect(JSON.parse(text).errors[0].extensions.code).toMatch(/GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT/);
    }
  });

  it('over graphql-ws', async () => {
    const socket = await rawSocket(t.wsUrl);
    try {
      await socket.init({ apiKey: ACME_KEY });
      socket.subscribe('typo', '{ tickt(id: "1") { id } }');
      const refused = await errorOf(socket, 'typo');
      expect(refused.payload[0].message).toBe('Cannot query field "tickt" on type "Query".');
    } finally {
      socket.close();
    }
  });
});

describe('client mistakes are 4xx, never an internal error', () => {
  it('a persisted-query hash that does not match the query', async () => {
    const { status, text } = await post({ query: '{ tickets(first: 1) { totalCount } }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } });
    expect(status).toBe(400);
    const error = JSON.parse(text).errors[0];
    expect(error.extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toMatch(/sha/i);
  });

  it('deeply nested variables the operation does not declare, with an Idempotency-Key', async () => {
    const deep = `${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}`;
    const body = `{"query":"mutation { raiseTicket(input: { type: \\"Payment\\", subject: \\"deep\\", userId: 6, comments: \\"x\\" }) { id } }","variables":{"junk":${deep}}}`;
    const { status, text } = await post(body, { 'idempotency-key': `deep-${Date.now()}` });
    expect(status).toBe(400);
    const error = JSON.parse(text).errors[0];
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(text).not.toMatch(/Internal error|stack|RangeError/);
  });
});
