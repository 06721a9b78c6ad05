/**
 * 3. Database commands per request, counted with the driver's command monitoring: the gateway runs
 * in this process (startApp with `monitorCommands`) on the standalone embedded MongoDB, and every
 * `commandStarted` event during one request is one command. A page of N tickets with ratings and
 * message counts must cost the same number of commands for N = 10 as for N = 100.
 */
import 'reflect-metadata';
import { print } from 'graphql';
import { loadConfig } from '../../src/config';
import { startApp } from '../../src/index';
import { LegacyGetTicketDetailsDocument } from '../../src/legacy/operations/generated';
import { graphqlBody, JSON_HEADERS, KEY_HEADERS } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { gatewayEnv, startMongo } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect, insertTickets, ticketDoc } from '../lib/seed';

/** Tickets per listing; GraphQL asks `first: min(N, 200)` (the cap), the legacy shim pages through all N. */
const SIZES = [10, 100, 200, 250] as const;

const PAGE_WITH_RATINGS = `query Page($userId: Int, $first: Int) {
  tickets(filter: { userId: $userId }, first: $first) {
    edges { node { id subject status rating { value } messages(first: 1) { totalCount } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const DETAILS = `query Details($id: ID!) {
  ticket(id: $id) { id status assignedTo createdAt rating { value } messages(first: 50) { totalCount edges { node { sender body createdAt } } } }
}`;

export const commandsSection: Section = {
  name: 'commands',
  title: '3. Database commands per request (driver command monitoring)',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongo = await startMongo();
    const database = 'bench_commands';
    const { client, db } = await connect(mongo.uri, database);
    let nextId = 1;
    // User 1000 + n owns exactly n tickets; a mix of states, conversations of 1-3 messages, some rated.
    for (const n of SIZES) {
      await insertTickets(
        db,
        Array.from({ length: n }, (_, k) => ticketDoc(nextId++, k, { userId: 1000 + n, total: n })),
      );
    }
    const app = await startApp(loadConfig(gatewayEnv(mongo.uri, database, 0, 'silent')), { monitorCommands: true });
    const seen: string[] = [];
    app.database.connection.getClient().on('commandStarted', (event) => {
      const target = (event.command as Record<string, unknown>)[event.commandName];
      seen.push(typeof target === 'string' ? `${event.commandName} ${target}` : event.commandName);
    });
    const url = `http://127.0.0.1:${app.port}`;
    /** The commands one request sends (after one unrecorded call, so nothing is a first-time setup). */
    const commandsOf = async (request: () => Promise<Response>): Promise<string[]> => {
      const warm = await request();
      if (warm.status !== 200) throw new Error(`${warm.status}: ${await warm.text()}`);
      seen.length = 0;
      const res = await request();
      const body = await res.text();
      if (res.status !== 200 || body.includes('"errors"') || body.includes('"status":"error"')) throw new Error(`${res.status}: ${body.slice(0, 300)}`);
      // Let any command still in flight report.
      await new Promise((resolve) => setTimeout(resolve, 20));
      return [...seen];
    };
    const graphql = (query: string, variables: Record<string, unknown>) => () =>
      fetch(`${url}/graphql`, { method: 'POST', headers: JSON_HEADERS, body: graphqlBody(query, variables) });
    const legacyGet = (path: string) => () => fetch(`${url}/api/v1${path}`, { headers: KEY_HEADERS });

    try {
      const rows: Array<{ request: string; counts: number[]; commands: string[][] }> = [];
      const measure = async (label: string, make: (n: number) => () => Promise<Response>) => {
        const commands: string[][] = [];
        for (const n of SIZES) commands.push(await commandsOf(make(n)));
        rows.push({ request: label, counts: commands.map((c) => c.length), commands });
        ctx.log(`  ${label}: ${commands.map((c, i) => `${SIZES[i]}: ${c.length} [${c.join(', ')}]`).join('; ')}`);
      };
      await measure('legacy GET /api/v1/get_tickets/<user with N tickets>', (n) => legacyGet(`/get_tickets/${1000 + n}`));
      await measure('graphql tickets(filter: {userId}, first: N) + rating + messages.totalCount', (n) => graphql(PAGE_WITH_RATINGS, { userId: 1000 + n, first: Math.min(n, 200) }));
      const single: Array<{ request: string; commands: string[] }> = [];
      for (const [label, make] of [
        ['legacy GET /api/v1/get_ticket_details/<id>', legacyGet('/get_ticket_details/1')],
        ["graphql LegacyGetTicketDetails (the shim's operation)", graphql(print(LegacyGetTicketDetailsDocument), { id: '1', first: 200, after: null })],
        ['graphql ticket(id) + rating + messages(first: 50)', graphql(DETAILS, { id: '1' })],
      ] as const) {
        single.push({ request: label, commands: await commandsOf(make) });
      }

      const pageRows = rows.map((r) => [r.request, ...r.counts, r.commands[1].join(', ')] as Array<string | number>);
      const constant = rows.every((r) => r.counts[0] === r.counts[1]);
      return {
        ...resultHeader(ctx, this),
        settings: { sizes: SIZES.join('/') },
        tables: [
          {
            title: 'database commands for one request listing N tickets',
            columns: ['request', ...SIZES.map((n) => `N=${n}`), 'commands at N=100'],
            rows: pageRows,
          },
          {
            title: 'database commands for one ticket with its conversation',
            columns: ['request', 'commands', 'which'],
            rows: single.map((s) => [s.request, s.commands.length, s.commands.join(', ')]),
          },
        ],
        goals: [
          {
            goal: 'commands per request constant in N (10 vs 100 tickets)',
            value: rows.map((r) => `${r.counts[0]} vs ${r.counts[1]}`).join('; '),
            met: constant,
          },
        ],
        notes: [
          'GraphQL asks for first: min(N, 200) (the contract caps a page at 200); the legacy shim pages through every match 200 at a time, so N=250 is two pages (two finds).',
        ],
        data: { pages: rows, single },
      };
    } finally {
      await app.stop();
      await client.close();
      await mongo.stop();
    }
  },
};
