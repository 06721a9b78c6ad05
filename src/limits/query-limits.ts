import { type DocumentNode, type FragmentDefinitionNode, GraphQLError, type GraphQLSchema, Kind, type SelectionSetNode, visit } from 'graphql';
import { type ComplexityEstimator, fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';
import type { Config } from '../config';
import { AppError, toGraphQLError } from '../errors';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../shared/pagination';

export type QueryLimits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryTokens'>;

/**
 * Lists cost by their page size: `first` items, each costing its selection. A field without
 * `first` costs 1 plus its children (the simple estimator). Every `first` seen is reported, so a page
 * over the cap is refused before the query runs rather than after the lists around it were read.
 */
function pageEstimator(seen: (first: number) => void): ComplexityEstimator {
  return ({ args, childComplexity, field }) => {
    if (!field.args.some((arg) => arg.name === 'first')) return undefined;
    const first = typeof args.first === 'number' ? args.first : DEFAULT_PAGE_SIZE;
    seen(first);
    return 1 + Math.max(first, 1) * Math.max(childComplexity, 1);
  };
}

function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, fragments, seen) : 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue; // unknown or cyclic fragments fail validation anyway
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

function refuse(message: string, details: Record<string, unknown>): GraphQLError {
  return toGraphQLError(new AppError('BAD_USER_INPUT', message, details));
}

/**
 * Checks depth, page sizes (`first` at most 200) and cost of a parsed, validated operation, before
 * anything executes: a refused query does no database work. Used by Apollo (HTTP and the legacy shim) and by graphql-ws alike.
 */
export function checkQueryLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: QueryLimits,
): GraphQLError | undefined {
  // Apollo hands back the same parsed document for the same query text (its document cache), and the
  // shim parses its operations once: the verdict is remembered per document and per value of the
  // variables that set a page size, the only inputs it depends on. Computing the cost is ~0.5 ms.
  let verdicts = memo.get(document);
  if (!verdicts) {
    verdicts = new Map();
    memo.set(document, verdicts);
  }
  const key = JSON.stringify([operationName ?? null, limits.maxQueryDepth, limits.maxQueryCost, pageVariablesOf(document).map((name) => variables?.[name] ?? null)]);
  if (verdicts.has(key)) return verdicts.get(key);
  const [verdict, cacheable] = computeVerdict(schema, document, variables, operationName, limits);
  if (!cacheable) return verdict;
  if (verdicts.size >= 64) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
}

const memo = new WeakMap<DocumentNode, Map<string, GraphQLError | undefined>>();
const pageVariables = new WeakMap<DocumentNode, string[]>();

/** Names of the variables passed as a `first` argument anywhere in the document. */
function pageVariablesOf(document: DocumentNode): string[] {
  let names = pageVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    visit(document, {
      Argument(node) {
        if (node.name.value === 'first' && node.value.kind === Kind.VARIABLE) found.add(node.value.name.value);
      },
    });
    names = [...found].sort();
    pageVariables.set(document, names);
  }
  return names;
}

function computeVerdict(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: QueryLimits,
): [GraphQLError | undefined, boolean] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName && definition.name?.value !== operationName) continue;
    const depth = depthOf(definition.selectionSet, fragments, new Set());
    if (depth > limits.maxQueryDepth) {
      return [refuse(`The query is ${depth} levels deep; the maximum is ${limits.maxQueryDepth}`, { limit: 'depth', depth, maximum: limits.maxQueryDepth }), true];
    }
  }
  let cost: number;
  let largestPage = 0;
  try {
    cost = getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      operationName: operationName ?? undefined,
      estimators: [pageEstimator((first) => (largestPage = Math.max(largestPage, first))), fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch (error) {
    // Variables that do not coerce: not remembered, since other variables than page sizes are involved.
    return [error instanceof GraphQLError ? refuse(error.message, { limit: 'cost' }) : refuse('The query cost could not be computed', { limit: 'cost' }), false];
  }
  if (largestPage > MAX_PAGE_SIZE) {
    return [refuse(`first must be at most ${MAX_PAGE_SIZE}`, { field: 'first', limit: 'first', maximum: MAX_PAGE_SIZE }), true];
  }
  if (cost > limits.maxQueryCost) {
    const message = `The query costs ${cost}; the maximum is ${limits.maxQueryCost}. Ask for smaller pages (first) or fewer fields.`;
    return [refuse(message, { limit: 'cost', cost, maximum: limits.maxQueryCost }), true];
  }
  return [undefined, true];
}
