/**
 * Before/after of an optimisation: two builds of the gateway, the current `dist/` and an older one
 * (`--before DIR`, a `dist/` built from another checkout), serving the same reads on one embedded
 * MongoDB, measured interleaved. Run only when asked:
 *
 *   mkdir -p /tmp/before && git archive <commit> | tar -x -C /tmp/before && ln -s "$PWD/node_modules" /tmp/before/node_modules
 *   (cd /tmp/before && npx tsc -p tsconfig.build.json)
 *   npm run bench -- --only builds --before /tmp/before/dist
 */
import { compareBuilds } from '../lib/before-after';
import { graphqlBody, graphqlOk, JSON_HEADERS } from '../lib/client';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import type { SectionResult } from '../lib/report';
import { ratio } from '../lib/stats';
import { seedReads, TICKET_LIST, TICKET_WITH_CONVERSATION } from './rest';

/** Loaded (the server's CPU decides) and one at a time (round trips decide). */
const CONNECTIONS = [10, 1];

export const buildsSection: Section = {
  name: 'builds',
  title: 'Before/after: an older build of the gateway against this one',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const { rows, failures } = await compareBuilds(ctx, this.name, {
      database: 'bench_builds',
      seed: seedReads,
      connections: CONNECTIONS,
      requests: (ids) => {
        let i = 0;
        const nextId = () => ids[i++ % ids.length];
        return {
          '{ __typename }': { method: 'POST', path: '/graphql', headers: JSON_HEADERS, body: graphqlBody('{ __typename }'), check: graphqlOk },
          'ticket + conversation': {
            method: 'POST',
            path: '/graphql',
            headers: JSON_HEADERS,
            next: () => ({ body: graphqlBody(TICKET_WITH_CONVERSATION, { id: String(nextId()) }) }),
            check: graphqlOk,
          },
          'open tickets, first 50': {
            method: 'POST',
            path: '/graphql',
            headers: JSON_HEADERS,
            body: graphqlBody(TICKET_LIST, { filter: { view: 'OPEN' }, first: 50 }),
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
          columns: [
            'read',
            'connections',
            'before req/s',
            'after req/s',
            'after/before req/s',
            'before p50',
            'after p50',
            'before CPU',
            'after CPU',
            'after/before CPU',
            'db CPU (before / after)',
          ],
          rows: rows.map((r) => [
            r.request,
            r.connections,
            r.before.rps,
            r.after.rps,
            ratio(r.after.rps, r.before.rps),
            r.before.p50,
            r.after.p50,
            r.before.cpuMsPerRequest,
            r.after.cpuMsPerRequest,
            ratio(r.after.cpuMsPerRequest, r.before.cpuMsPerRequest),
            `${r.before.dbCpuMsPerRequest} / ${r.after.dbCpuMsPerRequest}`,
          ]),
        },
      ],
      goals: [],
      notes: failures ? [`${failures} failed or unexpected responses`] : [],
      data: rows.map(({ request, ...row }) => ({ read: request, ...row })),
    };
  },
};
