/**
 * 2. The GraphQL layer against a hand-written REST handler (bench/baseline-rest.ts): the same two
 * reads, the same fields, on one standalone embedded MongoDB both servers point at. Each server is
 * its own process; they are measured one at a time, interleaved.
 */
import { graphqlBody, graphqlOk, JSON_HEADERS, KEY_HEADERS, gql } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { interleave, load, summarize, type RequestSpec, type Summary } from '../lib/load';
import { startGateway, startMongo, startRestBaseline } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import type { Db } from 'mongodb';
import { connect, insertTickets, reserveIds, seedTickets, ticketDoc } from '../lib/seed';
import { ratio, round } from '../lib/stats';

const SEEDED = 2000;
const LOW = 10;
const SATURATED = 50;
const CONVERSATION = 10;

const TICKET_FIELDS = 'id accountId userId subject type groupName priority status due assignedTo createdAt updatedAt';

export const TICKET_WITH_CONVERSATION = `query TicketWithConversation($id: ID!) {
  ticket(id: $id) {
    ${TICKET_FIELDS}
    messages(first: 50) { edges { node { sender senderName body showToUser createdAt } } pageInfo { hasNextPage } }
  }
}`;

export const TICKET_LIST = `query TicketList($filter: TicketFilter, $first: Int) {
  tickets(filter: $filter, first: $first) {
    edges { node { ${TICKET_FIELDS} } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const restOk = (body: string) => body.startsWith('{"ticket') && !body.includes('"error"');

/** The data both reads run on: SEEDED tickets, and 50 open ones with a conversation (their ids returned). */
export async function seedReads(db: Db): Promise<number[]> {
  await seedTickets(db, SEEDED);
  const ids = await reserveIds(db, 50);
  await insertTickets(
    db,
    ids.map((id, k) => ticketDoc(id, k, { users: 50, messages: CONVERSATION, total: 50, status: 'open' })),
  );
  return ids;
}

export const restSection: Section = {
  name: 'rest',
  title: '2. GraphQL layer vs hand-written REST (express + mongoose .lean())',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongo = await startMongo();
    const database = 'bench_rest';
    const { client, db } = await connect(mongo.uri, database);
    try {
      ctx.log(`  seeding ${SEEDED} tickets`);
      // Tickets with a conversation of CONVERSATION messages, read by both servers.
      const ids = await seedReads(db);
      const gateway = await startGateway('gateway', mongo.uri, database, {}, ctx.serverNodeArgs);
      const rest = await startRestBaseline(mongo.uri, database, ctx.serverNodeArgs);
      const gatewayTarget = { url: gateway.url, pid: gateway.pid, dbPid: mongo.pid };
      const restTarget = { url: rest.url, pid: rest.pid, dbPid: mongo.pid };
      try {
        let i = 0;
        const nextId = () => ids[i++ % ids.length];
        const reads: Record<string, { graphql: RequestSpec; rest: RequestSpec }> = {
          'ticket + conversation': {
            graphql: {
              method: 'POST',
              path: '/graphql',
              headers: JSON_HEADERS,
              next: () => ({ body: graphqlBody(TICKET_WITH_CONVERSATION, { id: String(nextId()) }) }),
              check: graphqlOk,
            },
            rest: { method: 'GET', path: '/tickets/1', headers: KEY_HEADERS, next: () => ({ path: `/tickets/${nextId()}` }), check: restOk },
          },
          'open tickets, first 50': {
            graphql: { method: 'POST', path: '/graphql', headers: JSON_HEADERS, body: graphqlBody(TICKET_LIST, { filter: { view: 'OPEN' }, first: 50 }), check: graphqlOk },
            rest: { method: 'GET', path: '/tickets?status=open&limit=50', headers: KEY_HEADERS, check: restOk },
          },
        };

        // Same answers before timing: the same tickets, the same conversation.
        const viaGraphql = await gql<{ ticket: { messages: { edges: unknown[] } } }>(gateway.url, TICKET_WITH_CONVERSATION, { id: String(ids[0]) });
        const viaRest = (await (await fetch(`${rest.url}/tickets/${ids[0]}`, { headers: KEY_HEADERS })).json()) as { messages: unknown[] };
        const listGraphql = await gql<{ tickets: { edges: Array<{ node: { id: string } }> } }>(gateway.url, TICKET_LIST, { filter: { view: 'OPEN' }, first: 50 });
        const listRest = (await (await fetch(`${rest.url}/tickets?status=open&limit=50`, { headers: KEY_HEADERS })).json()) as { tickets: Array<{ id: string }> };
        if (
          viaGraphql.ticket.messages.edges.length !== viaRest.messages.length ||
          listGraphql.tickets.edges.map((e) => e.node.id).join() !== listRest.tickets.map((t) => t.id).join()
        ) {
          throw new Error('GraphQL and the REST baseline answer different data');
        }

        const rows: Array<{ read: string; connections: number; graphql: Summary; rest: Summary }> = [];
        for (const [read, pair] of Object.entries(reads)) {
          for (const connections of [LOW, SATURATED]) {
            ctx.log(`  ${read}, ${connections} connections`);
            const samples = await interleave(
              [
                { name: `graphql c${connections}`, run: (s) => load(gatewayTarget, pair.graphql, connections, s) },
                { name: `rest c${connections}`, run: (s) => load(restTarget, pair.rest, connections, s) },
              ],
              { rounds: ctx.rounds, durationS: ctx.durationS, warmupS: ctx.warmupS, log: ctx.log },
            );
            rows.push({ read, connections, graphql: summarize(samples.get(`graphql c${connections}`)!), rest: summarize(samples.get(`rest c${connections}`)!) });
          }
        }
        // The cheapest answer each server gives, at LOW connections: what a request costs before any
        // read, i.e. the floor under the ratios above.
        ctx.log(`  the empty request, ${LOW} connections`);
        const empty = await interleave(
          [
            {
              name: 'graphql empty',
              run: (s) => load(gatewayTarget, { method: 'POST', path: '/graphql', headers: JSON_HEADERS, body: graphqlBody('{ __typename }'), check: graphqlOk }, LOW, s),
            },
            { name: 'rest empty', run: (s) => load(restTarget, { method: 'GET', path: '/healthz', check: (body) => body === '{"status":"ok"}' }, LOW, s) },
          ],
          { rounds: ctx.rounds, durationS: ctx.durationS, warmupS: ctx.warmupS, log: ctx.log },
        );
        const floor = { graphql: summarize(empty.get('graphql empty')!), rest: summarize(empty.get('rest empty')!) };

        const goals = Object.keys(reads).flatMap((read) => {
          const low = rows.find((r) => r.read === read && r.connections === LOW)!;
          const high = rows.find((r) => r.read === read && r.connections === SATURATED)!;
          const p50 = ratio(low.graphql.p50, low.rest.p50);
          const rps = ratio(high.rest.rps, high.graphql.rps);
          return [
            { goal: `${read}: GraphQL p50 at ${LOW} connections within 1.2x of REST`, value: `${p50}x (${low.graphql.p50} vs ${low.rest.p50} ms)`, met: p50 <= 1.2 },
            {
              goal: `${read}: REST/GraphQL saturated req/s (${SATURATED} connections) within 1.5x`,
              value: `${rps}x (${high.rest.rps} vs ${high.graphql.rps} req/s)`,
              met: rps <= 1.5,
            },
          ];
        });
        const failures = rows.reduce((sum, r) => sum + r.graphql.failures + r.rest.failures, 0) + floor.graphql.failures + floor.rest.failures;
        return {
          ...resultHeader(ctx, this),
          settings: { durationS: ctx.durationS, rounds: ctx.rounds, warmupS: ctx.warmupS, tickets: SEEDED + ids.length, conversation: CONVERSATION },
          tables: [
            {
              title: `medians of ${ctx.rounds} interleaved rounds; latency in ms`,
              columns: [
                'read',
                'connections',
                'graphql req/s',
                'rest req/s',
                'rest/graphql req/s',
                'graphql p50',
                'rest p50',
                'graphql/rest p50',
                'graphql p99',
                'rest p99',
                'graphql CPU ms/req',
                'rest CPU ms/req',
                'db CPU ms/req (graphql / rest)',
              ],
              rows: rows.map((r) => [
                r.read,
                r.connections,
                r.graphql.rps,
                r.rest.rps,
                ratio(r.rest.rps, r.graphql.rps),
                r.graphql.p50,
                r.rest.p50,
                ratio(r.graphql.p50, r.rest.p50),
                r.graphql.p99,
                r.rest.p99,
                r.graphql.cpuMsPerRequest,
                r.rest.cpuMsPerRequest,
                `${r.graphql.dbCpuMsPerRequest} / ${r.rest.dbCpuMsPerRequest}`,
              ]),
            },
            {
              title: `the empty request (GraphQL \`{ __typename }\` vs REST \`GET /healthz\`), ${LOW} connections: the fixed cost of a request, medians of ${ctx.rounds} interleaved rounds`,
              columns: ['server', 'req/s', 'p50 ms', 'CPU ms/req'],
              rows: (['graphql', 'rest'] as const).map((server) => [server, floor[server].rps, floor[server].p50, floor[server].cpuMsPerRequest]),
            },
          ],
          goals,
          notes: [
            ...(failures ? [`${failures} failed or unexpected responses`] : []),
            ...rows
              .filter((r) => r.connections === LOW)
              .map(
                (r) =>
                  `${r.read}: the empty GraphQL request costs ${round(floor.graphql.cpuMsPerRequest - floor.rest.cpuMsPerRequest)} ms of CPU more than the empty REST one, ` +
                  `${Math.round((100 * (floor.graphql.cpuMsPerRequest - floor.rest.cpuMsPerRequest)) / r.rest.cpuMsPerRequest)}% of the REST read's ${r.rest.cpuMsPerRequest} ms (the p50 goal leaves 20% for all GraphQL adds)`,
              ),
          ],
          data: { rows, floor },
        };
      } finally {
        await Promise.all([gateway.stop(), rest.stop()]);
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
};
