/**
 * 4. Live fan-out: SUBSCRIBERS graphql-ws connections (one subscription each) follow one ticket
 * while messages are sent to it through POST /graphql, one at a time. For every delivery: the time
 * from sending the mutation to the frame arriving at the subscriber. CPU of the gateway process
 * comes from /proc/<pid>/stat before and after each round (nothing is exposed by the gateway).
 *
 * The subscribers are a mix, as on a real ticket: admins (API key) and the ticket's own user (a
 * JWT, several devices), so both visibility rules run.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { signToken } from '../../src/auth/auth.service';
import { gql } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { cpuMs, peakRssMb } from '../lib/procfs';
import { BENCH_ACCOUNT, BENCH_KEY, startGateway, startMongo } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect, insertTickets, ticketDoc } from '../lib/seed';
import { median, percentiles, round } from '../lib/stats';

export const SUBSCRIBERS = 1000;
const USER_SHARE = 0.1;
const MESSAGES = 10;
/** Messages to a ticket nobody follows, for the CPU of the mutation alone. */
const QUIET_MESSAGES = 100;
const JWT_SECRET = 'bench-jwt-secret-that-is-at-least-32-characters';
const TICKET = 1;
const QUIET_TICKET = 2;
const OWNER = 7;

const SUBSCRIPTION = `subscription Follow($ticketId: ID!) {
  messageAdded(ticketId: $ticketId) { id ticketId sender senderName body showToUser createdAt }
}`;

const SEND = `mutation Send($input: SendMessageInput!) { sendMessage(input: $input) { id } }`;

/** `next` frames received by every subscriber together. */
let deliveries = 0;

interface Subscriber {
  socket: WebSocket;
  nexts: number;
  /** Arrival time (performance.now()) and raw frame of every `next`, parsed after the round. */
  frames: Array<{ at: number; data: Buffer }>;
}

function openSubscriber(wsUrl: string, connectionParams: Record<string, string>, id: number): Promise<Subscriber> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(wsUrl, 'graphql-transport-ws');
    const subscriber: Subscriber = { socket, nexts: 0, frames: [] };
    const timer = setTimeout(() => reject(new Error(`subscriber ${id}: no connection_ack`)), 20000);
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    socket.on('error', reject);
    socket.on('message', (data: Buffer) => {
      const at = performance.now();
      if (subscriber.frames.length === 0 && data.includes('"connection_ack"')) {
        clearTimeout(timer);
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { ticketId: String(TICKET) } } }));
        subscriber.frames.push({ at, data });
        resolve(subscriber);
        return;
      }
      if (data.includes('"ping"')) {
        socket.send('{"type":"pong"}');
        return;
      }
      subscriber.frames.push({ at, data });
      if (data.includes('"next"')) {
        subscriber.nexts++;
        deliveries++;
      }
    });
  });
}

function bodyOf(frame: Buffer): string | undefined {
  const message = JSON.parse(frame.toString()) as { type: string; payload?: { data?: { messageAdded?: { body: string } }; errors?: unknown } };
  if (message.type === 'error' || message.payload?.errors) throw new Error(`subscription error: ${frame.toString().slice(0, 300)}`);
  return message.type === 'next' ? message.payload?.data?.messageAdded?.body : undefined;
}

async function until(done: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export const fanoutSection: Section = {
  name: 'fanout',
  title: `4. Live fan-out: ${SUBSCRIBERS} graphql-ws subscribers on one ticket`,
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongo = await startMongo();
    const database = 'bench_fanout';
    const { client, db } = await connect(mongo.uri, database);
    await insertTickets(db, [ticketDoc(TICKET, 5, { userId: OWNER, status: 'open' }), ticketDoc(QUIET_TICKET, 6, { userId: OWNER, status: 'open' })]);
    const gateway = await startGateway('gateway', mongo.uri, database, { JWT_SECRET, WS_MAX_CONNECTIONS_PER_CREDENTIAL: String(SUBSCRIBERS * 2) }, ctx.serverNodeArgs);
    const wsUrl = `${gateway.url.replace('http', 'ws')}/graphql`;
    const subscribers: Subscriber[] = [];
    try {
      const userToken = await signToken(JWT_SECRET, { role: 'user', account: BENCH_ACCOUNT, userId: OWNER });
      const users = Math.round(SUBSCRIBERS * USER_SHARE);
      ctx.log(`  connecting ${SUBSCRIBERS} subscribers (${SUBSCRIBERS - users} admins by API key, ${users} of the ticket's user by JWT)`);
      for (let at = 0; at < SUBSCRIBERS; at += 50) {
        const batch = Array.from({ length: Math.min(50, SUBSCRIBERS - at) }, (_, k) => {
          const i = at + k;
          return openSubscriber(wsUrl, i % Math.round(1 / USER_SHARE) === 0 ? { authorization: `Bearer ${userToken}` } : { apiKey: BENCH_KEY }, i);
        });
        subscribers.push(...(await Promise.all(batch)));
      }

      const send = (ticketId: number, body: string) =>
        gql(gateway.url, SEND, { input: { ticketId: String(ticketId), body, sender: 'ADMIN', senderName: 'agent@example.com', showToUser: true } });
      const live = () => subscribers.filter((s) => s.nexts > 0).length;
      // Subscriptions go live asynchronously after `subscribe`: probe until every subscriber got one.
      for (let probe = 0; ; probe++) {
        await send(TICKET, `probe-${probe}`);
        try {
          await until(() => live() === SUBSCRIBERS, 3000, 'the probe');
          break;
        } catch (error) {
          if (probe > 20) throw new Error(`only ${live()} of ${SUBSCRIBERS} subscribers are live: ${(error as Error).message}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
      /** Sends one message and waits until every subscriber has it. */
      const sendAndWait = async (body: string) => {
        const expected = deliveries + SUBSCRIBERS;
        await send(TICKET, body);
        await until(() => deliveries >= expected, 15000, `${body} to every subscriber`);
      };
      // Warm-up: a few messages nobody measures.
      for (let k = 0; k < 3; k++) await sendAndWait(`warmup-${k}`);

      const rounds: Array<{ p50: number; p95: number; p99: number; max: number; cpuMsPerEvent: number; quietCpuMsPerEvent: number; mutationMs: number; deliveries: number }> = [];
      const all: number[] = [];
      for (let n = 0; n < ctx.rounds; n++) {
        for (const s of subscribers) s.frames.length = 0;
        const sent: number[] = [];
        const mutationMs: number[] = [];
        const cpuBefore = cpuMs(gateway.pid);
        for (let k = 0; k < MESSAGES; k++) {
          const expected = deliveries + SUBSCRIBERS;
          const t0 = performance.now();
          sent.push(t0);
          await send(TICKET, `r${n}-m${k}`);
          mutationMs.push(performance.now() - t0);
          await until(() => deliveries >= expected, 15000, `r${n}-m${k} to every subscriber`);
        }
        const cpu = cpuMs(gateway.pid) - cpuBefore;
        const quietBefore = cpuMs(gateway.pid);
        for (let k = 0; k < QUIET_MESSAGES; k++) await send(QUIET_TICKET, `quiet-${n}-${k}`);
        const quiet = cpuMs(gateway.pid) - quietBefore;

        const latencies: number[] = [];
        for (const s of subscribers) {
          for (const frame of s.frames) {
            const body = bodyOf(frame.data);
            const match = body && /^r(\d+)-m(\d+)$/.exec(body);
            if (match) latencies.push(frame.at - sent[Number(match[2])]);
          }
        }
        if (latencies.length !== SUBSCRIBERS * MESSAGES) throw new Error(`${latencies.length} deliveries, expected ${SUBSCRIBERS * MESSAGES}`);
        all.push(...latencies);
        const p = percentiles(latencies);
        const r = {
          p50: round(p.p50),
          p95: round(p.p95),
          p99: round(p.p99),
          max: round(p.max),
          cpuMsPerEvent: round(cpu / MESSAGES),
          quietCpuMsPerEvent: round(quiet / QUIET_MESSAGES),
          mutationMs: round(median(mutationMs)),
          deliveries: latencies.length,
        };
        rounds.push(r);
        ctx.log(`    round ${n + 1}: p50 ${r.p50} ms, p95 ${r.p95} ms, p99 ${r.p99} ms, CPU ${r.cpuMsPerEvent} ms/event (mutation alone ${r.quietCpuMsPerEvent} ms)`);
      }
      const med = (key: keyof (typeof rounds)[number]) => round(median(rounds.map((r) => r[key])));
      const p95 = med('p95');
      const cpuPerEvent = med('cpuMsPerEvent');
      const quietPerEvent = med('quietCpuMsPerEvent');
      const perDelivery = round(((cpuPerEvent - quietPerEvent) / SUBSCRIBERS) * 1000);
      const pooled = percentiles(all);
      return {
        ...resultHeader(ctx, this),
        settings: { subscribers: SUBSCRIBERS, userSubscribers: users, messagesPerRound: MESSAGES, rounds: ctx.rounds },
        tables: [
          {
            title: `delivery latency (ms, mutation sent → frame received) and gateway CPU, per round of ${MESSAGES} messages`,
            columns: ['round', 'p50', 'p95', 'p99', 'max', 'CPU ms/event', 'CPU ms/event, no subscribers', 'mutation ms'],
            rows: [
              ...rounds.map((r, i) => [String(i + 1), r.p50, r.p95, r.p99, r.max, r.cpuMsPerEvent, r.quietCpuMsPerEvent, r.mutationMs]),
              ['median', med('p50'), p95, med('p99'), med('max'), cpuPerEvent, quietPerEvent, med('mutationMs')],
              ['all deliveries pooled', round(pooled.p50), round(pooled.p95), round(pooled.p99), round(pooled.max), null, null, null],
            ],
          },
        ],
        goals: [{ goal: `p95 delivery latency under 250 ms with ${SUBSCRIBERS} subscribers`, value: `${p95} ms`, met: p95 < 250 }],
        notes: [
          `fan-out CPU: ${cpuPerEvent} ms per event, of which ${quietPerEvent} ms is the mutation itself: ${perDelivery} µs per delivery`,
          `gateway peak RSS ${peakRssMb(gateway.pid)} MiB with ${SUBSCRIBERS} WebSockets`,
        ],
        data: { rounds, cpuMsPerDelivery: perDelivery / 1000 },
      };
    } finally {
      for (const s of subscribers) s.socket.terminate();
      await gateway.stop();
      await client.close();
      await mongo.stop();
    }
  },
};
