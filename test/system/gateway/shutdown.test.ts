/**
 * Graceful shutdown of a real gateway process: SIGTERM in the middle of a burst of requests.
 * /readyz turns 503 at once, no request of the burst gets a 5xx (each completes, or fails to
 * connect once the server stopped listening), WebSocket clients are closed with 1001, and the
 * process exits 0 within 10 s.
 */
import { RaiseTicketDocument } from '../../generated/graphql';
import { ACME_KEY as API_KEY } from '../../helpers/credentials';
import { until } from '../../helpers/arrivals';
import { GATEWAY_ENV, startGatewayProcess, type GatewayProcess } from '../../helpers/gateway';
import { onOwnConnection, type Outcome } from '../../helpers/http';
import { textOf } from '../../helpers/graphql';
import { report } from '../../helpers/report';
import { withFirstWords } from '../../helpers/tickets';
import { rawSocket, type Closed, type RawSocket } from '../../helpers/websocket';

jest.setTimeout(90_000);

let gateway: GatewayProcess | undefined;
const sockets: RawSocket[] = [];

beforeAll(async () => {
  // The embedded in-memory MongoDB runs inside the gateway process: one process to stop. Not
  // NODE_ENV=test: signals are then handled as in production (Apollo would install its own handlers).
  gateway = await startGatewayProcess('gateway-shutdown', { ...GATEWAY_ENV, RATE_LIMIT_MAX: '1000000', NODE_ENV: 'development', SHUTDOWN_TIMEOUT_MS: '10000' });
}, 90_000);

afterAll(async () => {
  sockets.forEach((socket) => socket.close());
  await gateway?.process.stop('SIGKILL');
});

/** One request on a connection of its own: it completes, or it fails (with the error's code). */
const send = (url: string, method: string, headers: Record<string, string>, body?: string): Promise<Outcome> => onOwnConnection(url, { method, headers, body });

it('SIGTERM during a burst: /readyz 503 at once, no 5xx, WebSockets closed with 1001, exit 0 within 10 s', async () => {
  const target = gateway!;
  const json = { 'content-type': 'application/json', 'x-api-key': API_KEY };
  const requests = [
    () => send(`${target.url}/graphql`, 'POST', json, JSON.stringify({ query: '{ tickets(first: 20) { totalCount edges { node { id subject } } } }' })),
    () => send(`${target.url}/graphql`, 'POST', json, JSON.stringify({ query: textOf(RaiseTicketDocument), variables: { input: withFirstWords('burst') } })),
    () => send(`${target.url}/api/v1/get_tickets/0?limit=20`, 'GET', { 'x-api-key': API_KEY }),
    () => send(`${target.url}/api/v1/raise_ticket`, 'POST', json, JSON.stringify({ type: 'Payment', subject: 'burst', userId: 6, comments: 'legacy burst' })),
  ];
  expect((await requests[1]()) as { status: number }).toMatchObject({ status: 200 });

  const clients = await Promise.all(
    Array.from({ length: 3 }, async (_, i) => {
      const socket = await rawSocket(target.wsUrl);
      sockets.push(socket);
      await socket.init({ apiKey: API_KEY });
      socket.subscribe(`s${i}`, 'subscription { ticketUpdated { id } }');
      return socket;
    }),
  );

  // The burst: 8 workers sending one request after another until they stop connecting.
  const outcomes: Outcome[] = [];
  let signalled = Infinity;
  const workers = Array.from({ length: 8 }, async (_, worker) => {
    for (let i = worker; ; i += 1) {
      const outcome = await requests[i % requests.length]();
      outcomes.push(outcome);
      if ('error' in outcome && outcome.at > signalled) return;
      if (outcomes.length > 20_000) return;
    }
  });
  // Under way: some requests of the burst answered already.
  await until(
    () => outcomes.length >= 20,
    10_000,
    () => `20 answers of the burst (got ${outcomes.length})`,
  );

  const exit = new Promise<{ code: number | null; at: number }>((resolve) => target.process.child.once('exit', (code) => resolve({ code, at: Date.now() })));
  const closes = clients.map((socket) => socket.closed.then((closed): Closed & { at: number } => ({ ...closed, at: Date.now() })));
  signalled = Date.now();
  target.process.child.kill('SIGTERM');

  // Readiness, probed on fresh connections from the moment of the signal until nothing listens.
  const readiness: Outcome[] = [];
  for (;;) {
    const outcome = await send(`${target.url}/readyz`, 'GET', {});
    readiness.push(outcome);
    if ('error' in outcome || Date.now() - signalled > 15_000) break;
  }

  const exited = await exit;
  await Promise.all(workers);
  const closed = await Promise.all(closes);
  const exitMs = exited.at - signalled;
  const answered = outcomes.filter((o): o is Extract<Outcome, { status: number }> => 'status' in o);
  const failed = outcomes.filter((o): o is Extract<Outcome, { error: string }> => 'error' in o);
  report(
    `shutdown: exit ${exited.code} after ${exitMs} ms; burst ${answered.length} answered (${answered.filter((o) => o.at > signalled).length} after SIGTERM), ` +
      `${failed.length} failed to connect (${[...new Set(failed.map((o) => o.error))].join(', ')}); ` +
      `readiness after SIGTERM: ${readiness.map((o) => ('status' in o ? o.status : o.error)).join(', ')}; WebSocket closes ${closed.map((c) => `${c.code}@${c.at - signalled}ms`).join(', ')}`,
  );

  expect(exited.code).toBe(0);
  expect(exitMs).toBeLessThan(10_000);

  // Every answer of the burst is a success (or a client error), never a 5xx.
  expect(answered.length).toBeGreaterThan(0);
  expect(answered.filter((o) => o.status >= 500).map((o) => `${o.status} ${o.text.slice(0, 200)}`)).toEqual([]);
  // What did not complete failed to connect: refused once the listener closed, or closed unanswered
  // before its request was read (queued for accept, or just accepted: never processed).
  expect(failed.filter((o) => o.at < signalled)).toEqual([]);
  for (const outcome of failed) expect(['ECONNREFUSED', 'ECONNRESET']).toContain(outcome.error);

  // Not ready from the signal on: a 503 at once, never a 200.
  expect(readiness.filter((o) => 'status' in o && o.status !== 503)).toEqual([]);
  expect(readiness[0]).toMatchObject({ status: 503 });

  expect(closed.map((c) => c.code)).toEqual([1001, 1001, 1001]);
});
