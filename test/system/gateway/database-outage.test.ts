/**
 * Database outages with real processes: a gateway process on a standalone embedded MongoDB process.
 * MongoDB is killed under the running gateway (503 within 5 s on GraphQL and /api/v1, /readyz 503,
 * /healthz saying why), then started again on the same port (the gateway recovers by itself). A
 * second gateway starts while its database is down, stays up, and serves once MongoDB appears.
 *
 * The embedded MongoDB keeps data in memory only, so a restarted one is empty: "nothing half-written"
 * is checked as "nothing written during the outage shows up afterwards" (no write was queued and
 * replayed on reconnect) and "every ticket has its first message".
 */
import { MongoBulkWriteError, MongoClient, MongoNetworkError, MongoNetworkTimeoutError, MongoServerSelectionError } from 'mongodb';
import { toClientError } from '../../../src/errors';
import { RaiseTicketDocument, TicketCountDocument } from '../../generated/graphql';
import { until } from '../../helpers/arrivals';
import { ADMIN } from '../../helpers/credentials';
import { GATEWAY_ENV, startGatewayProcess, type GatewayProcess } from '../../helpers/gateway';
import { gql, type GqlResult, type Operation } from '../../helpers/graphql';
import { probe } from '../../helpers/http';
import { legacy, type LegacyResponse } from '../../helpers/legacy';
import { DOCUMENT_WRITES, startMongoProcess, type MongoProcess } from '../../helpers/mongo';
import { freePort } from '../../helpers/processes';
import { report } from '../../helpers/report';
import { withFirstWords } from '../../helpers/tickets';

jest.setTimeout(90_000);

const SELECTION_TIMEOUT_MS = 2000;

let mongo: MongoProcess | undefined;
let gateway: GatewayProcess | undefined;
/** Started with nothing listening on its MongoDB port. */
let lateGateway: GatewayProcess | undefined;
let latePort: number;
let lateMongo: MongoProcess | undefined;

const gatewayEnv = (port: number, database: string, extra: Record<string, string> = {}) => ({
  ...GATEWAY_ENV,
  RATE_LIMIT_MAX: '1000000',
  MONGODB_URI: `mongodb://127.0.0.1:${port}/`,
  MONGODB_DATABASE: database,
  MONGODB_SERVER_SELECTION_TIMEOUT_MS: String(SELECTION_TIMEOUT_MS),
  ...extra,
});

beforeAll(async () => {
  const [port, late] = await Promise.all([freePort(), freePort()]);
  latePort = late;
  await Promise.all([
    (async () => {
      mongo = await startMongoProcess({ port, logCommands: true });
      gateway = await startGatewayProcess('gateway-outage', gatewayEnv(port, 'outage'));
    })(),
    (async () => {
      lateGateway = await startGatewayProcess('gateway-late-db', gatewayEnv(latePort, 'late', { TICKET_ID_START: '500' }));
    })(),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.allSettled([gateway?.stop(), lateGateway?.stop()]);
  await Promise.allSettled([mongo?.stop('SIGKILL'), lateMongo?.stop('SIGKILL')]);
}, 30_000);

/** As the acme admin; a COUNT or a RAISE (of a ticket whose first message is "<subject>: first words"). */
const COUNT = TicketCountDocument;
const RAISE = RaiseTicketDocument;
const raiseInput = (subject: string) => ({ input: withFirstWords(subject) });
const ask = <R = any>(target: GatewayProcess, operation: Operation<R>, variables?: Record<string, unknown>) => gql<R>(target, operation, variables, ADMIN);
const legacyCall = (target: GatewayProcess, path: string, body?: Record<string, unknown>) => legacy(target, path, body ? { json: body } : {});

function expectUnavailableGraphQL(answer: GqlResult, from: GatewayProcess): void {
  expect(answer.ms).toBeLessThan(5000);
  const code = answer.body.errors?.[0]?.extensions?.code;
  if (code !== 'SERVICE_UNAVAILABLE') {
    const requestId = answer.body.errors?.[0]?.extensions?.requestId;
    const logged = from.logs().filter((entry) => entry.level >= 50 && entry.requestId !== undefined);
    const own = logged.filter((entry) => entry.requestId === requestId);
    throw new Error(
      `expected SERVICE_UNAVAILABLE, got ${answer.status} ${answer.text.slice(0, 300)}; the gateway logged for it: ${JSON.stringify(own).slice(0, 3000)}; last: ${JSON.stringify(logged.slice(-2)).slice(0, 1500)}`,
    );
  }
  expect(answer.body.errors![0].message).toBe('The database is unavailable, please retry shortly');
  expect(answer.body.data ?? null).toBeNull();
}

function expectUnavailableLegacy(answer: LegacyResponse): void {
  expect(answer.ms).toBeLessThan(5000);
  expect(answer.status).toBe(503);
  expect(answer.text).toBe(JSON.stringify({ status: 'error', errorCode: 503, message: 'The database is unavailable, please retry shortly' }));
}

async function expectEveryTicketHasItsFirstMessage(target: GatewayProcess): Promise<void> {
  const answer = await ask(target, '{ tickets(first: 200) { edges { node { id subject messages(first: 1) { totalCount edges { node { body } } } } } } }');
  expect(answer.body.errors).toBeUndefined();
  for (const { node } of answer.body.data.tickets.edges) {
    expect(node.messages.totalCount).toBeGreaterThanOrEqual(1);
    expect(node.messages.edges[0].node.body).toBe(`${node.subject}: first words`);
  }
}

it('counts every network failure of the driver as SERVICE_UNAVAILABLE, also the pool clears that interrupt writes in flight', () => {
  // What an operation in flight gets when MongoDB dies under it depends on who notices first: its own
  // socket, or the monitor, which clears the pool and interrupts it (a rare timing, so built here).
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal driver classes, not exported by its entry point
  const { PoolClearedError, PoolClearedOnNetworkError } = require('mongodb/lib/cmap/errors') as Record<string, new (pool: object) => Error>;
  const pool = { address: '127.0.0.1:27017', serverError: new MongoNetworkTimeoutError('connection 3 to 127.0.0.1:27017 timed out') };
  const errors = [
    new MongoNetworkError('connection 3 to 127.0.0.1:27017 closed'),
    new MongoNetworkTimeoutError('connection 3 to 127.0.0.1:27017 timed out'),
    new PoolClearedError(pool),
    new PoolClearedOnNetworkError(pool),
    // insertMany (the event log's appends) wraps the driver error of a failed batch in a bulk write error.
    new MongoBulkWriteError(new MongoServerSelectionError('Server selection timed out after 3000 ms', { type: 'Unknown', servers: new Map() } as never), {} as never),
    new MongoBulkWriteError(new PoolClearedOnNetworkError(pool), {} as never),
    // A write on a socket MongoDB had just closed, which the driver passes on as Node raised it.
    Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' }),
  ];
  const logger = { error: () => undefined };
  for (const error of errors) {
    expect(toClientError({ message: error.message, path: ['raiseTicket'] }, error, logger)).toEqual({
      message: 'The database is unavailable, please retry shortly',
      path: ['raiseTicket'],
      extensions: { code: 'SERVICE_UNAVAILABLE' },
    });
  }
});

it('answers 503 within 5 s while MongoDB is down, says why, and recovers by itself once it is back', async () => {
  const target = gateway!;
  expect((await ask(target, RAISE, raiseInput('before the outage'))).body.errors).toBeUndefined();
  expect((await probe(target, '/readyz')).status).toBe(200);
  const pid = target.process.child.pid;

  // A burst of writes in flight when MongoDB dies: each is answered, as a success or a 503.
  const inFlight = Array.from({ length: 10 }, (_, i) => ask(target, RAISE, raiseInput(`in flight ${i}`)));
  const killed = Date.now();
  await mongo!.stop('SIGKILL');
  for (const answer of await Promise.all(inFlight)) {
    expect(answer.ms).toBeLessThan(5000);
    if (answer.body.errors) expectUnavailableGraphQL(answer, target);
    else expect(answer.status).toBe(200);
  }

  // Reads and writes, on GraphQL and on the legacy shim, while it stays down.
  const [read, write, legacyRead, legacyWrite] = await Promise.all([
    ask(target, COUNT),
    ask(target, RAISE, raiseInput('during the outage')),
    legacyCall(target, '/get_tickets/0'),
    legacyCall(target, '/raise_ticket', { type: 'Payment', subject: 'during the outage (legacy)', userId: 6, comments: 'x' }),
  ]);
  expectUnavailableGraphQL(read, target);
  expectUnavailableGraphQL(write, target);
  expectUnavailableLegacy(legacyRead);
  expectUnavailableLegacy(legacyWrite);
  const firstUnavailable = Math.max(read.ms, write.ms, legacyRead.ms, legacyWrite.ms);

  const [ready, health] = await Promise.all([probe(target, '/readyz'), probe(target, '/healthz')]);
  expect(ready.status).toBe(503);
  expect(ready.ms).toBeLessThan(5000);
  expect(health.status).toBe(503);
  expect(health.json).toEqual({ status: 'error', reason: 'MongoDB is not reachable' });
  const outageSeen = Date.now() - killed;

  // Back on the same port: the same gateway process serves again, without a restart.
  const restarted = Date.now();
  await mongo!.start();
  await until(async () => (await ask(target, COUNT)).body.data !== undefined && (await probe(target, '/readyz')).status === 200, 30_000, 'the gateway to serve again');
  const recovered = Date.now() - restarted;
  expect(target.process.running).toBe(true);
  expect(target.process.child.pid).toBe(pid);
  report(
    `database outage: slowest answer while down ${firstUnavailable} ms; /readyz+/healthz ${ready.ms}/${health.ms} ms; whole outage check ${outageSeen} ms; recovered ${recovered} ms after MongoDB was back`,
  );

  // Nothing sent during the outage was queued and written on reconnect (the restarted MongoDB is
  // empty): no document write reached it before a marker the test sends now, once the gateway serves.
  // (The writes allowed are the gateway's own: the id counter's set-up, an upsert it repeats on
  // reconnect, and the lease its background work renews.)
  const received = await mongo!.commandsUntilMarker();
  const setUp = (command: { name: string; collection?: string }) => command.name === 'update' && (command.collection === 'counters' || command.collection === 'leases');
  expect(received.filter((command) => DOCUMENT_WRITES.has(command.name) && !setUp(command))).toEqual([]);
  expect((await ask(target, COUNT)).body.data!.tickets.totalCount).toBe(0);
  expect((await legacyCall(target, '/get_tickets/0')).json).toEqual({ status: 'success', errorCode: 200, data: [] });

  // And writes work again, whole.
  const after = await ask(target, RAISE, raiseInput('after the outage'));
  expect(after.body.errors).toBeUndefined();
  expect(
    (await legacyCall(target, '/raise_ticket', { type: 'Payment', subject: 'after the outage (legacy)', userId: 6, comments: 'after the outage (legacy): first words' })).status,
  ).toBe(200);
  await expectEveryTicketHasItsFirstMessage(target);
});

it('starts and stays up while its database is down, then serves once MongoDB appears', async () => {
  const target = lateGateway!;
  const [health, ready] = await Promise.all([probe(target, '/healthz'), probe(target, '/readyz')]);
  expect(health.status).toBe(503);
  expect(health.json).toEqual({ status: 'error', reason: 'MongoDB is not reachable' });
  expect(ready.status).toBe(503);
  expectUnavailableGraphQL(await ask(target, COUNT), target);
  expectUnavailableLegacy(await legacyCall(target, '/get_tickets/0'));

  // Still up after more than one retry interval of the connection loop: it logged another failed attempt.
  const retries = () => target.logs().filter((entry) => entry.msg === 'MongoDB is not reachable; retrying').length;
  const before = retries();
  await until(
    () => retries() >= Math.max(2, before + 1),
    20_000,
    () => `another attempt to reach MongoDB (${retries()} so far)`,
  );
  expect(target.process.running).toBe(true);

  const appeared = Date.now();
  lateMongo = await startMongoProcess({ port: latePort });
  await until(async () => (await probe(target, '/readyz')).status === 200 && (await ask(target, COUNT)).body.data !== undefined, 30_000, 'the gateway to serve');
  report(`database down at boot: serving ${Date.now() - appeared} ms after MongoDB appeared`);

  // Set up as at a normal start, by itself: the indexes, and the id counter continuing from TICKET_ID_START.
  // Checked before any write is sent: the gateway serves before this set-up is done, and a raise in
  // between creates the counter from 1, after which TicketService.nextId() hands out TICKET_ID_START twice.
  const client = await new MongoClient(lateMongo.uri, { serverSelectionTimeoutMS: 5000 }).connect();
  try {
    const db = client.db('late');
    await until(async () => (await db.collection<{ _id: string; seq: number }>('counters').findOne({ _id: 'ticketId' }))?.seq === 499, 10_000, 'the id counter');
    const indexes = await db.collection('idempotency_keys').listIndexes().toArray();
    expect(indexes).toContainEqual(expect.objectContaining({ key: { createdAt: 1 }, expireAfterSeconds: 86400 }));
  } finally {
    await client.close();
  }
  const first = await ask(target, RAISE, raiseInput('late one'));
  const second = await ask(target, RAISE, raiseInput('late two'));
  expect([first.body.data?.raiseTicket.id, second.body.data?.raiseTicket.id]).toEqual(['500', '501']);
  await expectEveryTicketHasItsFirstMessage(target);
});
