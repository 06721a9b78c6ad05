/**
 * The event log's cost on the write path: `sendMessage` and `raiseTicket` on an older build without
 * the log (`--before DIR`) and on this one, on one embedded MongoDB, measured interleaved. The goal:
 * p50 within 1.15x of the build without the log. Run only when asked:
 *
 *   mkdir -p /tmp/before && git archive <commit before the log> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   npm run bench -- --only event-log --before /tmp/before/dist
 */
import { graphqlBody, graphqlOk, JSON_HEADERS } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { interleave, load, summarize, type RequestSpec, type Summary } from '../lib/load';
import { startGateway, startMongo } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect } from '../lib/seed';
import { ratio } from '../lib/stats';
import { seedReads } from './rest';

const CONNECTIONS = [1, 10];
const GOAL = 1.15;

const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }';
const RAISE = 'mutation($input: RaiseTicketInput!) { raiseTicket(input: $input) { id } }';

export const eventLogSection: Section = {
  name: 'event-log',
  title: 'The event log on the write path: a build without it against this one',
  async run(ctx: BenchContext): Promise<SectionResult> {
    if (!ctx.beforeDist) throw new Error('the event-log section needs --before DIR (the dist/ of a build without the event log)');
    const mongo = await startMongo();
    const database = 'bench_event_log';
    const { client, db } = await connect(mongo.uri, database);
    try {
      ctx.log('  seeding');
      const ids = await seedReads(db);
      // The "before" build never moves outboxes: the sweep of this one must not find its tickets either.
      const before = await startGateway('before', mongo.uri, database, {}, ctx.serverNodeArgs, ctx.beforeDist);
      const after = await startGateway('after', mongo.uri, database, {}, ctx.serverNodeArgs);
      try {
        let i = 0;
        const nextId = () => ids[i++ % ids.length];
        const writes: Record<string, RequestSpec> = {
          sendMessage: {
            method: 'POST',
            path: '/graphql',
            headers: JSON_HEADERS,
            next: () => ({ body: graphqlBody(SEND, { input: { ticketId: String(nextId()), body: 'bench message' } }) }),
            check: graphqlOk,
          },
          raiseTicket: {
            method: 'POST',
            path: '/graphql',
            headers: JSON_HEADERS,
            body: graphqlBody(RAISE, { input: { type: 'Bench', subject: 'bench', userId: 1, comments: 'bench comments' } }),
            check: graphqlOk,
          },
        };
        const rows: Array<{ write: string; connections: number; before: Summary; after: Summary }> = [];
        for (const connections of CONNECTIONS) {
          for (const [write, spec] of Object.entries(writes)) {
            ctx.log(`  ${write}, ${connections} connection${connections > 1 ? 's' : ''}`);
            const samples = await interleave(
              [
                { name: 'before', run: (s) => load({ url: before.url, pid: before.pid, dbPid: mongo.pid }, spec, connections, s) },
                { name: 'after', run: (s) => load({ url: after.url, pid: after.pid, dbPid: mongo.pid }, spec, connections, s) },
              ],
              { rounds: ctx.rounds, durationS: ctx.durationS, warmupS: ctx.warmupS, log: ctx.log },
            );
            rows.push({ write, connections, before: summarize(samples.get('before')!), after: summarize(samples.get('after')!) });
          }
        }
        const failures = rows.reduce((sum, r) => sum + r.before.failures + r.after.failures, 0);
        return {
          ...resultHeader(ctx, this),
          settings: { before: ctx.beforeDist, connections: CONNECTIONS.join(', '), durationS: ctx.durationS, rounds: ctx.rounds, warmupS: ctx.warmupS },
          tables: [
            {
              title: `medians of ${ctx.rounds} interleaved rounds; latency in ms, CPU in ms per request`,
              columns: ['write', 'connections', 'before p50', 'after p50', 'after/before p50', 'before req/s', 'after req/s', 'before CPU', 'after CPU', 'db CPU (before / after)'],
              rows: rows.map((r) => [
                r.write,
                r.connections,
                r.before.p50,
                r.after.p50,
                ratio(r.after.p50, r.before.p50),
                r.before.rps,
                r.after.rps,
                r.before.cpuMsPerRequest,
                r.after.cpuMsPerRequest,
                `${r.before.dbCpuMsPerRequest} / ${r.after.dbCpuMsPerRequest}`,
              ]),
            },
          ],
          goals: rows
            .filter((r) => r.connections === 1)
            .map((r) => ({
              goal: `${r.write} p50 at 1 connection within ${GOAL}x of the build without the log`,
              met: r.after.p50 <= GOAL * r.before.p50,
              value: `${ratio(r.after.p50, r.before.p50)}x`,
            })),
          notes: failures ? [`${failures} failed or unexpected responses`] : [],
          data: rows,
        };
      } finally {
        await Promise.all([before.stop(), after.stop()]);
      }
    } finally {
      await client.close();
      await mongo.stop();
    }
  },
};
