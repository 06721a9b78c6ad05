/**
 * 1. Shim overhead: every /api/v1 endpoint against the same GraphQL operation sent directly as
 * POST /graphql (the very document the shim executes, from src/legacy/operations), on one gateway
 * process over the standalone embedded MongoDB. Write endpoints get a fresh ticket per request
 * where the state changes (close, assign, reopen), from pools seeded directly between runs.
 */
import { print } from 'graphql';
import {
  LegacyAssignTicketDocument,
  LegacyCloseTicketDocument,
  LegacyGetTicketDetailsDocument,
  LegacyGetTicketsDocument,
  LegacyRaiseTicketDocument,
  LegacyRateTicketDocument,
  LegacyReopenTicketDocument,
  LegacySendMessageDocument,
} from '../../src/legacy/operations/generated';
import { FORM_HEADERS, form, graphqlBody, graphqlOk, JSON_HEADERS, KEY_HEADERS, legacy, gql, legacyOk } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { interleave, load, summarize, type RequestSpec, type Summary } from '../lib/load';
import { startGateway, startMongo } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect, insertTickets, reserveIds, seedTickets, ticketDoc, type Status } from '../lib/seed';
import { ratio } from '../lib/stats';

const CONNECTIONS = 10;
const GOAL = 1.1;
const SEEDED = 2000;
const USERS = 100;
/** Pool tickets belong to users outside the read set, so reads never see them. */
const POOL_USER = 90_001;
const RAISE_USER = 90_002;

type Pair = { legacy: RequestSpec; graphql: RequestSpec };

function cycle<T>(items: readonly T[]): () => T {
  let i = 0;
  return () => items[i++ % items.length];
}

/** Fresh tickets in one state, consumed one per request; topped up between runs. */
class Pool {
  private ids: number[] = [];
  private at = 0;
  exhausted = 0;
  constructor(
    readonly status: Status,
    private readonly seed: (status: Status, n: number) => Promise<number[]>,
  ) {}
  next(): number {
    if (this.at < this.ids.length) return this.ids[this.at++];
    this.exhausted++;
    return this.ids[this.ids.length - 1];
  }
  /** Makes at least `n` fresh tickets available. */
  async ensure(n: number): Promise<void> {
    const left = this.ids.length - this.at;
    if (left >= n) return;
    this.ids = [...this.ids.slice(this.at), ...(await this.seed(this.status, n - left))];
    this.at = 0;
  }
}

export const shimSection: Section = {
  name: 'shim',
  title: '1. Shim overhead: /api/v1 vs the same operation on POST /graphql',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongo = await startMongo();
    const database = 'bench_shim';
    const { client, db } = await connect(mongo.uri, database);
    try {
      ctx.log(`  seeding ${SEEDED} tickets`);
      await seedTickets(db, SEEDED, { users: USERS });
      const gateway = await startGateway('gateway', mongo.uri, database, {}, ctx.serverNodeArgs);
      const target = { url: gateway.url, pid: gateway.pid, dbPid: mongo.pid };
      try {
        let seeded = 0;
        const seedPool = async (status: Status, n: number) => {
          const ids = await reserveIds(db, n);
          await insertTickets(
            db,
            ids.map((id, k) => ticketDoc(id, seeded + k, { userId: POOL_USER, status, messages: 1, total: n, days: 1 })),
          );
          seeded += n;
          return ids;
        };
        const pools = { open: new Pool('open', seedPool), unassigned: new Pool('unassigned', seedPool), closed: new Pool('closed', seedPool) };
        // Tickets that stay open, for send_message, and closed ones for ticket_rating (rating again replaces).
        const openForMessages = cycle(await seedPool('open', 200));
        const closedForRating = cycle(await seedPool('closed', 200));
        const detailIds = cycle(Array.from({ length: 50 }, (_, k) => 1 + ((k * 37) % SEEDED)));
        const users = cycle(Array.from({ length: USERS }, (_, k) => 1 + k));

        const post = (path: string, values: () => Record<string, string | number | boolean>): RequestSpec => ({
          method: 'POST',
          path,
          headers: FORM_HEADERS,
          next: () => ({ body: form(values()) }),
          check: legacyOk,
        });
        const graphql = (document: Parameters<typeof print>[0], name: string, variables: () => Record<string, unknown>): RequestSpec => {
          const query = print(document);
          return {
            method: 'POST',
            path: '/graphql',
            headers: JSON_HEADERS,
            next: () => ({ body: graphqlBody(query, variables(), name) }),
            check: graphqlOk,
          };
        };

        const endpoints: Record<string, Pair> = {
          get_ticket_details: {
            legacy: {
              method: 'GET',
              path: '/api/v1/get_ticket_details/1',
              headers: KEY_HEADERS,
              next: () => ({ path: `/api/v1/get_ticket_details/${detailIds()}` }),
              check: legacyOk,
            },
            graphql: graphql(LegacyGetTicketDetailsDocument, 'LegacyGetTicketDetails', () => ({ id: String(detailIds()), first: 200, after: null })),
          },
          get_tickets: {
            legacy: { method: 'GET', path: '/api/v1/get_tickets/1', headers: KEY_HEADERS, next: () => ({ path: `/api/v1/get_tickets/${users()}` }), check: legacyOk },
            graphql: graphql(LegacyGetTicketsDocument, 'LegacyGetTickets', () => ({
              filter: { userId: users(), view: null, assignedTo: null, createdFrom: null, createdTo: null },
              first: 200,
              after: null,
            })),
          },
          raise_ticket: {
            legacy: post('/api/v1/raise_ticket', () => ({ type: 'Payment', subject: 'Unable to pay online', userId: RAISE_USER, comments: 'connection timeout' })),
            graphql: graphql(LegacyRaiseTicketDocument, 'LegacyRaiseTicket', () => ({
              input: {
                type: 'Payment',
                subject: 'Unable to pay online',
                priority: 'MEDIUM',
                userId: RAISE_USER,
                comments: 'connection timeout',
                closeImmediately: false,
                resolution: null,
              },
            })),
          },
          send_message: {
            legacy: post('/api/v1/send_message', () => ({
              ticketId: openForMessages(),
              ticketMessage: 'ok. Looking on it',
              sender: 'admin',
              sender_name: 'admin@example.com',
              showToUser: 'true',
            })),
            graphql: graphql(LegacySendMessageDocument, 'LegacySendMessage', () => ({
              input: { ticketId: String(openForMessages()), body: 'ok. Looking on it', sender: 'ADMIN', senderName: 'admin@example.com', showToUser: true },
            })),
          },
          assign_ticket_to_admin: {
            legacy: post('/api/v1/assign_ticket_to_admin', () => ({ ticketId: pools.unassigned.next(), admin: 'admin@example.com' })),
            graphql: graphql(LegacyAssignTicketDocument, 'LegacyAssignTicket', () => ({ id: String(pools.unassigned.next()), admin: 'admin@example.com' })),
          },
          close_ticket: {
            legacy: {
              ...post('/api/v1/close_ticket', () => ({})),
              next: () => ({ path: `/api/v1/close_ticket/${pools.open.next()}`, body: form({ resolutionType: 'Fixed', resolutionSubject: 'Card limit raised' }) }),
            },
            graphql: graphql(LegacyCloseTicketDocument, 'LegacyCloseTicket', () => ({
              id: String(pools.open.next()),
              resolution: { type: 'Fixed', subject: 'Card limit raised' },
            })),
          },
          reopen_ticket: {
            legacy: post('/api/v1/reopen_ticket', () => ({ ticketId: pools.closed.next(), userId: POOL_USER, comments: 'still failing' })),
            graphql: graphql(LegacyReopenTicketDocument, 'LegacyReopenTicket', () => ({
              input: { ticketId: String(pools.closed.next()), userId: POOL_USER, comments: 'still failing' },
            })),
          },
          ticket_rating: {
            legacy: post('/api/v1/ticket_rating', () => ({ ticketId: closedForRating(), userId: POOL_USER, ratingValue: 4 })),
            graphql: graphql(LegacyRateTicketDocument, 'LegacyRateTicket', () => ({ input: { ticketId: String(closedForRating()), userId: POOL_USER, value: 4 } })),
          },
        };
        const poolOf: Record<string, Pool | undefined> = { assign_ticket_to_admin: pools.unassigned, close_ticket: pools.open, reopen_ticket: pools.closed };

        // Both forms answer, and answer the same thing, before anything is timed.
        const details = await legacy(gateway.url, 'GET', '/get_ticket_details/1');
        const direct = await gql<{ ticket: { messages: { edges: unknown[] } } }>(gateway.url, print(LegacyGetTicketDetailsDocument), { id: '1', first: 200, after: null });
        if ((details.message as { ticket_conversation: unknown[] }).ticket_conversation.length !== direct.ticket.messages.edges.length) {
          throw new Error('get_ticket_details and its GraphQL operation disagree');
        }

        const rows: Array<{ endpoint: string; legacy: Summary; graphql: Summary }> = [];
        for (const [endpoint, pair] of Object.entries(endpoints)) {
          ctx.log(`  ${endpoint}`);
          const pool = poolOf[endpoint];
          let estimate = 1000; // req/s: the pool is sized from the fastest run so far
          const samples = await interleave(
            [
              { name: `legacy ${endpoint}`, run: (s) => load(target, pair.legacy, CONNECTIONS, s).then((x) => ((estimate = Math.max(estimate, x.rps)), x)) },
              { name: `graphql ${endpoint}`, run: (s) => load(target, pair.graphql, CONNECTIONS, s).then((x) => ((estimate = Math.max(estimate, x.rps)), x)) },
            ],
            {
              rounds: ctx.rounds,
              durationS: ctx.durationS,
              warmupS: ctx.warmupS,
              log: ctx.log,
              between: pool ? () => pool.ensure(Math.ceil(estimate * 1.5 * ctx.durationS) + 200) : undefined,
            },
          );
          if (pool?.exhausted) throw new Error(`${endpoint}: the pool of fresh tickets ran out ${pool.exhausted} times`);
          rows.push({ endpoint, legacy: summarize(samples.get(`legacy ${endpoint}`)!), graphql: summarize(samples.get(`graphql ${endpoint}`)!) });
        }

        const table = rows.map((r) => {
          const rpsRatio = ratio(r.graphql.rps, r.legacy.rps);
          const p50Ratio = ratio(r.legacy.p50, r.graphql.p50);
          const cpuRatio = ratio(r.legacy.cpuMsPerRequest, r.graphql.cpuMsPerRequest);
          return { ...r, rpsRatio, p50Ratio, cpuRatio, met: rpsRatio <= GOAL && p50Ratio <= GOAL };
        });
        const failures = rows.reduce((sum, r) => sum + r.legacy.failures + r.graphql.failures, 0);
        return {
          ...resultHeader(ctx, this),
          settings: { connections: CONNECTIONS, durationS: ctx.durationS, rounds: ctx.rounds, warmupS: ctx.warmupS, tickets: SEEDED },
          tables: [
            {
              title: `req/s, latency (ms) and gateway CPU per request (ms), ${CONNECTIONS} connections, medians of ${ctx.rounds} interleaved rounds; ratios are legacy cost over GraphQL cost (GraphQL/legacy req/s, legacy/GraphQL p50 and CPU)`,
              columns: [
                'endpoint',
                'legacy req/s',
                'graphql req/s',
                'req/s ratio',
                'legacy p50',
                'graphql p50',
                'p50 ratio',
                'legacy CPU',
                'graphql CPU',
                'CPU ratio',
                'within 1.10',
              ],
              rows: table.map((r) => [
                r.endpoint,
                r.legacy.rps,
                r.graphql.rps,
                r.rpsRatio,
                r.legacy.p50,
                r.graphql.p50,
                r.p50Ratio,
                r.legacy.cpuMsPerRequest,
                r.graphql.cpuMsPerRequest,
                r.cpuRatio,
                r.met,
              ]),
            },
          ],
          goals: [
            {
              goal: 'every endpoint: GraphQL/legacy req/s and legacy/GraphQL p50 within 1.10',
              value: `worst req/s ratio ${Math.max(...table.map((r) => r.rpsRatio))} (${table.reduce((w, r) => (r.rpsRatio > w.rpsRatio ? r : w)).endpoint}), worst p50 ratio ${Math.max(...table.map((r) => r.p50Ratio))} (${table.reduce((w, r) => (r.p50Ratio > w.p50Ratio ? r : w)).endpoint})`,
              met: table.every((r) => r.met),
            },
          ],
          notes: failures ? [`${failures} failed or unexpected responses`] : [],
          data: table,
        };
      } finally {
        await gateway.stop();
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
};
