/**
 * Rate-limit counters live in Redis when REDIS_URL is set: a credential's budget is one budget,
 * whichever instance the load balancer picks.
 */
import { ADMIN, GLOBEX_KEY } from '../../helpers/credentials';
import { startCluster, type Cluster } from '../../helpers/gateway';
import { gql } from '../../helpers/graphql';
import { legacy as legacyCall } from '../../helpers/legacy';

let c: Cluster;

beforeAll(async () => {
  c = await startCluster({ RATE_LIMIT_MAX: '8', RATE_LIMIT_WINDOW_MS: '60000' });
}, 120_000);
afterAll(async () => {
  await c?.stop();
});

it('spends one budget per credential across both instances, on GraphQL and /api/v1 alike', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 8; i += 1) {
    const gateway = i % 2 === 0 ? c.a : c.b;
    statuses.push((await gql(gateway, '{ __typename }', {}, ADMIN)).status);
  }
  expect(statuses).toEqual(Array(8).fill(200));
  const graphql = await gql(c.b, '{ __typename }', {}, ADMIN);
  expect(graphql.status).toBe(429);
  expect(graphql.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  const legacy = await legacyCall(c.a, '/get_ticket_details/1', { json: {} });
  expect(legacy.status).toBe(429);
  expect(legacy.json).toMatchObject({ status: 'error', errorCode: 429 });
  // Another credential has its own budget.
  expect((await gql(c.a, '{ __typename }', {}, { apiKey: GLOBEX_KEY })).status).toBe(200);
}, 60_000);

it('lets requests through (fails open) while Redis is down, and counts again when it is back', async () => {
  await c.redis.stop();
  const during = await gql(c.a, '{ __typename }', {}, { apiKey: GLOBEX_KEY });
  expect(during.status).toBe(200);
  await c.redis.start();
  let status = 0;
  // Spend the rest of globex's budget once Redis answers again; the limit applies again.
  for (let i = 0; i < 40 && status !== 429; i += 1) {
    status = (await gql(i % 2 ? c.a : c.b, '{ __typename }', {}, { apiKey: GLOBEX_KEY })).status;
    if (status !== 429) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(status).toBe(429);
}, 60_000);
