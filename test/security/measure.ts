/**
 * Before/after figures of issue 14's findings 1-3 against a real gateway process (production mode,
 * an API key, the standalone embedded MongoDB): wall time, the gateway's CPU time and resident memory.
 *
 *   node -r ./test/scale-out/transpile-cache.js -r ./test/helpers/ts-register.js test/security/measure.ts [1] [2] [3]
 */
import { readFileSync } from 'node:fs';
import { startGatewayProcess, type GatewayProcess } from '../helpers/gateway';
import { startMongoProcess } from '../helpers/mongo';
import { rawSocket } from '../helpers/websocket';
import { fragmentChain, sendTogether } from './helpers';

const KEY = 'measure-api-key-0123456789';

function usage(gateway: GatewayProcess): { cpuMs: number; rssMb: number } {
  const pid = gateway.process.child.pid!;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const cpuMs = ((Number(stat[11]) + Number(stat[12])) * 1000) / 100; // utime + stime, in 100 Hz ticks
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1];
  return { cpuMs, rssMb: Number(rss) / 1024 };
}

async function measured<T>(gateway: GatewayProcess, what: string, action: () => Promise<T>): Promise<T> {
  const before = usage(gateway);
  const started = performance.now();
  const result = await action();
  const after = usage(gateway);
  console.log(
    `${what}: ${(performance.now() - started).toFixed(0)} ms wall, gateway CPU ${(after.cpuMs - before.cpuMs).toFixed(0)} ms, RSS ${before.rssMb.toFixed(0)} -> ${after.rssMb.toFixed(0)} MB`,
  );
  return result;
}

async function gql(gateway: GatewayProcess, query: string, variables: Record<string, unknown> = {}, apiKey: string | null = KEY) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey) headers['x-api-key'] = apiKey;
  const response = await fetch(`${gateway.url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  return { status: response.status, bytes: text.length, json: JSON.parse(text) as any };
}

/** /healthz latency while `action` runs (the event loop's responsiveness to everyone else). */
async function healthDuring<T>(gateway: GatewayProcess, action: Promise<T>): Promise<[T, number]> {
  await new Promise((resolve) => setTimeout(resolve, 20));
  const started = performance.now();
  await fetch(`${gateway.url}/healthz`);
  const health = performance.now() - started;
  return [await action, health];
}

async function finding1(gateway: GatewayProcess) {
  for (const levels of [16, 18, 20, 22, 24, 130]) {
    if (levels > 20 && process.env.BEFORE) break; // 22 levels already hold the server for ~30 s
    const document = fragmentChain(levels);
    const [result, health] = await measured(gateway, `1: anonymous fragment chain, ${levels} levels (${document.length} B)`, () =>
      healthDuring(gateway, gql(gateway, document, {}, null)),
    );
    console.log(`   status ${result.status}, /healthz meanwhile ${health.toFixed(0)} ms: ${result.json.errors?.[0]?.message?.slice(0, 80)}`);
  }
}

const TICKETS = 200;
const MESSAGES = 40;

async function finding2(gateway: GatewayProcess) {
  const raise = `mutation { ${Array.from({ length: 50 }, (_, i) => `r${i}: raiseTicket(input: { type: "Payment", subject: "s${i}", userId: 6, comments: "c" }) { id }`).join(' ')} }`;
  const ids: string[] = [];
  for (let i = 0; i < TICKETS / 50; i += 1) ids.push(...Object.values((await gql(gateway, raise)).json.data).map((t: any) => t.id));
  const body = 'x'.repeat(100);
  for (const id of ids) {
    const send = `mutation { ${Array.from({ length: MESSAGES - 1 }, (_, i) => `m${i}: sendMessage(input: { ticketId: "${id}", body: "${body}" }) { id }`).join(' ')} }`;
    await gql(gateway, send);
  }
  const INCLUDE = `query Include($x: Boolean!) { tickets(first: 200) { edges { node { id messages(first: 200) @include(if: $x) { edges { node { body } } } } } } }`;
  console.log(`2: seeded ${TICKETS} tickets with ${MESSAGES} messages each`);
  const cheap = await measured(gateway, '2: @include(if: false)', () => gql(gateway, INCLUDE, { x: false }));
  console.log(`   status ${cheap.status}, ${cheap.bytes} B`);
  const [expensive, health] = await measured(gateway, '2: the same text with @include(if: true)', () => healthDuring(gateway, gql(gateway, INCLUDE, { x: true })));
  const messages = expensive.json.data?.tickets.edges.reduce((n: number, e: any) => n + (e.node.messages?.edges.length ?? 0), 0) ?? 0;
  console.log(
    `   status ${expensive.status}, ${expensive.bytes} B, ${messages} messages, /healthz meanwhile ${health.toFixed(0)} ms: ${expensive.json.errors?.[0]?.message ?? 'ran'}`,
  );
}

async function finding3(gateway: GatewayProcess) {
  const ORPHANS = 300;
  const socket = await rawSocket(gateway.wsUrl);
  await socket.init({ apiKey: KEY });
  const subscribe = { id: 'X', type: 'subscribe', payload: { query: 'subscription { ticketUpdated { id subject } }' } };
  await measured(gateway, `3: subscribe X, complete X, ${ORPHANS} times, then subscribe X`, async () => {
    const burst: unknown[] = [];
    for (let i = 0; i < ORPHANS; i += 1) burst.push(subscribe, { id: 'X', type: 'complete' });
    burst.push(subscribe);
    sendTogether(socket, burst);
    await Promise.race([socket.closed, new Promise((resolve) => setTimeout(resolve, 1000))]);
  });
  console.log(`   socket ${socket.isClosed ? `closed: ${JSON.stringify(await socket.closed)}` : 'still open'}`);
  await measured(gateway, '3: 4 ticket changes', async () => {
    for (let i = 0; i < 4; i += 1) await gql(gateway, 'mutation { raiseTicket(input: { type: "Payment", subject: "change", userId: 6, comments: "c" }) { id } }');
    await new Promise((resolve) => setTimeout(resolve, 2000)); // the deliveries run after the answers
  });
  const nexts = socket.messages.filter((m) => m.type === 'next').length;
  console.log(`   the client received ${nexts} events for 4 changes`);
  socket.close();
  await measured(gateway, '3: 4 ticket changes after the socket closed', async () => {
    for (let i = 0; i < 4; i += 1) await gql(gateway, 'mutation { raiseTicket(input: { type: "Payment", subject: "change", userId: 6, comments: "c" }) { id } }');
    await new Promise((resolve) => setTimeout(resolve, 2000));
  });
}

async function main() {
  const which = process.argv.slice(2);
  const mongo = await startMongoProcess();
  const gateway = await startGatewayProcess('measure', {
    NODE_ENV: 'production',
    MONGODB_URI: mongo.uri,
    MONGODB_DATABASE: 'measure',
    MONGODB_WRITE_CONCERN: '1',
    API_KEYS: `${KEY}:acme`,
    RATE_LIMIT_MAX: '1000000',
  });
  try {
    if (!which.length || which.includes('1')) await finding1(gateway);
    if (!which.length || which.includes('3')) await finding3(gateway);
    if (!which.length || which.includes('2')) await finding2(gateway);
  } finally {
    await gateway.stop();
    await mongo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
