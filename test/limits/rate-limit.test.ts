/**
 * Rate limits: one budget per credential (an API key, a JWT subject; the client IP in open mode),
 * shared by GraphQL over HTTP, the legacy shim and operations over an open WebSocket, answered with
 * the draft-7 `RateLimit` / `RateLimit-Policy` headers and `Retry-After`. Each test spends the budget
 * of credentials no other test uses.
 */
import { ACME_KEY, GLOBEX_KEY, startTestApp, type TestApp } from '../helpers/app';
import { legacy } from '../helpers/legacy';
import { until } from '../helpers/arrivals';
import { onOwnConnection } from '../helpers/http';
import { errorOf, nextOf, rawSocket, type RawSocket } from '../helpers/websocket';

jest.setTimeout(30_000);

/** RATE_LIMIT_MAX=5 per minute. */
let t: TestApp;
/** Open development mode (no credentials configured): budgets per client IP, 3 per minute. */
let open: TestApp;
/** A two-second window of 2 requests. */
let brief: TestApp;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  [t, open, brief] = await Promise.all([
    startTestApp({ RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' }),
    startTestApp({ JWT_SECRET: '', API_KEYS: '', RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000' }),
    startTestApp({ RATE_LIMIT_MAX: '2', RATE_LIMIT_WINDOW_MS: '2000' }),
  ]);
}, 60_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.close());
  await Promise.allSettled([t?.stop(), open?.stop(), brief?.stop()]);
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: any;
  text: string;
}

/** A GraphQL POST on a connection of its own, so a test can pick the local address (another client IP). */
async function post(app: TestApp, headers: Record<string, string> = {}, localAddress?: string): Promise<Answer> {
  const body = JSON.stringify({ query: '{ tickets(first: 1) { totalCount } }' });
  const outcome = await onOwnConnection(`${app.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, localAddress });
  if ('error' in outcome) throw new Error(`POST /graphql failed: ${outcome.error}`);
  return { status: outcome.status, headers: outcome.headers, json: JSON.parse(outcome.text), text: outcome.text };
}

const withKey = (key: string) => ({ 'x-api-key': key });
const withToken = (token: string) => ({ authorization: `Bearer ${token}` });

/** Sends `count` requests one after the other; all must pass. */
async function spend(app: TestApp, headers: Record<string, string>, count: number, localAddress?: string): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (let i = 0; i < count; i += 1) {
    const answer = await post(app, headers, localAddress);
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
    answers.push(answer);
  }
  return answers;
}

function expectRefused(answer: Answer, limit: number, windowSeconds: number): void {
  expect(answer.status).toBe(429);
  expect(answer.json.errors).toHaveLength(1);
  expect(answer.json.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
  expect(answer.json.errors[0].message).toMatch(/rate limit/i);
  const retryAfter = Number(answer.headers['retry-after']);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(answer.headers['ratelimit-policy']).toBe(`${limit};w=${windowSeconds}`);
  expect(answer.headers.ratelimit).toMatch(new RegExp(`^limit=${limit}, remaining=0, reset=\\d+$`));
}

it('gives an API key 5 requests a minute, with RateLimit headers, then 429 RATE_LIMITED with Retry-After', async () => {
  const answers = await spend(t, withKey(ACME_KEY), 5);
  expect(answers.map((a) => a.headers.ratelimit)).toEqual([4, 3, 2, 1, 0].map((left) => expect.stringMatching(new RegExp(`^limit=5, remaining=${left}, reset=\\d+$`))));
  expect(answers[0].headers['ratelimit-policy']).toBe('5;w=60');
  expectRefused(await post(t, withKey(ACME_KEY)), 5, 60);

  // Another key has a budget of its own.
  await spend(t, withKey(GLOBEX_KEY), 1);

  // The legacy shim spends the same budget and answers with its envelope.
  const refused = await legacy(t, '/get_tickets/0', { apiKey: ACME_KEY });
  expect(refused.status).toBe(429);
  expect(Object.keys(refused.json)).toEqual(['status', 'errorCode', 'message']);
  expect(refused.json).toMatchObject({ status: 'error', errorCode: 429 });
  expect(refused.json.message).toMatch(/rate limit/i);
  expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(refused.headers.get('ratelimit-policy')).toBe('5;w=60');
  expect(refused.headers.get('ratelimit')).toMatch(/^limit=5, remaining=0, reset=\d+$/);
});

it('counts legacy calls and GraphQL calls of one key against one budget', async () => {
  for (let i = 0; i < 3; i += 1) expect((await legacy(t, '/get_tickets/0', { apiKey: GLOBEX_KEY })).status).toBe(200);
  // GLOBEX spent 1 in the previous test, 3 here: one left.
  await spend(t, withKey(GLOBEX_KEY), 1);
  expectRefused(await post(t, withKey(GLOBEX_KEY)), 5, 60);
});

it('keys JWTs by their subject: two tokens of one admin share a budget, another admin has its own', async () => {
  const [first, second, other] = await Promise.all([
    t.token({ role: 'admin', sub: 'alice' }, '1h'),
    t.token({ role: 'admin', sub: 'alice' }, '2h'),
    t.token({ role: 'admin', sub: 'bob' }),
  ]);
  expect(first).not.toBe(second);
  await spend(t, withToken(first), 3);
  await spend(t, withToken(second), 2);
  expectRefused(await post(t, withToken(first)), 5, 60);
  expectRefused(await post(t, withToken(second)), 5, 60);
  await spend(t, withToken(other), 5);

  // Users are keyed by their user id.
  const [user6, user7] = await Promise.all([t.token({ role: 'user', userId: 6 }), t.token({ role: 'user', userId: 7 })]);
  await spend(t, withToken(user6), 5);
  expectRefused(await post(t, withToken(user6)), 5, 60);
  await spend(t, withToken(user7), 1);
});

it('counts operations over an open WebSocket against the same budget as HTTP', async () => {
  const token = await t.token({ role: 'admin', sub: 'carol' });
  const socket = await rawSocket(t.wsUrl);
  sockets.push(socket);
  await socket.init({ authorization: `Bearer ${token}` });

  await spend(t, withToken(token), 3);
  socket.subscribe('q1', '{ tickets(first: 1) { totalCount } }');
  expect((await nextOf(socket, 'q1')).payload.errors).toBeUndefined();
  socket.subscribe('s1', 'subscription { ticketUpdated { id } }');
  // The sixth operation of this credential, over the socket, is refused...
  socket.subscribe('q2', '{ tickets(first: 1) { totalCount } }');
  const refused = await errorOf(socket, 'q2');
  expect(refused.payload[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
  expect(refused.payload[0].extensions.retryAfter).toBeGreaterThanOrEqual(1);
  // ...and so is the next one over HTTP; the socket itself stays open.
  expectRefused(await post(t, withToken(token)), 5, 60);
  expect(socket.isClosed).toBe(false);
});

it('spends the budget of a WebSocket connection from its credential, not its address', async () => {
  const token = await t.token({ role: 'admin', sub: 'dave' });
  const socket = await rawSocket(t.wsUrl);
  sockets.push(socket);
  await socket.init({ authorization: `Bearer ${token}` });
  for (let i = 0; i < 5; i += 1) {
    socket.subscribe(`q${i}`, '{ tickets(first: 1) { totalCount } }');
    expect((await nextOf(socket, `q${i}`)).payload.errors).toBeUndefined();
  }
  expectRefused(await post(t, withToken(token)), 5, 60);
  // Everyone else on this address is unaffected.
  await spend(t, withToken(await t.token({ role: 'admin', sub: 'erin' })), 1);
});

it('in open mode, budgets each client IP', async () => {
  await spend(open, {}, 3, '127.0.0.1');
  expectRefused(await post(open, {}, '127.0.0.1'), 3, 60);
  await spend(open, {}, 3, '127.0.0.2');
  expectRefused(await post(open, {}, '127.0.0.2'), 3, 60);
});

it('takes its window from RATE_LIMIT_WINDOW_MS: a new budget once it has passed', async () => {
  // Sent together, so that all three fall into one window even on a slow machine.
  const answers = await Promise.all([1, 2, 3].map(() => post(brief, withKey(ACME_KEY))));
  const refused = answers.filter((a) => a.status === 429);
  expect(answers.filter((a) => a.status === 200)).toHaveLength(2);
  expect(refused).toHaveLength(1);
  expectRefused(refused[0], 2, 2);
  await until(async () => (await post(brief, withKey(ACME_KEY))).status === 200, 6000, 'a new window');
});
