import {
  BREAK,
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
import { MAX_PAGE_SIZE } from '../shared/pagination';

export type QueryLimits = Pick<Config, 'maxQueryDepth' | 'maxQueryCost' | 'maxQueryTokens'>;

/** Default page size of list fields that take `first` (the schema's default). */
const DEFAULT_FIRST = 50;

/**
 * Lists cost by their page size: `first` items, each costing its selection. A field without
 * `first` costs 1 plus its children (the simple estimator). Every `first` seen is reported, so a page
 * over the cap is refused before the query runs rather than after the lists around it were read.
 */
function pageEstimator(seen: (first: number) => void): ComplexityEstimator {
  return ({ args, childComplexity, field }) => {
    if (!field.args.some((arg) => arg.name === 'first')) return undefined;
    const first = typeof args.first === 'number' ? args.first : DEFAULT_FIRST;
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
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...details, http: { status: 400 } } });
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
function costOf(schema: GraphQLSchema, operation: OperationDefinitionNode, fragments: Map<string, FragmentDefinitionNode>, variables: Record<string, unknown>, estimators: ComplexityEstimator[]): number {
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

/** At most this many fields of one selection set (its inline fragments included) share a response name. */
const MAX_SAME_RESPONSE_NAME = 10;
/** At most this many fragments are spread into one selection set. */
const MAX_SPREADS_PER_SELECTION_SET = 50;

/**
 * graphql-js's validation that fields can merge compares every pair of fields with the same response
 * name in a selection set, and every pair of fragments spread into it, recursively: 495 copies of
 * one field (11 KB, anonymous) kept it busy for 2-4 s. Such documents are refused before validation,
 * in one pass over the document: each field is counted once, in the selection set that owns it.
 */
export function checkDocumentShape(document: DocumentNode): GraphQLError | undefined {
  let refusal: GraphQLError | undefined;
  const inspect = (owner: SelectionSetNode) => {
    const counts = new Map<string, number>();
    let spreads = 0;
    const walk = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (refusal) return;
        if (selection.kind === Kind.FIELD) {
          const name = selection.alias?.value ?? selection.name.value;
          const count = (counts.get(name) ?? 0) + 1;
          counts.set(name, count);
          if (count > MAX_SAME_RESPONSE_NAME) {
            refusal = refuse(`"${name}" is selected more than ${MAX_SAME_RESPONSE_NAME} times in one selection set`, { limit: 'repetition', field: name, maximum: MAX_SAME_RESPONSE_NAME });
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          walk(selection.selectionSet);
        } else if ((spreads += 1) > MAX_SPREADS_PER_SELECTION_SET) {
          refusal = refuse(`More than ${MAX_SPREADS_PER_SELECTION_SET} fragments are spread into one selection set`, { limit: 'spreads', maximum: MAX_SPREADS_PER_SELECTION_SET });
        }
      }
    };
    walk(owner);
  };
  visit(document, {
    OperationDefinition: (node) => void inspect(node.selectionSet),
    FragmentDefinition: (node) => void inspect(node.selectionSet),
    Field: (node) => (node.selectionSet ? inspect(node.selectionSet) : undefined),
    enter: () => (refusal ? BREAK : undefined),
  });
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
        const { http: _http, ...extensions } = refused.extensions;
        res.status(400).json({ errors: [{ message: refused.message, extensions }] });
        return;
      }
    }
    next();
  };
}
