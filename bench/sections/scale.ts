/**
 * 5. Scale: the same reads against a database of 1,000 tickets and one of 100,000 (each its own
 * standalone embedded MongoDB and its own gateway process, seeded directly with the driver), run
 * interleaved. Tickets have 20 per user and 1-3 messages each, so "one user's first page" and
 * "one ticket's conversation" are the same size in both; only the database around them grows.
 */
import { print } from 'graphql';
import { LegacyGetTicketDetailsDocument } from '../../src/legacy/operations/generated';
import { graphqlBody, graphqlOk, JSON_HEADERS, KEY_HEADERS, legacyOk } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { interleave, load, summarize, type RequestSpec, type Summary } from '../lib/load';
import { cpuMs, peakRssMb, rssMb } from '../lib/procfs';
import { startGateway, startMongo, type HttpProcess, type MongoProcess } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect, seedTickets } from '../lib/seed';
import { ratio } from '../lib/stats';
import { TICKET_LIST, TICKET_WITH_CONVERSATION } from './rest';

const SIZES = { small: 1_000, large: 100_000 } as const;
const CONNECTIONS = 10;
const TICKETS_PER_USER = 20;

type Size = keyof typeof SIZES;

interface Read {
  name: string;
  /** Part of the 2x goal (the other reads are reported). */
  goal: boolean;
  spec(total: number): RequestSpec;
}

function spread(total: number, count: number): () => number {
  // Ids and users spread over the whole range, the same positions in both databases.
  const picks = Array.from({ length: count }, (_, k) => Math.max(1, Math.round(((k + 0.5) / count) * total)));
  let i = 0;
  return () => picks[i++ % picks.length];
}

const graphqlRead = (query: string, variables: () => Record<string, unknown>): RequestSpec => ({
  method: 'POST',
  path: '/graphql',
  headers: JSON_HEADERS,
  next: () => ({ body: graphqlBody(query, variables()) }),
  check: graphqlOk,
});

const list = (filter: Record<string, unknown>) => (): RequestSpec => graphqlRead(TICKET_LIST, () => ({ filter, first: 50 }));

const READS: Read[] = [
  {
    name: 'ticket + conversation (GraphQL)',
    goal: true,
    spec: (n) => {
      const id = spread(n, 64);
      return graphqlRead(TICKET_WITH_CONVERSATION, () => ({ id: String(id()) }));
    },
  },
  {
    name: 'get_ticket_details (legacy)',
    goal: true,
    spec: (n) => {
      const id = spread(n, 64);
      return { method: 'GET', path: '/api/v1/get_ticket_details/1', headers: KEY_HEADERS, next: () => ({ path: `/api/v1/get_ticket_details/${id()}` }), check: legacyOk };
    },
  },
  {
    name: "one user's first page (GraphQL, 20 tickets)",
    goal: true,
    spec: (n) => {
      const user = spread(n / TICKETS_PER_USER, 64);
      return graphqlRead(TICKET_LIST, () => ({ filter: { userId: user() }, first: 50 }));
    },
  },
  {
    name: 'get_tickets/<user> (legacy, 20 tickets)',
    goal: true,
    spec: (n) => {
      const user = spread(n / TICKETS_PER_USER, 64);
      return { method: 'GET', path: '/api/v1/get_tickets/1', headers: KEY_HEADERS, next: () => ({ path: `/api/v1/get_tickets/${user()}` }), check: legacyOk };
    },
  },
  { name: 'view OPEN, first 50', goal: false, spec: list({ view: 'OPEN' }) },
  { name: 'view UNRESOLVED, first 50', goal: false, spec: list({ view: 'UNRESOLVED' }) },
  { name: 'view OVERDUE, first 50', goal: false, spec: list({ view: 'OVERDUE' }) },
  { name: 'assignedTo one agent, first 50', goal: false, spec: list({ assignedTo: 'agent3@example.com' }) },
];

export const scaleSection: Section = {
  name: 'scale',
  title: `5. Scale: ${SIZES.small.toLocaleString('en')} vs ${SIZES.large.toLocaleString('en')} tickets`,
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongos: Partial<Record<Size, MongoProcess>> = {};
    const gateways: Partial<Record<Size, HttpProcess>> = {};
    const seedMs: Partial<Record<Size, number>> = {};
    try {
      for (const size of ['small', 'large'] as const) {
        const mongo = (mongos[size] = await startMongo(`embedded-mongo-${size}`));
        const { client, db } = await connect(mongo.uri, 'bench_scale');
        ctx.log(`  seeding ${SIZES[size]} tickets`);
        seedMs[size] = await seedTickets(db, SIZES[size], { users: SIZES[size] / TICKETS_PER_USER });
        await client.close();
        const started = Date.now();
        gateways[size] = await startGateway(`gateway-${size}`, mongo.uri, 'bench_scale', {}, ctx.serverNodeArgs);
        ctx.log(`  seeded in ${seedMs[size]} ms; gateway ready (indexes built) in ${Date.now() - started} ms`);
      }
      const small = { url: gateways.small!.url, pid: gateways.small!.pid, dbPid: mongos.small!.pid };
      const large = { url: gateways.large!.url, pid: gateways.large!.pid, dbPid: mongos.large!.pid };
      // The legacy operation reads the same ticket in both (a sanity check of the seeding).
      for (const g of [small, large]) {
        const res = await fetch(`${g.url}/graphql`, {
          method: 'POST',
          headers: JSON_HEADERS,
          body: graphqlBody(print(LegacyGetTicketDetailsDocument), { id: '1', first: 200, after: null }),
        });
        if (!graphqlOk(await res.text())) throw new Error(`${g.url} cannot read ticket 1`);
      }

      const rows: Array<{ read: string; goal: boolean; small: Summary; large: Summary; p50Ratio: number; rpsRatio: number }> = [];
      for (const read of READS) {
        ctx.log(`  ${read.name}`);
        const specs = { small: read.spec(SIZES.small), large: read.spec(SIZES.large) };
        const samples = await interleave(
          [
            { name: `${SIZES.small} tickets`, run: (s) => load(small, specs.small, CONNECTIONS, s) },
            { name: `${SIZES.large} tickets`, run: (s) => load(large, specs.large, CONNECTIONS, s) },
          ],
          { rounds: ctx.rounds, durationS: ctx.durationS, warmupS: ctx.warmupS, log: ctx.log },
        );
        const s = summarize(samples.get(`${SIZES.small} tickets`)!);
        const l = summarize(samples.get(`${SIZES.large} tickets`)!);
        rows.push({ read: read.name, goal: read.goal, small: s, large: l, p50Ratio: ratio(l.p50, s.p50), rpsRatio: ratio(s.rps, l.rps) });
      }
      const memory = (['small', 'large'] as const).map((size) => ({
        size,
        tickets: SIZES[size],
        gatewayPeakRssMb: peakRssMb(gateways[size]!.pid),
        mongoRssMb: rssMb(mongos[size]!.pid),
        mongoPeakRssMb: peakRssMb(mongos[size]!.pid),
        gatewayCpuS: Math.round(cpuMs(gateways[size]!.pid) / 100) / 10,
        seedMs: seedMs[size]!,
      }));
      const goalRows = rows.filter((r) => r.goal);
      const worst = goalRows.reduce((w, r) => (Math.max(r.p50Ratio, r.rpsRatio) > Math.max(w.p50Ratio, w.rpsRatio) ? r : w));
      const failures = rows.reduce((sum, r) => sum + r.small.failures + r.large.failures, 0);
      return {
        ...resultHeader(ctx, this),
        settings: { connections: CONNECTIONS, durationS: ctx.durationS, rounds: ctx.rounds, warmupS: ctx.warmupS, ticketsPerUser: TICKETS_PER_USER },
        tables: [
          {
            title: `req/s and p50 (ms) at ${CONNECTIONS} connections, medians of ${ctx.rounds} interleaved rounds; ratios are 100k/1k p50 and 1k/100k req/s`,
            columns: ['read', '1k req/s', '100k req/s', 'req/s ratio', '1k p50', '100k p50', 'p50 ratio', '100k p99', 'db CPU ms/req 1k / 100k', 'within 2x'],
            rows: rows.map((r) => [
              r.read + (r.goal ? '' : ' (reported)'),
              r.small.rps,
              r.large.rps,
              r.rpsRatio,
              r.small.p50,
              r.large.p50,
              r.p50Ratio,
              r.large.p99,
              `${r.small.dbCpuMsPerRequest} / ${r.large.dbCpuMsPerRequest}`,
              r.p50Ratio <= 2 && r.rpsRatio <= 2,
            ]),
          },
          {
            title: 'memory (MiB) and seeding',
            columns: ['database', 'gateway peak RSS (VmHWM)', 'embedded MongoDB RSS', 'embedded MongoDB peak RSS', 'seeding ms (driver insertMany)'],
            rows: memory.map((m) => [`${m.tickets} tickets`, m.gatewayPeakRssMb, m.mongoRssMb, m.mongoPeakRssMb, m.seedMs]),
          },
        ],
        goals: [
          {
            goal: "ticket details and one user's first page at 100,000 tickets within 2x of 1,000 (p50 and req/s)",
            value: `worst ${Math.max(worst.p50Ratio, worst.rpsRatio)}x (${worst.read})`,
            met: goalRows.every((r) => r.p50Ratio <= 2 && r.rpsRatio <= 2),
          },
        ],
        notes: failures ? [`${failures} failed or unexpected responses`] : [],
        data: { rows, memory },
      };
    } finally {
      await Promise.all(Object.values(gateways).map((g) => g.stop()));
      await Promise.all(Object.values(mongos).map((m) => m.stop()));
    }
  },
};
