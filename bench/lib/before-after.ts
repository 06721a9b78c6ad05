import type { Db } from 'mongodb';
import type { BenchContext } from './context';
import { interleave, load, summarize, type RequestSpec, type Summary } from './load';
import { startGateway, startMongo } from './processes';
import { connect } from './seed';

export interface BuildRow {
  request: string;
  connections: number;
  before: Summary;
  after: Summary;
}

/**
 * Two builds of the gateway, an older one (`--before DIR`) and this one, serving the same requests on
 * one embedded MongoDB, measured interleaved round by round: a row per request and connection count.
 * `requests` gets the seeded ids (what `seed` answered).
 */
export async function compareBuilds<T>(
  ctx: BenchContext,
  section: string,
  options: { database: string; seed(db: Db): Promise<T>; requests(seeded: T): Record<string, RequestSpec>; connections: readonly number[] },
): Promise<{ rows: BuildRow[]; failures: number }> {
  if (!ctx.beforeDist) throw new Error(`the ${section} section needs --before DIR (the dist/ of the older build)`);
  const mongo = await startMongo();
  const { client, db } = await connect(mongo.uri, options.database);
  try {
    ctx.log('  seeding');
    const requests = options.requests(await options.seed(db));
    const before = await startGateway('before', mongo.uri, options.database, {}, ctx.serverNodeArgs, ctx.beforeDist);
    const after = await startGateway('after', mongo.uri, options.database, {}, ctx.serverNodeArgs);
    try {
      const rows: BuildRow[] = [];
      for (const connections of options.connections) {
        for (const [request, spec] of Object.entries(requests)) {
          ctx.log(`  ${request}, ${connections} connection${connections > 1 ? 's' : ''}`);
          const samples = await interleave(
            [
              { name: 'before', run: (s) => load({ url: before.url, pid: before.pid, dbPid: mongo.pid }, spec, connections, s) },
              { name: 'after', run: (s) => load({ url: after.url, pid: after.pid, dbPid: mongo.pid }, spec, connections, s) },
            ],
            { rounds: ctx.rounds, durationS: ctx.durationS, warmupS: ctx.warmupS, log: ctx.log },
          );
          rows.push({ request, connections, before: summarize(samples.get('before')!), after: summarize(samples.get('after')!) });
        }
      }
      return { rows, failures: rows.reduce((sum, r) => sum + r.before.failures + r.after.failures, 0) };
    } finally {
      await Promise.all([before.stop(), after.stop()]);
    }
  } finally {
    await client.close();
    await mongo.stop();
  }
}
