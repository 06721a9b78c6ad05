/**
 * HTTP hygiene: security headers and no x-powered-by on every surface, CORS from CORS_ORIGINS,
 * prototype-pollution keys and MongoDB operators smuggled into GraphQL variables and legacy bodies
 * (a clear 4xx, no stack trace, nothing stored), oversized and malformed bodies (413 / 400), and
 * unknown input fields (a validation error, nothing written).
 */
import { request as httpRequest } from 'node:http';
import { ACME_KEY, startTestApp, type TestApp } from '../helpers/app';
import { expectEnvelope, legacy, raiseViaGraphQL, snapshot, ticketCount } from '../legacy/helpers';
import { readBody } from '../helpers/http';

jest.setTimeout(30_000);

const ALLOWED = 'https://app.example.com';
let t: TestApp;
/** Without CORS_ORIGINS. */
let closed: TestApp;
let ticketId: string;

beforeAll(async () => {
  [t, closed] = await Promise.all([startTestApp({ RATE_LIMIT_MAX: '100000', CORS_ORIGINS: `${ALLOWED},https://admin.example.com` }), startTestApp({ RATE_LIMIT_MAX: '100000' })]);
  ticketId = await raiseViaGraphQL(t);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([t?.stop(), closed?.stop()]);
});

const STACK = /\bat .+:\d+:\d+|stacktrace|node_modules|Mongo|mongoose|E11000/;

/** POSTs a JSON text (sent verbatim: `__proto__` keys stay own keys) to /graphql. */
async function postGraphQL(app: TestApp, text: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY, ...headers },
    body: text,
  });
  const { text: body, json } = await readBody(response);
  return { status: response.status, text: body, json, headers: response.headers };
}

/** Every stored ticket of the account, with its messages: what "nothing stored" compares. */
const stored = () => snapshot(t);

describe('headers', () => {
  it.each([
    ['POST /graphql', () => postGraphQL(t, JSON.stringify({ query: '{ __typename }' }))],
    ['GET /api/v1/get_tickets/0', () => fetch(`${t.url}/api/v1/get_tickets/0`, { headers: { 'x-api-key': ACME_KEY } })],
    ['GET /api/v1 (an error)', () => fetch(`${t.url}/api/v1/nowhere`, { headers: { 'x-api-key': ACME_KEY } })],
    ['GET /healthz', () => fetch(`${t.url}/healthz`)],
    ['GET /nowhere (404)', () => fetch(`${t.url}/nowhere`)],
  ])('%s carries the security headers and no x-powered-by', async (_name, send) => {
    const { headers } = await send();
    expect(headers.get('x-powered-by')).toBeNull();
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(headers.get('x-dns-prefetch-control')).toBe('off');
  });
});

describe('CORS', () => {
  const preflight = (app: TestApp, origin: string) =>
    fetch(`${app.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
    });

  it('echoes an origin listed in CORS_ORIGINS, on the preflight and on the request', async () => {
    const answer = await preflight(t, ALLOWED);
    expect(answer.status).toBeLessThan(300);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(answer.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(answer.headers.get('vary')).toMatch(/Origin/i);
    const request = await postGraphQL(t, JSON.stringify({ query: '{ __typename }' }), { origin: ALLOWED });
    expect(request.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('does not allow any other origin', async () => {
    for (const origin of ['https://evil.example.com', 'https://app.example.com.evil.io', 'null']) {
      expect((await preflight(t, origin)).headers.get('access-control-allow-origin')).toBeNull();
      expect((await postGraphQL(t, JSON.stringify({ query: '{ __typename }' }), { origin })).headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('allows no origin at all without CORS_ORIGINS', async () => {
    expect((await preflight(closed, ALLOWED)).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('smuggled keys and operators in GraphQL variables', () => {
  const RAISE = 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }';
  const LIST = 'query($filter: TicketFilter) { tickets(filter: $filter) { totalCount } }';
  const input = `"type": "Payment", "subject": "s", "userId": 6, "comments": "c"`;
  const cases: Array<[string, string]> = [
    ['__proto__ in an input', `{"query": ${JSON.stringify(RAISE)}, "variables": {"input": {${input}, "__proto__": {"status": "closed", "polluted": true}}}}`],
    ['constructor.prototype in an input', `{"query": ${JSON.stringify(RAISE)}, "variables": {"input": {${input}, "constructor": {"prototype": {"polluted": true}}}}}`],
    ['__proto__ as the variables', `{"query": ${JSON.stringify(LIST)}, "variables": {"__proto__": {"filter": {"userId": 6}}, "filter": {"__proto__": {"polluted": true}}}}`],
    ['$gt for an Int', `{"query": ${JSON.stringify(LIST)}, "variables": {"filter": {"userId": {"$gt": 0}}}}`],
    ['$where in a filter', `{"query": ${JSON.stringify(LIST)}, "variables": {"filter": {"$where": "sleep(1000) || true"}}}`],
    ['$nor in a filter', `{"query": ${JSON.stringify(LIST)}, "variables": {"filter": {"$nor": [{"accountId": "acme"}]}}}`],
    ['$gt for a String', `{"query": ${JSON.stringify(LIST)}, "variables": {"filter": {"type": {"$gt": ""}}}}`],
    ['$ne for an ID', `{"query": "query($id: ID!) { ticket(id: $id) { id } }", "variables": {"id": {"$ne": null}}}`],
    ['$gt for a ticketId', `{"query": "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }", "variables": {"input": {"ticketId": {"$gt": 0}, "body": "x"}}}`],
  ];

  it.each(cases)('%s: 400 BAD_USER_INPUT, no stack trace, nothing stored, nothing polluted', async (_name, text) => {
    const before = await stored();
    const answer = await postGraphQL(t, text);
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(answer.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(answer.text).not.toMatch(STACK);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await stored()).toEqual(before);
  });
});

describe('smuggled keys and operators in legacy requests', () => {
  const raise = { type: 'Payment', subject: 's', userId: 6, comments: 'c' };
  const cases: Array<[string, string, Parameters<typeof legacy>[2]]> = [
    ['JSON $gt', '/raise_ticket', { json: { ...raise, userId: { $gt: 0 } } }],
    ['JSON $where', '/get_ticket_details', { json: { ticketId: { $where: 'sleep(1000) || true' } } }],
    ['JSON $nor', '/get_tickets', { json: { userId: { $nor: [{ userId: 1 }] } } }],
    ['JSON __proto__', '/raise_ticket', { json: `{"type": "Payment", "subject": "s", "userId": 6, "comments": "c", "__proto__": {"polluted": true}}` }],
    ['JSON constructor.prototype', '/raise_ticket', { json: { ...raise, constructor: { prototype: { polluted: true } } } }],
    [
      'form userId[$gt]',
      '/raise_ticket',
      {
        form: [
          ['type', 'Payment'],
          ['subject', 's'],
          ['comments', 'c'],
          ['userId[$gt]', '0'],
        ],
      },
    ],
    ['form __proto__[polluted]', '/raise_ticket', { form: [...Object.entries(raise).map(([k, v]) => [k, String(v)] as [string, string]), ['__proto__[polluted]', 'true']] }],
    [
      'form constructor[prototype][polluted]',
      '/raise_ticket',
      { form: [...Object.entries(raise).map(([k, v]) => [k, String(v)] as [string, string]), ['constructor[prototype][polluted]', 'true']] },
    ],
    ['query userId[$ne]', '/get_tickets', { query: [['userId[$ne]', '0']] }],
    ['multipart ticketId[$gt]', '/close_ticket', { multipart: { 'ticketId[$gt]': '0' } }],
  ];

  it.each(cases)('%s: a 400 envelope, no stack trace, nothing stored, nothing polluted', async (_name, path, call) => {
    const before = await stored();
    const answer = await legacy(t, path, call);
    expectEnvelope(answer);
    expect(answer.status).toBe(400);
    expect(answer.text).not.toMatch(STACK);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await stored()).toEqual(before);
  });
});

describe('bodies', () => {
  const huge = 'x'.repeat(1024 * 1024 + 1);

  it('answers a GraphQL body over 1 MiB with 413, a chunked one too', async () => {
    const answer = await postGraphQL(t, JSON.stringify({ query: '{ __typename }', variables: { pad: huge } }));
    expect(answer.status).toBe(413);
    expect(answer.json.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(answer.text).not.toMatch(STACK);

    const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = httpRequest(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': ACME_KEY } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.write('{"query": "{ __typename }", "variables": {"pad": "');
      for (let i = 0; i < 20; i += 1) req.write('y'.repeat(64 * 1024));
      req.end('"}}');
    });
    expect(chunked.status).toBe(413);
    expect(chunked.text).not.toMatch(STACK);
  });

  it('answers a legacy body over 1 MiB with a 413 envelope, and stores nothing', async () => {
    const before = await ticketCount(t);
    const answer = await legacy(t, '/raise_ticket', { json: { type: 'Payment', subject: 's', userId: 6, comments: huge } });
    expectEnvelope(answer);
    expect(answer.status).toBe(413);
    expect(await ticketCount(t)).toBe(before);
  });

  it.each([
    ['truncated JSON', '{"query": '],
    ['not JSON', 'query { __typename }'],
    ['a bare string', '"{ __typename }"'],
  ])('answers a malformed GraphQL body (%s) with 400 and no stack trace', async (_name, text) => {
    const answer = await postGraphQL(t, text);
    expect(answer.status).toBe(400);
    expect(answer.text).not.toMatch(STACK);
  });

  it('answers a malformed legacy body with a 400 envelope', async () => {
    for (const raw of ['{"ticketId": ', '[1, 2]', '\u0000\u0001']) {
      const answer = await legacy(t, '/close_ticket', { raw: { body: raw, contentType: 'application/json' } });
      expectEnvelope(answer);
      expect(answer.status).toBe(400);
    }
  });
});

describe('unknown input fields', () => {
  const base = { type: 'Payment', subject: 'unknown fields', userId: 6, comments: 'c' };

  it.each([
    ['status (literal)', `mutation { raiseTicket(input: { type: "Payment", subject: "s", userId: 6, comments: "c", status: CLOSED }) { id } }`, {}],
    ['id (literal)', `mutation { raiseTicket(input: { type: "Payment", subject: "s", userId: 6, comments: "c", id: "999" }) { id } }`, {}],
    ['status (variables)', 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }', { input: { ...base, status: 'CLOSED' } }],
    ['id (variables)', 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }', { input: { ...base, id: '999' } }],
    ['a message id', 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }', { input: { ticketId: 'TICKET', body: 'b', id: '5' } }],
  ])('refuses raiseTicket / sendMessage with %s: a validation error, nothing written', async (_name, query, variables) => {
    const before = await stored();
    const json = JSON.stringify(variables).replace('"TICKET"', JSON.stringify(ticketId));
    const answer = await postGraphQL(t, `{"query": ${JSON.stringify(query)}, "variables": ${json}}`);
    expect(answer.status).toBe(400);
    expect(answer.json.data).toBeUndefined();
    expect(['GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT']).toContain(answer.json.errors[0].extensions.code);
    expect(answer.json.errors[0].message).toMatch(/"(status|id)"/);
    expect(answer.text).not.toMatch(STACK);
    expect(await stored()).toEqual(before);
  });
});
