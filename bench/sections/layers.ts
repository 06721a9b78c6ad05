/**
 * Where a GraphQL read's CPU goes, layer by layer, measured in this process (process.cpuUsage over
 * many operations, 10 in flight, blocks interleaved, medians): steadier than whole-request numbers
 * on a busy machine, and it answers "what dominates" when section 2 misses its goals.
 *
 *   1. the database calls a hand-written handler makes (mongoose findOne + find, .lean())
 *   2. the database calls the gateway's services make (TicketService.findVisible + MessageService.pages)
 *   3. checkQueryLimits (depth and cost, run by an Apollo plugin on every request)
 *   4. graphql `execute` of the operation on the app schema (resolvers, DataLoaders, services, database)
 *  4b. the same, plus JSON.stringify of the result, with the services answering records read once
 *      beforehand: GraphQL execution and serialisation alone
 *   5. Apollo `executeOperation` as configured in src/server.ts (4 plus Apollo's pipeline and plugins)
 *   6. a bare Apollo on the same schema: only its default plugins (cache control)
 *   7. a bare Apollo with the cache-control plugin disabled too (it wraps every field's resolver)
 *
 * What HTTP adds (express, helmet, the rate limiter, body parsing, Apollo's HTTP handling) is the
 * gateway's CPU per request in section 2 minus row 5.
 *
 * A second table times the legacy shim's operations through executeOperation given as a document
 * (which Apollo prints on every call; the shim before its optimisation) and as pre-printed text (after).
 */
import 'reflect-metadata';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { execute, parse, print, validate, type DocumentNode } from 'graphql';
import { LegacyGetTicketDetailsDocument, LegacyGetTicketsDocument } from '../../src/legacy/operations/generated';
import { loadConfig } from '../../src/config';
import { buildAppSchema } from '../../src/schema';
import { createContext } from '../../src/context';
import { startApp } from '../../src/index';
import { checkQueryLimits } from '../../src/limits/query-limits';
import type { Viewer } from '../../src/auth/viewer';
import { type BenchContext, type Section, resultHeader } from '../lib/context';
import { BENCH_ACCOUNT, gatewayEnv, startMongo } from '../lib/processes';
import type { SectionResult } from '../lib/report';
import { connect, insertTickets, seedTickets, reserveIds, ticketDoc } from '../lib/seed';
import { median, round } from '../lib/stats';
import { TICKET_LIST, TICKET_WITH_CONVERSATION } from './rest';

const IN_FLIGHT = 10;
const BLOCK = 200;

/** CPU microseconds per operation: `ops` operations, IN_FLIGHT at a time. */
async function cpuPerOp(op: (i: number) => Promise<unknown>, ops: number): Promise<number> {
  let next = 0;
  const before = process.cpuUsage();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ops) await op(next++);
    }),
  );
  const used = process.cpuUsage(before);
  return (used.user + used.system) / ops;
}

export const layersSection: Section = {
  name: 'layers',
  title: 'Where a GraphQL read spends its CPU (in-process, layer by layer)',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const mongo = await startMongo();
    const database = 'bench_layers';
    const { client, db } = await connect(mongo.uri, database);
    await seedTickets(db, 2000);
    const ids = await reserveIds(db, 50);
    await insertTickets(
      db,
      ids.map((id, k) => ticketDoc(id, k, { users: 50, messages: 10, total: 50, status: 'open' })),
    );
    const app = await startApp(loadConfig(gatewayEnv(mongo.uri, database, 0, 'silent')));
    try {
      const viewer: Viewer = { role: 'admin', accountId: BENCH_ACCOUNT, username: 'bench', credentialId: 'bench' };
      // The same resolvers and wiring as the running app's schema.
      const schema = await buildAppSchema(app.container.pubSub);
      const bare = new ApolloServer({ schema });
      const bareNoCacheControl = new ApolloServer({ schema, plugins: [ApolloServerPluginCacheControlDisabled()] });
      await Promise.all([bare.start(), bareNoCacheControl.start()]);
      const { Ticket } = app.container.models;
      const { Message } = app.container.models;
      const { tickets, messages } = app.container.services;
      const idOf = (i: number) => ids[i % ids.length];
      const reads = {
        'ticket + conversation': { query: TICKET_WITH_CONVERSATION, variables: (i: number) => ({ id: String(idOf(i)) }) },
        'open tickets, first 50': { query: TICKET_LIST, variables: () => ({ filter: { view: 'OPEN' }, first: 50 }) },
      };
      // Services that answer what the real ones answered once, so that row 4b times GraphQL alone.
      const [oneTicket, onePage, aList] = await Promise.all([
        tickets.findVisible(viewer, idOf(0)),
        messages.pages(viewer, [idOf(0)], 50, null),
        tickets.list(viewer, { view: 'OPEN' as never }, 50, null),
      ]);
      const storedTickets: typeof tickets = Object.assign(Object.create(tickets), { findVisible: async () => oneTicket, list: async () => aList });
      const storedMessages: typeof messages = Object.assign(Object.create(messages), {
        pages: async (_viewer: Viewer, ticketIds: readonly number[]) => new Map(ticketIds.map((id) => [id, onePage.get(idOf(0))!])),
      });
      const inMemory = { ...app.container, services: { ...app.container.services, tickets: storedTickets, messages: storedMessages } };
      const rows: Array<{ read: string; layer: string; us: number }> = [];
      for (const [read, { query, variables }] of Object.entries(reads)) {
        const document = parse(query);
        if (validate(schema, document).length) throw new Error(`${read}: invalid`);
        const layers: Record<string, (i: number) => Promise<unknown>> = {
          '1. database calls, hand-written (findOne + find, lean)':
            read === 'ticket + conversation'
              ? (i) =>
                  Promise.all([
                    Ticket.findOne({ _id: idOf(i), accountId: BENCH_ACCOUNT }).lean(),
                    Message.find({ accountId: BENCH_ACCOUNT, ticketId: idOf(i) })
                      .sort({ seq: 1 })
                      .limit(51)
                      .lean(),
                  ])
              : () => Ticket.find({ accountId: BENCH_ACCOUNT, status: 'open' }).sort({ _id: 1 }).limit(51).lean(),
          '2. database calls, gateway services':
            read === 'ticket + conversation'
              ? async (i) => {
                  await tickets.findVisible(viewer, idOf(i));
                  await messages.pages(viewer, [idOf(i)], 50, null);
                }
              : () => tickets.list(viewer, { view: 'OPEN' as never }, 50, null),
          '3. checkQueryLimits': async (i) => checkQueryLimits(schema, document, variables(i), undefined, app.config),
          '4. graphql execute (resolvers + services + database)': async (i) => {
            const result = await execute({ schema, document, variableValues: variables(i), contextValue: createContext(viewer, app.container) });
            if (result.errors) throw result.errors[0];
          },
          '4b. graphql execute + JSON.stringify, records in memory (no database)': async (i) => {
            const result = await execute({ schema, document, variableValues: variables(i), contextValue: createContext(viewer, inMemory) });
            if (result.errors) throw result.errors[0];
            JSON.stringify(result);
          },
          '5. Apollo executeOperation, as configured': async (i) => {
            const result = await app.server.apollo.executeOperation({ query, variables: variables(i) }, { contextValue: createContext(viewer, app.container) });
            if (result.body.kind !== 'single' || result.body.singleResult.errors) throw new Error(JSON.stringify(result.body));
          },
          '6. Apollo executeOperation, bare (default plugins: cache control)': async (i) => {
            const result = await bare.executeOperation({ query, variables: variables(i) }, { contextValue: createContext(viewer, app.container) });
            if (result.body.kind !== 'single' || result.body.singleResult.errors) throw new Error(JSON.stringify(result.body));
          },
          '7. Apollo executeOperation, bare, cache-control plugin disabled': async (i) => {
            const result = await bareNoCacheControl.executeOperation({ query, variables: variables(i) }, { contextValue: createContext(viewer, app.container) });
            if (result.body.kind !== 'single' || result.body.singleResult.errors) throw new Error(JSON.stringify(result.body));
          },
        };
        const samples = new Map<string, number[]>(Object.keys(layers).map((k) => [k, []]));
        for (const op of Object.values(layers)) await cpuPerOp(op, BLOCK); // warm-up
        const blocks = Math.max(3, ctx.rounds * 2);
        for (let b = 0; b < blocks; b++) {
          const order = b % 2 ? Object.entries(layers).reverse() : Object.entries(layers);
          for (const [name, op] of order) samples.get(name)!.push(await cpuPerOp(op, BLOCK));
        }
        for (const [layer, values] of samples) rows.push({ read, layer, us: round(median(values)) });
        ctx.log(
          `  ${read}: ${rows
            .filter((r) => r.read === read)
            .map((r) => `${r.layer.slice(0, 2)} ${r.us} µs`)
            .join(', ')}`,
        );
      }
      await Promise.all([bare.stop(), bareNoCacheControl.stop()]);

      const legacyOps: Array<[string, DocumentNode, (i: number) => Record<string, unknown>]> = [
        ['LegacyGetTicketDetails (get_ticket_details)', LegacyGetTicketDetailsDocument as DocumentNode, (i) => ({ id: String(idOf(i)), first: 200, after: null })],
        ['LegacyGetTickets (get_tickets, 20 tickets)', LegacyGetTicketsDocument as DocumentNode, (i) => ({ filter: { userId: 1 + (i % 100) }, first: 200, after: null })],
      ];
      const printRows: Array<[string, number, number, number]> = [];
      for (const [name, document, variables] of legacyOps) {
        const text = print(document);
        const run = (query: string | DocumentNode) => async (i: number) => {
          const result = await app.server.apollo.executeOperation({ query, variables: variables(i) }, { contextValue: createContext(viewer, app.container) });
          if (result.body.kind !== 'single' || result.body.singleResult.errors) throw new Error(JSON.stringify(result.body));
        };
        const asDocument: number[] = [];
        const asText: number[] = [];
        await cpuPerOp(run(document), BLOCK);
        await cpuPerOp(run(text), BLOCK);
        for (let b = 0; b < Math.max(6, ctx.rounds * 4); b++) {
          if (b % 2) {
            asText.push(await cpuPerOp(run(text), BLOCK));
            asDocument.push(await cpuPerOp(run(document), BLOCK));
          } else {
            asDocument.push(await cpuPerOp(run(document), BLOCK));
            asText.push(await cpuPerOp(run(text), BLOCK));
          }
        }
        const [d, t] = [round(median(asDocument)), round(median(asText))];
        printRows.push([name, d, t, round(d - t)]);
        ctx.log(`  ${name}: document ${d} µs, text ${t} µs`);
      }
      return {
        ...resultHeader(ctx, this),
        settings: { inFlight: IN_FLIGHT, opsPerBlock: BLOCK, blocks: Math.max(3, ctx.rounds * 2) },
        tables: [
          {
            title: 'CPU µs per operation in one process (medians of interleaved blocks); database work includes the driver, not the database process',
            columns: ['layer', ...Object.keys(reads)],
            rows: [...new Set(rows.map((r) => r.layer))].map((layer) => [layer, ...Object.keys(reads).map((read) => rows.find((r) => r.read === read && r.layer === layer)!.us)]),
          },
          {
            title:
              'legacy operations through Apollo executeOperation, CPU µs per call: given the document (printed by Apollo on every call, the shim before) vs pre-printed text (the shim now)',
            columns: ['operation', 'document', 'pre-printed text', 'saved'],
            rows: printRows,
          },
        ],
        goals: [],
        notes: [],
        data: { layers: rows, legacyPrint: printRows },
      };
    } finally {
      await app.stop();
      await client.close();
      await mongo.stop();
    }
  },
};
