/**
 * Reading: choose candidate records through the hash indexes, filter them with mingo, sort,
 * skip, limit, and project. Every read command (find, count, distinct, the leading stages of
 * aggregate, and the matching step of update, delete and findAndModify) goes through `select`.
 */
import { Aggregator, Query } from 'mingo';
import { ErrorCode, fail, unsupported } from './errors';
import { CollationRanks, parseCollation } from './collation';
import { checkSchema, schemaFailures } from './schema';
import { checkExpression, checkFilter } from './limits';
import type { Collection, DocRecord, Index } from './store';
import { bsonType, getPath, isPlainObject, keyOf, orderLike, retype, scalarKind, scalarValue, toView, toViewDoc, type Doc, type ScalarKind } from './values';

/**
 * `$jsonSchema` in a query, for mingo: the schema is checked against the typed document of the
 * record `select` is testing, since a view has lost int/long/double apart. A view that is not a stored
 * document's (a pipeline stage's output) is refused rather than guessed at.
 */
function jsonSchemaValidator(schema: Doc): (view: Doc) => boolean {
  checkSchema(schema);
  return (view) => {
    if (testing?.view !== view) unsupported('$jsonSchema on documents other than the stored ones (after other pipeline stages)');
    return schemaFailures(schema, testing.typed).length === 0;
  };
}

/** The record `select` is testing, for $jsonSchema (commands are synchronous: one at a time). */
let testing: { readonly typed: Doc; readonly view: Doc } | undefined;

function testRecord(query: Query, record: { readonly typed: Doc; readonly view: Doc }, withSchema: boolean): boolean {
  if (!withSchema) return query.test(record.view);
  testing = record;
  try {
    return query.test(record.view);
  } finally {
    testing = undefined;
  }
}

/** Whether a (view) filter has a $jsonSchema where mingo evaluates it on whole documents. */
function hasSchema(filter: unknown): boolean {
  if (Array.isArray(filter)) return filter.some(hasSchema);
  if (!isPlainObject(filter)) return false;
  return '$jsonSchema' in filter || ['$and', '$or', '$nor'].some((op) => hasSchema(filter[op]));
}

/** mingo options shared by every evaluation: no server-side JavaScript. */
export function mingoOptions(variables?: Doc): { scriptEnabled: false; variables?: Doc; jsonSchemaValidator: typeof jsonSchemaValidator } {
  return variables ? { scriptEnabled: false, variables, jsonSchemaValidator } : { scriptEnabled: false, jsonSchemaValidator };
}

/**
 * `let` (and an update statement's `c`): each variable is an aggregation expression ($literal,
 * $add, $$NOW...), evaluated once against an empty document, as mongod does before running the
 * command. Returns the values in view form. `outer`: variables the expressions may use (`$documents`).
 */
export function evaluateVariables(variables: Doc | undefined, outer?: Doc): Doc | undefined {
  if (!variables || Object.keys(variables).length === 0) return undefined;
  checkExpression(variables);
  try {
    return new Aggregator([{ $replaceWith: toViewDoc(variables) }], mingoOptions(outer)).run([{}])[0];
  } catch (err) {
    fail(ErrorCode.BadValue, (err as Error).message);
  }
}

export interface SelectOptions {
  readonly sort?: Doc;
  readonly skip?: number;
  /** 0 or absent: no limit. */
  readonly limit?: number;
  /** Absent: the collection's default collation (create's `collation`), if any. */
  readonly collation?: unknown;
  /** `let` variables for $expr, evaluated (see evaluateVariables). */
  readonly variables?: Doc;
  /** An index name or key pattern: checked to exist, as mongod does (see checkHint). */
  readonly hint?: unknown;
}

/**
 * A hint must name an existing index (mongod: 2 BadValue otherwise). Answering from any index
 * gives the same documents here, except from a sparse or partial one, which would leave out the
 * documents it does not hold: those hints are refused rather than answered differently.
 */
function checkHint(coll: Collection, hint: unknown): void {
  if (hint === undefined || hint === null) return;
  let index: Index | undefined;
  if (typeof hint === 'string') {
    if (hint === '_id_') return;
    index = coll.indexes.find((i) => i.name === hint);
  } else if (isPlainObject(hint)) {
    if (Object.keys(hint).length === 0) return;
    if ('$natural' in hint) {
      if (toView(hint.$natural) === -1) unsupported('hint {$natural: -1}');
      return;
    }
    const key = keyOf(toView(hint));
    if (key === keyOf({ _id: 1 })) return;
    index = coll.indexes.find((i) => keyOf(toView(i.keyPattern)) === key);
  } else {
    fail(ErrorCode.FailedToParse, 'hint must be either a string or nested object');
  }
  if (!index || index.spec.hidden === true)
    fail(ErrorCode.BadValue, 'error processing query: planner returned error :: caused by :: hint provided does not correspond to an existing index');
  if (!index.usableForEquality || index.sparse) unsupported(`hint '${index.name}' (a sparse, partial, text, geospatial or hashed index)`);
}

/** Values an equality index lookup can serve: those whose mingo equality is plain value equality. */
function isLookupScalar(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return !Number.isNaN(v);
    default:
      break;
  }
  if (v instanceof Date) return true;
  const bt = bsonType(v);
  return bt === 'ObjectId';
}

/** Top-level equalities of a (view) filter: field -> alternative values (from `$in`). */
function equalities(filter: Doc, out: Map<string, unknown[]>): void {
  for (const [field, cond] of Object.entries(filter)) {
    if (field === '$and' && Array.isArray(cond)) {
      for (const part of cond) if (isPlainObject(part)) equalities(part, out);
      continue;
    }
    if (field.startsWith('$') || out.has(field)) continue;
    if (isLookupScalar(cond)) {
      out.set(field, [cond]);
    } else if (isPlainObject(cond)) {
      const ops = Object.keys(cond);
      if (!ops.length || !ops.every((op) => op.startsWith('$'))) continue;
      if ('$eq' in cond && isLookupScalar(cond.$eq)) out.set(field, [cond.$eq]);
      else if (Array.isArray(cond.$in) && cond.$in.length > 0 && cond.$in.every(isLookupScalar)) out.set(field, cond.$in);
    }
  }
}

const MAX_LOOKUP_COMBINATIONS = 256;

function combinations(lists: unknown[][]): unknown[][] | undefined {
  let out: unknown[][] = [[]];
  for (const list of lists) {
    if (out.length * list.length > MAX_LOOKUP_COMBINATIONS) return undefined;
    out = out.flatMap((prefix) => list.map((v) => [...prefix, v]));
  }
  return out;
}

/** A candidate set larger than this share of the collection is streamed rather than sorted (see `candidates`). */
const STREAM_SHARE = 1 / 8;

/**
 * Records that may match: the smallest set any hash lookup gives (`_id`, or the leading fields of
 * an index all matched by equality), in natural order; otherwise every record.
 * Always a superset of what mingo will accept.
 *
 * Index hits are compared by size before anything is copied (an index on `{accountId}` alone can
 * hold the whole collection). With `streaming`, for callers that may stop after the first few
 * matches, a large winning set is not materialised and sorted: the collection is walked in natural
 * order, keeping the records the set holds.
 */
export function candidates(coll: Collection, filter: Doc, streaming = false): Iterable<DocRecord> {
  const eq = new Map<string, unknown[]>();
  equalities(filter, eq);
  if (eq.size === 0) return coll.docs.values();
  let byId: DocRecord[] | undefined;
  let bestSets: ReadonlySet<string>[] | undefined;
  let bestSize = Infinity;
  const ids = eq.get('_id');
  if (ids) {
    const found: DocRecord[] = [];
    const seen = new Set<string>();
    for (const id of ids) {
      const record = coll.docs.get(keyOf(id));
      if (record && !seen.has(record.key)) {
        seen.add(record.key);
        found.push(record);
      }
    }
    byId = found;
    bestSize = found.length;
  }
  for (const index of coll.indexes) {
    if (bestSize <= 1) break;
    if (!index.usableForEquality) continue;
    const lists: unknown[][] = [];
    for (const field of index.fields) {
      const values = eq.get(field);
      if (!values) break;
      lists.push(values);
    }
    if (!lists.length) continue;
    const combos = combinations(lists);
    if (!combos) continue;
    const sets: ReadonlySet<string>[] = [];
    // An upper bound when several combinations hit the same record (multikey): good enough to choose.
    let size = 0;
    for (const combo of combos) {
      const hit = index.lookup(combo);
      if (hit) {
        sets.push(hit);
        size += hit.size;
      }
    }
    if (size < bestSize) {
      byId = undefined;
      bestSets = sets;
      bestSize = size;
    }
  }
  if (byId) {
    if (byId.length > 1) byId.sort((a, b) => a.seq - b.seq);
    return byId;
  }
  if (bestSets === undefined) return coll.docs.values();
  const sets = bestSets;
  if (sets.length === 0) return [];
  if (streaming && bestSize > coll.docs.size * STREAM_SHARE) {
    return (function* inNaturalOrder() {
      for (const record of coll.docs.values()) {
        if (sets.some((set) => set.has(record.key))) yield record;
      }
    })();
  }
  const keys = sets.length === 1 ? sets[0] : new Set(sets.flatMap((set) => [...set]));
  const records: DocRecord[] = [];
  for (const key of keys) {
    const record = coll.docs.get(key);
    if (record) records.push(record);
  }
  if (records.length > 1) records.sort((a, b) => a.seq - b.seq);
  return records;
}

/** `{field: 1|-1}` in view form, validated as mongod does. */
export function normalizeSort(sort: unknown): Doc | undefined {
  if (sort === undefined || sort === null) return undefined;
  if (!isPlainObject(sort)) fail(ErrorCode.TypeMismatch, 'Expected field sort to be of type object');
  const out: Doc = {};
  for (const [field, direction] of Object.entries(sort)) {
    if (isPlainObject(direction) && '$meta' in direction) unsupported(`sort by {$meta: ${JSON.stringify(direction.$meta)}}`);
    const d = toView(direction);
    if (d !== 1 && d !== -1) fail(15975, '$sort key ordering must be 1 (for ascending) or -1 (for descending)');
    out[field] = d;
  }
  return Object.keys(out).length ? out : undefined;
}

/**
 * Sorting on fields that hold one scalar type throughout (numbers, strings, dates or ObjectIds)
 * with plain comparisons; undefined when mingo's general ordering (arrays, missing values,
 * mixed types) is needed. Paginated lists sort thousands of records per request.
 */
function fastSort(records: DocRecord[], sort: Doc): DocRecord[] | undefined {
  const fields = Object.keys(sort);
  const keyed = records.map((record) => ({ record, keys: new Array<number | string>(fields.length) }));
  for (let f = 0; f < fields.length; f++) {
    let kind: ScalarKind | undefined;
    for (const item of keyed) {
      const value = getPath(item.record.view, fields[f]);
      const k = scalarKind(value);
      if (k === undefined || (kind !== undefined && k !== kind)) return undefined;
      kind = k;
      item.keys[f] = scalarValue(value, k);
    }
  }
  const directions = fields.map((f) => sort[f] as number);
  keyed.sort((a, b) => {
    for (let f = 0; f < directions.length; f++) {
      if (a.keys[f] < b.keys[f]) return -directions[f];
      if (a.keys[f] > b.keys[f]) return directions[f];
    }
    return a.record.seq - b.record.seq;
  });
  return keyed.map((item) => item.record);
}

export function sortRecords(records: DocRecord[], sort: Doc): DocRecord[] {
  if (records.length < 2) return records;
  const fast = fastSort(records, sort);
  if (fast) return fast;
  const byView = new Map<Doc, DocRecord>();
  for (const record of records) byView.set(record.view, record);
  const sorted = new Aggregator([{ $sort: sort }], mingoOptions()).run(records.map((r) => r.view));
  return sorted.map((view) => byView.get(view)!);
}

function isAscendingIdSort(sort: Doc): boolean {
  const fields = Object.keys(sort);
  return fields.length === 1 && fields[0] === '_id' && sort._id === 1;
}

/** The matching records of `coll` in result order. `filter` is typed (as received). */
export function select(coll: Collection | undefined, filter: unknown, options: SelectOptions = {}): DocRecord[] {
  if (filter !== undefined && filter !== null && !isPlainObject(filter)) {
    fail(ErrorCode.TypeMismatch, "BSON field 'filter' is the wrong type, expected type 'object'");
  }
  checkFilter(filter);
  const collator = parseCollation(options.collation ?? coll?.options.collation);
  const sort = normalizeSort(options.sort);
  const view = toViewDoc((filter ?? {}) as Doc);
  delete view.$comment; // accepted by mongod in any filter, unknown to mingo
  if (collator) return selectCollated(coll, view, collator, sort, options);
  // Compiled even for a missing collection: a bad operator is an error either way, as in mongod.
  const query = Object.keys(view).length ? new Query(view, mingoOptions(options.variables)) : undefined;
  if (!coll) return [];
  checkHint(coll, options.hint);
  const skip = options.skip ?? 0;
  const limit = options.limit ?? 0;
  // Candidates come in natural order, which for most collections (sequential or ObjectId ids) is
  // also `_id` order: then a page sorted by `_id` is its first matches, as without a sort.
  const inOrder = !sort || (isAscendingIdSort(sort) && coll.naturalOrderIsIdOrder);
  const stopAt = inOrder && limit > 0 ? skip + limit : Infinity;
  let matched: DocRecord[] = [];
  const withSchema = hasSchema(view);
  for (const record of candidates(coll, view, stopAt !== Infinity)) {
    if (query && !testRecord(query, record, withSchema)) continue;
    matched.push(record);
    if (matched.length >= stopAt) break;
  }
  if (sort && !inOrder) matched = sortRecords(matched, sort);
  if (skip || limit) matched = matched.slice(skip, limit > 0 ? skip + limit : undefined);
  return matched;
}

/**
 * `select` under a non-simple collation: every record is a candidate (the hash indexes hold binary
 * keys), and matching and sorting run on the documents with their strings ranked (collation.ts).
 */
function selectCollated(coll: Collection | undefined, view: Doc, collator: Intl.Collator, sort: Doc | undefined, options: SelectOptions): DocRecord[] {
  const records = coll ? [...coll.docs.values()] : [];
  const ranks = CollationRanks.of(
    collator,
    records.map((r) => r.view),
    view,
  );
  const query = Object.keys(view).length ? new Query(ranks.filter(view), mingoOptions(options.variables)) : undefined;
  if (!coll) return [];
  checkHint(coll, options.hint);
  const withSchema = hasSchema(view);
  let matched = records.map((record) => ({ ...record, view: ranks.value(record.view) })).filter((ranked) => !query || testRecord(query, ranked, withSchema));
  if (sort) matched = sortRecords(matched, sort);
  const skip = options.skip ?? 0;
  const limit = options.limit ?? 0;
  if (skip || limit) matched = matched.slice(skip, limit > 0 ? skip + limit : undefined);
  return matched.map((ranked) => coll.docs.get(ranked.key)!);
}

// --- projection ------------------------------------------------------------------------------------

type PathTree = { [field: string]: PathTree | true };

function pathTree(paths: string[]): PathTree {
  const tree: PathTree = {};
  for (const path of paths) {
    const parts = path.split('.');
    let node = tree;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (i === parts.length - 1) {
        node[part] = true;
      } else {
        const next = node[part];
        if (next === true) break;
        node = next ?? (node[part] = {});
      }
    }
  }
  return tree;
}

function include(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) {
    return value.filter((item) => isPlainObject(item) || Array.isArray(item)).map((item) => include(item, tree));
  }
  if (!isPlainObject(value)) return undefined;
  const out: Doc = {};
  for (const [field, v] of Object.entries(value)) {
    const node = tree[field];
    if (node === undefined) continue;
    if (node === true) out[field] = v;
    else if (isPlainObject(v) || Array.isArray(v)) out[field] = include(v, node);
  }
  return out;
}

function exclude(value: unknown, tree: PathTree): unknown {
  if (Array.isArray(value)) return value.map((item) => (isPlainObject(item) || Array.isArray(item) ? exclude(item, tree) : item));
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [field, v] of Object.entries(value)) {
    const node = tree[field];
    if (node === true) continue;
    out[field] = node === undefined ? v : exclude(v, node);
  }
  return out;
}

export type Projector = (record: { typed: Doc; view: Doc }) => Doc;

const IDENTITY: Projector = (record) => record.typed;

/**
 * Compiles a find-style projection. Plain inclusion/exclusion runs on the typed document
 * directly; anything richer ($slice, $elemMatch, expressions) runs through mingo on the view and is
 * re-typed from the stored document.
 */
export function compileProjection(projection: unknown): Projector {
  if (projection === undefined || projection === null) return IDENTITY;
  if (!isPlainObject(projection)) fail(ErrorCode.TypeMismatch, 'Expected field projection to be of type object');
  const fields = Object.keys(projection);
  if (!fields.length) return IDENTITY;
  for (const field of fields) {
    if (field.endsWith('.$') || field === '$') unsupported(`positional projection '${field}'`);
  }
  const flags = fields.map((f) => {
    const v = projection[f];
    return typeof v === 'boolean' ? v : typeof toView(v) === 'number' ? toView(v) !== 0 : undefined;
  });
  if (flags.some((f) => f === undefined)) {
    const viewProjection = toViewDoc(projection);
    return (record) => {
      const [projected] = new Query({}, mingoOptions()).find([record.view], viewProjection).all();
      return orderLike(retype(projected, record.typed) as Doc, record.typed);
    };
  }
  const idFlag = fields.includes('_id') ? flags[fields.indexOf('_id')] : undefined;
  const others = fields.filter((f) => f !== '_id');
  const inclusive = others.length ? flags[fields.indexOf(others[0])] === true : idFlag === true;
  for (const field of others) {
    if (flags[fields.indexOf(field)] !== inclusive) {
      fail(31254, `Cannot do ${inclusive ? 'exclusion' : 'inclusion'} on field ${field} in ${inclusive ? 'inclusion' : 'exclusion'} projection`);
    }
  }
  if (inclusive) {
    const tree = pathTree(idFlag === false ? others : ['_id', ...others]);
    return (record) => include(record.typed, tree) as Doc;
  }
  const tree = pathTree(idFlag === false ? [...others, '_id'] : others);
  return (record) => exclude(record.typed, tree) as Doc;
}
