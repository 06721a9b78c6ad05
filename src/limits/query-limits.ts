import {
  type DocumentNode,
  type FragmentDefinitionNode,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getOperationAST,
  getVariableValues,
  parse,
  type GraphQLCompositeType,
  GraphQLError,
  type GraphQLField,
  GraphQLIncludeDirective,
  type GraphQLSchema,
  GraphQLSkipDirective,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  SchemaMetaFieldDef,
  type SelectionNode,
  type SelectionSetNode,
  TypeInfo,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { type ComplexityEstimator, fieldExtensionsEstimator, simpleEstimator } from 'graphql-query-complexity';
import type { RequestHandler } from 'express';
import type { Config } from '../config';
import { AppError, graphQLErrorBody, httpStatusOf, toGraphQLError } from '../errors';
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

/**
 * Depth of a selection set, fields only (fragments add no level). A fragment's depth does not depend on
 * where it is spread, so each is measured once: the walk is linear in the document, however many
 * paths lead to a fragment (a chain of fragments that each spread the next twice has 2^n of them).
 */
function depthOf(selectionSet: SelectionSetNode | undefined, fragments: Map<string, FragmentDefinitionNode>, depths: Map<string, number>): number {
  if (!selectionSet) return 0;
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      deepest = Math.max(deepest, selection.selectionSet ? 1 + depthOf(selection.selectionSet, fragments, depths) : 1);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, depths));
    } else {
      const name = selection.name.value;
      let depth = depths.get(name);
      if (depth === undefined) {
        const fragment = fragments.get(name);
        depths.set(name, 0); // unknown or cyclic fragments fail validation anyway
        depth = fragment ? depthOf(fragment.selectionSet, fragments, depths) : 0;
        depths.set(name, depth);
      }
      deepest = Math.max(deepest, depth);
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
 * Every step is linear in the document: each fragment is measured once, wherever it is spread.
 */
export function checkQueryLimits(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName: string | undefined | null,
  limits: QueryLimits,
): GraphQLError | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined; // graphql itself refuses a document without that operation
  // The verdict is judged for the values the operation will run with: defaults applied, an omitted
  // variable told apart from an explicit null.
  const coercion = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}, { maxErrors: 1 });
  if (coercion.errors) return refuse(coercion.errors[0].message, { limit: 'cost' });
  const values = coercion.coerced;
  // Apollo hands back the same parsed document for the same query text (its document cache), and the
  // shim parses its operations once: the verdict is remembered per document and per value of the
  // variables it depends on (those of directives, page sizes and priced arguments). Computing it is ~0.5 ms.
  let verdicts = memo.get(document);
  if (!verdicts) {
    verdicts = new Map();
    memo.set(document, verdicts);
  }
  const used = costVariablesOf(schema, document).map((name) => (Object.hasOwn(values, name) ? [values[name]] : []));
  const key = JSON.stringify([operationName ?? null, limits.maxQueryDepth, limits.maxQueryCost, used]);
  if (verdicts.has(key)) return verdicts.get(key);
  const [verdict, cacheable] = computeVerdict(schema, document, operation, values, limits);
  if (!cacheable) return verdict;
  if (verdicts.size >= 64) verdicts.clear();
  verdicts.set(key, verdict);
  return verdict;
}

const memo = new WeakMap<DocumentNode, Map<string, GraphQLError | undefined>>();
const costVariables = new WeakMap<DocumentNode, string[]>();

/**
 * Names of the variables the cost can depend on: those inside a directive (`@include(if: $x)`), a
 * `first` argument, or any argument of a field whose complexity is a function of its arguments.
 */
function costVariablesOf(schema: GraphQLSchema, document: DocumentNode): string[] {
  let names = costVariables.get(document);
  if (!names) {
    const found = new Set<string>();
    const typeInfo = new TypeInfo(schema);
    const priced: boolean[] = [];
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Argument: {
          enter(node) {
            const field = typeInfo.getDirective() ? undefined : typeInfo.getFieldDef();
            priced.push(!field || node.name.value === 'first' || typeof field.extensions.complexity === 'function');
          },
          leave() {
            priced.pop();
          },
        },
        Variable(node) {
          if (priced.at(-1)) found.add(node.name.value);
        },
      }),
    );
    names = [...found].sort();
    costVariables.set(document, names);
  }
  return names;
}

const META_FIELDS = new Map<string, GraphQLField<unknown, unknown>>([
  [SchemaMetaFieldDef.name, SchemaMetaFieldDef],
  [TypeMetaFieldDef.name, TypeMetaFieldDef],
  [TypeNameMetaFieldDef.name, TypeNameMetaFieldDef],
]);

function isSkipped(node: SelectionNode, variables: Record<string, unknown>): boolean {
  return getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true || getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if === false;
}

/**
 * The cost of an operation as graphql-query-complexity prices it (the first estimator that answers
 * prices a field; a selection on an abstract type costs its most expensive possible type), except
 * that each fragment is priced once: its cost does not depend on where it is spread.
 */
function costOf(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  estimators: ComplexityEstimator[],
): number {
  const fragmentCosts = new Map<string, number>();
  const typesOf = (type: GraphQLCompositeType) => (isAbstractType(type) ? schema.getPossibleTypes(type).map((t) => t.name) : [type.name]);
  const selectionCost = (selectionSet: SelectionSetNode, type: GraphQLCompositeType): number => {
    const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
    const perType = new Map<string, number>();
    const add = (cost: number, types: string[]) => {
      for (const name of types) perType.set(name, (perType.get(name) ?? 0) + cost);
    };
    for (const selection of selectionSet.selections) {
      if (isSkipped(selection, variables)) continue;
      if (selection.kind === Kind.FIELD) {
        const field = META_FIELDS.get(selection.name.value) ?? fields[selection.name.value];
        if (!field) continue; // fails validation
        const fieldType = getNamedType(field.type);
        const childComplexity = isCompositeType(fieldType) && selection.selectionSet ? selectionCost(selection.selectionSet, fieldType) : 0;
        const args = getArgumentValues(field, selection, variables);
        let cost: number | void = undefined;
        for (const estimator of estimators) {
          cost = estimator({ type, field, node: selection, args, childComplexity });
          if (typeof cost === 'number' && !Number.isNaN(cost)) break;
        }
        if (typeof cost !== 'number') throw new GraphQLError(`No cost could be computed for ${type.name}.${field.name}`);
        add(cost, typesOf(type));
        continue;
      }
      const conditionName = selection.kind === Kind.INLINE_FRAGMENT ? selection.typeCondition?.name.value : fragments.get(selection.name.value)?.typeCondition.name.value;
      const condition = conditionName === undefined ? (selection.kind === Kind.INLINE_FRAGMENT ? type : undefined) : schema.getType(conditionName);
      if (!isCompositeType(condition)) continue; // an unknown fragment or type fails validation
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        add(selectionCost(selection.selectionSet, condition), typesOf(condition));
        continue;
      }
      const name = selection.name.value;
      let cost = fragmentCosts.get(name);
      if (cost === undefined) {
        fragmentCosts.set(name, 0); // cyclic fragments fail validation
        cost = selectionCost(fragments.get(name)!.selectionSet, condition);
        fragmentCosts.set(name, cost);
      }
      add(cost, typesOf(condition));
    }
    return Math.max(0, ...perType.values());
  };
  const root = schema.getRootType(operation.operation);
  return root ? selectionCost(operation.selectionSet, root) : 0;
}

function computeVerdict(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): [GraphQLError | undefined, boolean] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const depth = depthOf(operation.selectionSet, fragments, new Map());
  if (depth > limits.maxQueryDepth) {
    return [refuse(`The query is ${depth} levels deep; the maximum is ${limits.maxQueryDepth}`, { limit: 'depth', depth, maximum: limits.maxQueryDepth }), true];
  }
  let cost: number;
  let largestPage = 0;
  try {
    const estimators = [pageEstimator((first) => (largestPage = Math.max(largestPage, first))), fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })];
    cost = costOf(schema, operation, fragments, variables, estimators);
  } catch (error) {
    // Arguments that do not coerce: not remembered, since other variables than those priced are involved.
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

/** At most this many fields of a document answer at one response path (`tickets.edges.node`). */
const MAX_FIELDS_PER_RESPONSE_PATH = 10;
/** At most this many fragments are spread into one selection set. */
const MAX_SPREADS_PER_SELECTION_SET = 50;

/**
 * graphql-js's validation that fields can merge compares every pair of fields that answer at the same
 * response path, and every pair of fragments spread into one selection set: `{ tickets { totalCount } }`
 * 495 times (11 KB, anonymous) kept it busy for 2-4 s, ten `tickets` with ten `edges` with ten
 * `cursor` each 0.2-0.3 s. With at most 10 fields a path, that work is at most 10 times the number of
 * fields. Checked before validation, in one pass: each field is counted once, under the path of the
 * field (or operation, or fragment) that owns it, inline fragments included.
 */
export function checkDocumentShape(document: DocumentNode): GraphQLError | undefined {
  const pathIds = new Map<string, number>();
  const paths: Array<{ parent: number; name: string; fields: number }> = [];
  const pathOf = (id: number): string => {
    const names: string[] = [];
    for (let at = id; at >= 0 && paths[at].name !== ''; at = paths[at].parent) names.unshift(paths[at].name);
    return names.join('.');
  };
  let refusal: GraphQLError | undefined;
  const walk = (owner: SelectionSetNode, parent: number) => {
    let spreads = 0;
    const selections = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (refusal) return;
        if (selection.kind === Kind.FIELD) {
          const name = selection.alias?.value ?? selection.name.value;
          const key = `${parent}:${name}`;
          let id = pathIds.get(key);
          if (id === undefined) {
            id = paths.push({ parent, name, fields: 0 }) - 1;
            pathIds.set(key, id);
          }
          if ((paths[id].fields += 1) > MAX_FIELDS_PER_RESPONSE_PATH) {
            const path = pathOf(id);
            refusal = refuse(`"${path}" is selected more than ${MAX_FIELDS_PER_RESPONSE_PATH} times`, { limit: 'repetition', field: path, maximum: MAX_FIELDS_PER_RESPONSE_PATH });
            return;
          }
          if (selection.selectionSet) walk(selection.selectionSet, id);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          selections(selection.selectionSet);
        } else if ((spreads += 1) > MAX_SPREADS_PER_SELECTION_SET) {
          refusal = refuse(`More than ${MAX_SPREADS_PER_SELECTION_SET} fragments are spread into one selection set`, { limit: 'spreads', maximum: MAX_SPREADS_PER_SELECTION_SET });
          return;
        }
      }
    };
    selections(owner);
  };
  for (const definition of document.definitions) {
    if (refusal) break;
    // Each operation and fragment is a root of its own (a fragment's fields are counted where it is defined).
    if (definition.kind === Kind.OPERATION_DEFINITION || definition.kind === Kind.FRAGMENT_DEFINITION) {
      walk(definition.selectionSet, paths.push({ parent: -1, name: '', fields: 0 }) - 1);
    }
  }
  return refusal;
}

/** Longest query text whose verdict is remembered (the bound of the memo's memory). */
const MEMO_QUERY_LENGTH = 8192;

/**
 * {@link checkDocumentShape} for GraphQL over HTTP, before Apollo validates (single requests, batches
 * and GET). A query that does not parse passes on: Apollo answers it. Verdicts are remembered per
 * query text, since Apollo's own document cache then skips parsing and validation.
 */
export function documentShapeGuard(maxTokens: number): RequestHandler {
  const verdicts = new Map<string, GraphQLError | null>();
  const verdictOf = (query: string): GraphQLError | null => {
    let verdict = verdicts.get(query);
    if (verdict === undefined) {
      try {
        verdict = checkDocumentShape(parse(query, { maxTokens })) ?? null;
      } catch {
        verdict = null;
      }
      if (query.length <= MEMO_QUERY_LENGTH) {
        if (verdicts.size >= 1000) verdicts.clear();
        verdicts.set(query, verdict);
      }
    }
    return verdict;
  };
  return (req, res, next) => {
    const requests: unknown[] = Array.isArray(req.body) ? req.body : [req.method === 'GET' ? req.query : req.body];
    for (const request of requests) {
      const query = (request as { query?: unknown } | null)?.query;
      const refused = typeof query === 'string' ? verdictOf(query) : null;
      if (refused) {
        const error = refused.originalError as AppError;
        res.status(httpStatusOf(error.code)).json(graphQLErrorBody(error));
        return;
      }
    }
    next();
  };
}
