/**
 * Applying one update specification (operators, replacement or pipeline) to one document.
 *
 * Works on a fresh view copy, never on stored objects: mingo's updater mutates in place, and a
 * unique-index violation discovered afterwards must leave the stored document untouched.
 * The result is re-typed from the old document (see values.retype) with the typed values named in
 * $set-like operators laid over it, so `$set: {x: Double(1)}` stores a Double.
 */
import { Aggregator, update as mingoUpdate } from 'mingo';
import { ObjectId } from 'bson';
import { ErrorCode, MongoServerError, fail, unsupported } from './errors';
import { checkExpression, checkFilter } from './limits';
import { mingoOptions } from './query';
import { bsonType, copyTree, formatValue, getPath, isNumberLike, isPlainObject, keyOf, retype, setPath, toView, toViewDoc, type Doc } from './values';

const UPDATE_OPERATORS = new Set([
  '$set',
  '$unset',
  '$inc',
  '$mul',
  '$min',
  '$max',
  '$push',
  '$addToSet',
  '$pop',
  '$pull',
  '$pullAll',
  '$rename',
  '$currentDate',
  '$bit',
  '$setOnInsert',
]);

const PIPELINE_UPDATE_STAGES = new Set(['$addFields', '$set', '$project', '$unset', '$replaceRoot', '$replaceWith']);

export type UpdateKind = 'operators' | 'replacement' | 'pipeline';

export function updateKind(u: unknown): UpdateKind {
  if (Array.isArray(u)) return 'pipeline';
  if (!isPlainObject(u)) fail(ErrorCode.FailedToParse, 'Update argument must be either an object or an array');
  const keys = Object.keys(u);
  if (keys.length && keys[0].startsWith('$')) return 'operators';
  for (const key of keys) {
    if (key.startsWith('$')) fail(ErrorCode.BadValue, `The dollar ($) prefixed field '${key}' in '${key}' is not allowed in the context of an update's replacement document.`);
  }
  return 'replacement';
}

export interface UpdateContext {
  readonly arrayFilters?: Doc[];
  /** The update's query in view form: the positional `$` operator needs it. */
  readonly condition?: Doc;
  readonly variables?: Doc;
  /** True when this update builds an upserted document ($setOnInsert applies). */
  readonly inserting: boolean;
}

export interface UpdateResult {
  readonly typed: Doc;
  readonly changed: boolean;
}

function conflicts(paths: string[]): void {
  const sorted = [...paths].sort();
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1];
    const b = sorted[i];
    if (a === b || b.startsWith(`${a}.`)) {
      fail(ErrorCode.ConflictingUpdateOperators, `Updating the path '${b}' would create a conflict at '${a}'`);
    }
  }
}

function idOf(doc: Doc): string {
  return keyOf(toView(doc._id));
}

function checkArithmetic(op: '$inc' | '$mul', spec: Doc, base: Doc): void {
  const verb = op === '$inc' ? 'increment' : 'multiply';
  for (const [path, operand] of Object.entries(spec)) {
    if (!isNumberLike(operand)) {
      fail(ErrorCode.TypeMismatch, `Cannot ${verb} with non-numeric argument: {${path}: ${JSON.stringify(toView(operand))}}`);
    }
    if (path.includes('$')) continue;
    const current = getPath(base, path);
    if (current !== undefined && !isNumberLike(current)) {
      const type = current === null ? 'null' : Array.isArray(current) ? 'array' : (bsonType(current) ?? typeof current);
      fail(
        ErrorCode.TypeMismatch,
        `Cannot apply ${op} to a value of non-numeric type. {_id: ${formatValue(base._id)}} has the field '${path.split('.').pop()}' of non-numeric type ${type}`,
      );
    }
  }
}

/** Applies an operator update (`{$set: ..., $inc: ...}`) to a copy of `base`. */
function applyOperators(base: Doc, u: Doc, ctx: UpdateContext): UpdateResult {
  const modifier: Doc = {};
  const paths: string[] = [];
  for (const [op, spec] of Object.entries(u)) {
    if (!UPDATE_OPERATORS.has(op)) {
      fail(ErrorCode.FailedToParse, `Unknown modifier: ${op}. Expected a valid update modifier or pipeline-style update specified as an array`);
    }
    if (!isPlainObject(spec))
      fail(ErrorCode.FailedToParse, `Modifiers operate on fields but we found type ${typeof spec} instead. For example: {$mod: {<field>: ...}} not {${op}: ${String(spec)}}`);
    if (op === '$setOnInsert') {
      if (!ctx.inserting) {
        paths.push(...Object.keys(spec));
        continue;
      }
      modifier.$set = { ...(modifier.$set as Doc | undefined), ...spec };
    } else if (op === '$set') {
      modifier.$set = { ...(modifier.$set as Doc | undefined), ...spec };
    } else {
      modifier[op] = spec;
    }
    if (op === '$rename') paths.push(...Object.values(spec).map(String));
    paths.push(...Object.keys(spec));
  }
  conflicts(paths.map((p) => p.replace(/\.\$(\[[^\]]*\])?/g, '')));
  // An upsert may name the new document's _id in $set or $setOnInsert (mingo's updater never lets
  // _id change, so it is set here); one that differs from the query's _id is still refused below.
  if (ctx.inserting && isPlainObject(modifier.$set) && '_id' in modifier.$set && base._id === undefined) {
    const { _id, ...others } = modifier.$set as Doc;
    if (Object.keys(others).length) modifier.$set = others;
    else delete modifier.$set;
    return applyOperatorsWithId(base, modifier, _id, ctx);
  }
  if (Object.keys(modifier).length === 0) return { typed: base, changed: false };
  if (modifier.$inc) checkArithmetic('$inc', modifier.$inc as Doc, base);
  if (modifier.$mul) checkArithmetic('$mul', modifier.$mul as Doc, base);
  if (modifier.$currentDate) {
    for (const spec of Object.values(modifier.$currentDate as Doc)) {
      if (isPlainObject(spec) && spec.$type === 'timestamp') unsupported("$currentDate with {$type: 'timestamp'}");
    }
  }
  if (modifier.$pull) checkFilter(modifier.$pull);

  const work = toViewDoc(base);
  // mingo skips $sort/$slice/$position when $push creates the array; mongod applies them.
  if (modifier.$push) {
    for (const [path, spec] of Object.entries(modifier.$push as Doc)) {
      if (isPlainObject(spec) && '$each' in spec && !path.includes('$') && getPath(work, path) === undefined) {
        setPath(work, path, []);
      }
    }
  }
  const viewModifier = toViewDoc(modifier);
  const arrayFilters = ctx.arrayFilters?.map((f) => toViewDoc(f));
  let changedPaths: string[];
  try {
    // mingo skips the update when the document does not match `condition`, so pass it only
    // where the positional `$` needs it (never for an upsert seed, which need not match).
    const positional = paths.some((p) => /\.\$(\.|$)/.test(p));
    const condition = positional && !ctx.inserting ? ctx.condition : undefined;
    changedPaths = mingoUpdate(work, viewModifier as never, arrayFilters, condition as never, {
      queryOptions: mingoOptions(ctx.variables),
    });
  } catch (err) {
    if (err instanceof MongoServerError) throw err;
    const message = (err as Error).message;
    fail(/immutable field '_id'/.test(message) ? ErrorCode.ImmutableField : ErrorCode.BadValue, message);
  }

  const hint = copyTree(base);
  const overlay = (spec: Doc | undefined, onlyWrappers: boolean) => {
    for (const [path, value] of Object.entries(spec ?? {})) {
      if (path.includes('$')) continue;
      if (onlyWrappers && !['Double', 'Long', 'Decimal128'].includes(bsonType(value) ?? '')) continue;
      setPath(hint, path, value);
    }
  };
  overlay(modifier.$set as Doc | undefined, false);
  // $min/$max take the operand's type only where the operand won.
  for (const op of ['$min', '$max'] as const) {
    const won = Object.entries((modifier[op] as Doc | undefined) ?? {}).filter(([path, value]) => !path.includes('$') && keyOf(getPath(work, path)) === keyOf(toView(value)));
    overlay(Object.fromEntries(won), false);
  }
  overlay(modifier.$inc as Doc | undefined, true);
  overlay(modifier.$mul as Doc | undefined, true);
  for (const [from, to] of Object.entries((modifier.$rename as Doc | undefined) ?? {})) {
    setPath(hint, String(to), getPath(base, from));
  }
  const typed = retype(work, hint) as Doc;
  if (base._id !== undefined && idOf(typed) !== idOf(base)) {
    fail(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return { typed, changed: changedPaths.length > 0 || ctx.inserting };
}

/** The rest of an upsert's operators applied to a seed that then takes `_id`. */
function applyOperatorsWithId(base: Doc, modifier: Doc, id: unknown, ctx: UpdateContext): UpdateResult {
  const rest = Object.keys(modifier).length ? applyOperators(base, modifier, ctx).typed : base;
  const { _id: _none, ...fields } = rest;
  return { typed: { _id: id, ...fields }, changed: true };
}

function applyReplacement(base: Doc, replacement: Doc): UpdateResult {
  if (base._id !== undefined && replacement._id !== undefined && keyOf(toView(replacement._id)) !== idOf(base)) {
    fail(ErrorCode.ImmutableField, `After applying the update, the (immutable) field '_id' was found to have been altered to _id: ${formatValue(replacement._id)}`);
  }
  const { _id: _ignored, ...rest } = replacement;
  const typed = base._id !== undefined ? { _id: base._id, ...rest } : replacement;
  return { typed, changed: !sameDocument(base, typed) };
}

function applyPipeline(base: Doc, pipeline: Doc[], ctx: UpdateContext): UpdateResult {
  for (const stage of pipeline) {
    const name = isPlainObject(stage) ? Object.keys(stage)[0] : undefined;
    if (!name || !PIPELINE_UPDATE_STAGES.has(name)) {
      fail(ErrorCode.BadValue, `${name ?? 'stage'} is not allowed to be used within an update`);
    }
    checkExpression(stage);
  }
  let result: Doc;
  try {
    [result] = new Aggregator(
      pipeline.map((s) => toViewDoc(s)),
      mingoOptions(ctx.variables),
    ).run([toViewDoc(base)]);
  } catch (err) {
    fail(ErrorCode.BadValue, (err as Error).message);
  }
  let typed = retype(result, base) as Doc;
  if (base._id !== undefined) {
    if (typed._id === undefined) typed = { _id: base._id, ...typed };
    else if (idOf(typed) !== idOf(base)) fail(ErrorCode.ImmutableField, "Performing an update on the path '_id' would modify the immutable field '_id'");
  }
  return { typed, changed: ctx.inserting || !sameDocument(base, typed) };
}

function sameDocument(a: Doc, b: Doc): boolean {
  return keyOf(toView(a)) === keyOf(toView(b)) && typesOf(a) === typesOf(b);
}

function typesOf(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(typesOf).join(',')}]`;
  if (isPlainObject(v)) return `{${Object.values(v).map(typesOf).join(',')}}`;
  return bsonType(v) ?? typeof v;
}

/** Applies `u` (any kind) to `base`, which is a stored document or an upsert seed. */
export function applyUpdate(base: Doc, u: unknown, ctx: UpdateContext): UpdateResult {
  const kind = updateKind(u);
  if (kind === 'operators') return applyOperators(base, u as Doc, ctx);
  if (kind === 'pipeline') return applyPipeline(base, u as Doc[], ctx);
  return applyReplacement(base, u as Doc);
}

/**
 * The document an upsert inserts: the query's equality fields (as mongod seeds them), then the
 * update applied with $setOnInsert, and an ObjectId `_id` first if still missing.
 */
export function buildUpsert(filter: Doc, u: unknown, ctx: Omit<UpdateContext, 'inserting'>): Doc {
  const kind = updateKind(u);
  let doc: Doc;
  if (kind === 'replacement') {
    const replacement = u as Doc;
    const seedId = seed(filter)._id;
    doc = replacement._id === undefined && seedId !== undefined ? { _id: seedId, ...replacement } : replacement;
  } else {
    doc = applyUpdate(seed(filter), u, { ...ctx, inserting: true }).typed;
  }
  if (doc._id === undefined) doc = { _id: new ObjectId(), ...doc };
  else if (Object.keys(doc)[0] !== '_id') {
    const { _id, ...rest } = doc;
    doc = { _id, ...rest };
  }
  return doc;
}

function seed(filter: Doc): Doc {
  const out: Doc = {};
  const visit = (f: Doc) => {
    for (const [field, cond] of Object.entries(f)) {
      if (field === '$and' && Array.isArray(cond)) {
        for (const part of cond) if (isPlainObject(part)) visit(part);
        continue;
      }
      if (field.startsWith('$')) continue;
      if (isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'))) {
        if ('$eq' in cond) setPath(out, field, copyTree(cond.$eq));
        continue;
      }
      if (cond instanceof RegExp || bsonType(cond) === 'BSONRegExp') continue;
      setPath(out, field, copyTree(cond));
    }
  };
  visit(filter);
  return out;
}
