/**
 * The event log's cost on the write path: `sendMessage` and `raiseTicket` on an older build without
 * the log (`--before DIR`) and on this one, on one embedded MongoDB, measured interleaved. The goal:
 * p50 within 1.15x of the build without the log. Run only when asked:
 *
 *   mkdir -p /tmp/before && git archive <commit before the log> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   npm run bench -- --only event-log --before /tmp/before/dist
 */
import { compareBuilds } from '../lib/before-after';
import { graphqlBody, graphqlOk, JSON_HEADERS } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import type { SectionResult } from '../lib/report';
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
    const { rows, failures } = await compareBuilds(ctx, this.name, {
      database: 'bench_event_log',
      seed: seedReads,
      connections: CONNECTIONS,
      requests: (ids) => {
        let i = 0;
        const nextId = () => ids[i++ % ids.length];
        return {
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
      },
    });
    return {
      ...resultHeader(ctx, this),
      settings: { before: ctx.beforeDist, connections: CONNECTIONS.join(', '), durationS: ctx.durationS, rounds: ctx.rounds, warmupS: ctx.warmupS },
      tables: [
        {
          title: `medians of ${ctx.rounds} interleaved rounds; latency in ms, CPU in ms per request`,
          columns: ['write', 'connections', 'before p50', 'after p50', 'after/before p50', 'before req/s', 'after req/s', 'before CPU', 'after CPU', 'db CPU (before / after)'],
          rows: rows.map((r) => [
            r.request,
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
          goal: `${r.request} p50 at 1 connection within ${GOAL}x of the build without the log`,
          met: r.after.p50 <= GOAL * r.before.p50,
          value: `${ratio(r.after.p50, r.before.p50)}x`,
        })),
      notes: failures ? [`${failures} failed or unexpected responses`] : [],
      data: rows.map(({ request, ...row }) => ({ write: request, ...row })),
    };
  },
};
