import { parse } from 'graphql';
import { checkQueryLimits } from '../src/limits/query-limits';
import { buildAppSchema } from '../src/schema';

const limits = { maxQueryDepth: 12, maxQueryCost: 120, maxQueryTokens: 2000 };

describe('query cost', () => {
  it('prices totalCount like a page, so aliased counts cannot pile up for free', async () => {
    const schema = await buildAppSchema();
    const one = parse('{ tickets(first: 1) { totalCount } }');
    expect(checkQueryLimits(schema, one, {}, undefined, limits)).toBeUndefined();
    const three = parse('{ a: tickets(first: 1) { totalCount } b: tickets(first: 1) { totalCount } c: tickets(first: 1) { totalCount } }');
    const refused = checkQueryLimits(schema, three, {}, undefined, limits);
    expect(refused?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'cost' });
  });
});
