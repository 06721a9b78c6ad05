/**
 * The two forms a document takes here.
 *
 * - **typed**: what bson decoded with `promoteValues: false`. Int32, Double and Long stay wrapper
 *   objects, so a document is re-encoded with exactly the types it arrived with.
 * - **view**: the same data with plain JS numbers (Decimal128 too, at double precision) and RegExp
 *   for BSONRegExp, which is what mingo understands: it compares bson wrappers by `toString()` and
 *   only within one class, so `Int32(5) < Double(7.5)` or `{n: 5}` against `Long(5)` would
 *   silently go wrong.
 *
 * Stored data is immutable: an update builds new typed and view objects, so cursors can keep
 * references to records, and nothing handed to mingo can reach the store.
 */
import { Decimal128, Double, EJSON, Int32, Long, type Document } from 'bson';

export type Doc = Document;

function bsonTypeOf(v: object): string | undefined {
  return (v as { _bsontype?: string })._bsontype;
}

function isPlainObject(v: unknown): v is Doc {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export { isPlainObject };

const JS_REGEX_FLAGS = new Set(['i', 'm', 's', 'u']);

/** typed -> view. Builds new objects and arrays; leaves immutable leaves (ObjectId, Date...) shared. */
export function toView(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toView);
  const bt = bsonTypeOf(v);
  if (bt !== undefined) {
    switch (bt) {
      case 'Int32':
      case 'Double':
        return (v as Int32).value;
      case 'Long':
        return (v as Long).toNumber();
      case 'Decimal128':
        return Number(String(v));
      case 'BSONRegExp': {
        const re = v as { pattern: string; options: string };
        try {
          return new RegExp(re.pattern, [...re.options].filter((f) => JS_REGEX_FLAGS.has(f)).join(''));
        } catch {
          return v;
        }
      }
      default:
        return v;
    }
  }
  if (!isPlainObject(v)) return v;
  const out: Doc = {};
  for (const k of Object.keys(v)) out[k] = toView(v[k]);
  return out;
}

export function toViewDoc(v: Doc): Doc {
  return toView(v) as Doc;
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

function isInt32(n: number): boolean {
  return Number.isInteger(n) && n >= INT32_MIN && n <= INT32_MAX;
}

function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (v !== null && typeof v === 'object') {
    const bt = bsonTypeOf(v);
    if (bt === 'Int32' || bt === 'Double') return (v as Int32).value;
    if (bt === 'Long') return (v as Long).toNumber();
    if (bt === 'Decimal128') return Number(String(v));
  }
  return undefined;
}

/**
 * view -> typed, taking numeric types from `hint` (the typed document the view came from).
 * An unchanged number keeps its exact wrapper; a changed one keeps its family the way mongod's
 * arithmetic does (a Double stays Double, a Long stays Long, an Int32 that overflows becomes Long).
 * Numbers without a hint are left as JS numbers: bson encodes them as Int32 when they fit.
 */
export function retype(v: unknown, hint: unknown): unknown {
  if (typeof v === 'number') {
    if (hint === null || typeof hint !== 'object') return v;
    const bt = bsonTypeOf(hint);
    if (bt === undefined) return v;
    const before = numericValue(hint);
    if (before === undefined) return v;
    if (Object.is(before, v)) return hint;
    if (bt === 'Double') return new Double(v);
    if (bt === 'Long') return Number.isInteger(v) ? Long.fromNumber(v) : new Double(v);
    if (bt === 'Int32') return isInt32(v) ? new Int32(v) : Number.isInteger(v) ? Long.fromNumber(v) : new Double(v);
    if (bt === 'Decimal128') return Decimal128.fromString(String(v));
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    const h = Array.isArray(hint) ? hint : undefined;
    return v.map((item, i) => retype(item, h?.[i]));
  }
  if (v instanceof RegExp) return v;
  if (!isPlainObject(v)) return v;
  const h = isPlainObject(hint) ? hint : undefined;
  const out: Doc = {};
  for (const k of Object.keys(v)) {
    const value = v[k];
    if (value === undefined) continue;
    out[k] = retype(value, h?.[k]);
  }
  return out;
}

/** `doc` with the fields that `model` also has in `model`'s order, then the others. */
export function orderLike(doc: Doc, model: Doc): Doc {
  const out: Doc = {};
  for (const key of Object.keys(model)) if (key in doc) out[key] = doc[key];
  for (const key of Object.keys(doc)) if (!(key in out)) out[key] = doc[key];
  return out;
}

/** mongod emits `_id` first from every stage that keeps it; mingo appends it last. */
export function idFirst(doc: Doc): Doc {
  const keys = Object.keys(doc);
  if (keys[0] === '_id' || !keys.includes('_id')) return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Copies plain objects and arrays, sharing leaves. Enough to own a typed tree before editing it. */
export function copyTree<T>(v: T): T {
  if (Array.isArray(v)) return v.map(copyTree) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const k of Object.keys(v)) out[k] = copyTree(v[k]);
    return out as T;
  }
  return v;
}

/**
 * Canonical string for a view value, used as hash-map key by the _id map and the indexes.
 * Values mongod considers equal map to the same string: numbers of any width, -0 and 0.
 * Field order inside embedded documents matters, as it does for mongod.
 */
export function keyOf(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return `s${v}`;
    case 'number':
      return `n${v === 0 ? 0 : v}`;
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'undefined':
      return 'N';
    case 'bigint':
      return `n${v}`;
    default:
      break;
  }
  if (v === null) return 'N';
  if (v instanceof Date) return `d${v.getTime()}`;
  if (Array.isArray(v)) return `a${JSON.stringify(v.map(keyOf))}`;
  if (v instanceof RegExp) return `r${v.source}/${v.flags}`;
  const bt = bsonTypeOf(v as object);
  if (bt === 'ObjectId') return `o${(v as { toHexString(): string }).toHexString()}`;
  if (bt === 'Int32' || bt === 'Double' || bt === 'Long' || bt === 'Decimal128') return keyOf(numericValue(v));
  if (bt === 'Binary') {
    const b = v as { sub_type: number; toString(enc: 'base64'): string };
    return `x${b.sub_type}:${b.toString('base64')}`;
  }
  if (bt !== undefined) return `${bt}:${EJSON.stringify(v as Doc, { relaxed: false })}`;
  const obj = v as Doc;
  const parts: string[] = [];
  for (const k of Object.keys(obj)) parts.push(k, keyOf(obj[k]));
  return `{${JSON.stringify(parts)}`;
}

/** A value the way mongod prints it in error messages: `"x"`, `ObjectId('...')`, `new Date(1)`. */
export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (Array.isArray(v)) return `[ ${v.map(formatValue).join(', ')} ]`;
  const bt = bsonTypeOf(v as object);
  if (bt === 'ObjectId') return `ObjectId('${(v as { toHexString(): string }).toHexString()}')`;
  if (bt === 'Int32' || bt === 'Double') return String((v as Int32).value);
  if (bt === 'Long') return String(v);
  if (bt === 'Decimal128') return `Decimal128("${String(v)}")`;
  if (bt !== undefined) return EJSON.stringify(v as Doc);
  return formatDocument(v as Doc);
}

export function formatDocument(doc: Doc): string {
  const keys = Object.keys(doc);
  if (!keys.length) return '{}';
  return `{ ${keys.map((k) => `${k}: ${formatValue(doc[k])}`).join(', ')} }`;
}

/**
 * Values at a dotted path, descending through arrays the way index keys and `distinct` do:
 * a terminal array contributes its elements. `missing` is reported separately from null.
 */
export function valuesAtPath(doc: unknown, path: string): { values: unknown[]; missing: boolean } {
  const values: unknown[] = [];
  collect(doc, path.split('.'), 0, values);
  return { values, missing: values.length === 0 };
}

function collect(value: unknown, parts: string[], i: number, out: unknown[]): void {
  if (i === parts.length) {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      else for (const item of value) out.push(item);
    } else {
      out.push(value);
    }
    return;
  }
  if (Array.isArray(value)) {
    const part = parts[i];
    if (/^\d+$/.test(part)) collect(value[Number(part)], parts, i + 1, out);
    for (const item of value) if (isPlainObject(item)) collect(item, parts, i, out);
    return;
  }
  if (isPlainObject(value)) collect(value[parts[i]], parts, i + 1, out);
}

/** The value at a dotted path through plain objects only (no array fan-out); undefined if absent. */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** Sets a dotted path, creating plain objects on the way (mutates `doc`, which the caller owns). */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const next = cur[parts[i]];
    if (next !== null && typeof next === 'object' && (isPlainObject(next) || Array.isArray(next))) {
      cur = next as Doc;
    } else {
      const created: Doc = {};
      cur[parts[i]] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1]] = value;
}

export function isNumberLike(v: unknown): boolean {
  return numericValue(v) !== undefined;
}

export function toNumber(v: unknown, fallback?: number): number | undefined {
  const n = numericValue(v);
  return n === undefined ? fallback : n;
}

export function bsonType(v: unknown): string | undefined {
  return v !== null && typeof v === 'object' ? bsonTypeOf(v) : undefined;
}

/** The scalar types ordered with plain comparisons (sorting, and `_id` order on insert). */
export type ScalarKind = 'number' | 'string' | 'date' | 'objectId';

/** Which of those `v` is; undefined for anything mingo's general ordering must compare (NaN, arrays, documents...). */
export function scalarKind(v: unknown): ScalarKind | undefined {
  if (typeof v === 'number') return Number.isNaN(v) ? undefined : 'number';
  if (typeof v === 'string') return 'string';
  if (v instanceof Date) return 'date';
  return bsonType(v) === 'ObjectId' ? 'objectId' : undefined;
}

/** `v` as a number or string that compares, within its kind, as MongoDB orders it. */
export function scalarValue(v: unknown, kind: ScalarKind): number | string {
  if (kind === 'date') return (v as Date).getTime();
  if (kind === 'objectId') return (v as { toHexString(): string }).toHexString();
  return v as number | string;
}
