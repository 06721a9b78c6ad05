import { parse } from 'graphql';
import { checkQueryLimits } from '../../src/limits/query-limits';
import { buildAppSchema } from '../../src/schema';

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

describe('remembered verdicts', () => {
  it('depend on the page-size variables, and a variable that does not coerce is never remembered', async () => {
    const schema = await buildAppSchema();
    const generous = { ...limits, maxQueryCost: 20000 };
    const doc = parse('query($id: ID!, $n: Int) { ticket(id: $id) { messages(first: $n) { edges { node { body } } } } }');
    expect(checkQueryLimits(schema, doc, { id: '1', n: 10 }, undefined, generous)).toBeUndefined();
    expect(checkQueryLimits(schema, doc, { id: '2', n: 500 }, undefined, generous)?.extensions).toMatchObject({ limit: 'first' });
    expect(checkQueryLimits(schema, doc, { id: '3', n: 10 }, undefined, generous)).toBeUndefined();
    expect(checkQueryLimits(schema, doc, { id: { not: 'an id' }, n: 20 }, undefined, generous)).toBeDefined();
    expect(checkQueryLimits(schema, doc, { id: '4', n: 20 }, undefined, generous)).toBeUndefined();
  });
});
