/**
 * Collations (locale-aware matching and sorting of strings) on the platform's `Intl.Collator`.
 *
 * mingo compares strings by code unit. Under a collation, every string a query touches (in the
 * candidate documents and in the filter) is replaced by its rank among all of them in collation
 * order, equal strings sharing a rank: plain comparisons of the ranks are then the collation's
 * comparisons, for equality, ranges, `$in` and sorting alike. Regular expressions, `$expr` and
 * aggregation stages that compare strings are refused under a collation (mongod applies it there too).
 */
import { ErrorCode, fail, unsupported } from './errors';
import { isPlainObject, keyOf, toNumber, type Doc } from './values';

const COLLATION_FIELDS = new Set(['locale', 'caseLevel', 'caseFirst', 'strength', 'numericOrdering', 'alternate', 'maxVariable', 'normalization', 'backwards', 'version']);
const SENSITIVITY: Record<number, Intl.CollatorOptions['sensitivity']> = { 1: 'base', 2: 'accent', 3: 'variant' };

/**
 * The collator for a `collation` document; undefined for none or `{locale: 'simple'}` (binary).
 * Supported: any locale the platform has (`en`, `en_US`, `de`, `fr`, ...), strength 1-3,
 * caseFirst, numericOrdering, caseLevel with strength 1. The rest is refused with 115.
 */
export function parseCollation(spec: unknown): Intl.Collator | undefined {
  if (spec === undefined || spec === null) return undefined;
  if (!isPlainObject(spec)) fail(ErrorCode.TypeMismatch, "BSON field 'collation' is the wrong type, expected type 'object'");
  for (const field of Object.keys(spec)) {
    if (!COLLATION_FIELDS.has(field)) fail(ErrorCode.UnknownField, `BSON field 'collation.${field}' is an unknown field.`);
  }
  const locale = spec.locale;
  if (typeof locale !== 'string') fail(ErrorCode.MissingRequiredField, "BSON field 'collation.locale' is missing but a required field");
  if (locale === 'simple') return undefined;
  if (locale.includes('@')) unsupported(`collation locale variant '${locale}'`);
  const tag = locale.replace(/_/g, '-');
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf([tag]);
  } catch {
    supported = [];
  }
  if (supported.length === 0) fail(ErrorCode.BadValue, `Field 'locale' is invalid in: { locale: "${locale}" }`);
  const strength = spec.strength === undefined ? 3 : toNumber(spec.strength);
  if (strength === 4 || strength === 5) unsupported(`collation strength ${strength}`);
  if (strength === undefined || !SENSITIVITY[strength]) fail(ErrorCode.BadValue, `collation strength must be an integer from 1 to 5, found ${String(spec.strength)}`);
  const options: Intl.CollatorOptions = { usage: 'sort', sensitivity: SENSITIVITY[strength] };
  if (spec.caseLevel === true) {
    if (strength !== 1) unsupported(`collation caseLevel with strength ${strength}`);
    options.sensitivity = 'case';
  }
  if (spec.caseFirst !== undefined) {
    if (spec.caseFirst !== 'upper' && spec.caseFirst !== 'lower' && spec.caseFirst !== 'off')
      fail(ErrorCode.BadValue, `unknown collation caseFirst value: ${String(spec.caseFirst)}`);
    options.caseFirst = spec.caseFirst === 'off' ? 'false' : spec.caseFirst;
  }
  if (spec.numericOrdering === true) options.numeric = true;
  if (spec.alternate !== undefined && spec.alternate !== 'non-ignorable') unsupported(`collation alternate '${String(spec.alternate)}'`);
  if (spec.maxVariable !== undefined && spec.maxVariable !== 'punct') unsupported(`collation maxVariable '${String(spec.maxVariable)}'`);
  if (spec.backwards === true) unsupported('collation backwards');
  if (spec.normalization === true) unsupported('collation normalization');
  return new Intl.Collator(supported[0], options);
}

/**
 * A collation as mongod reports it in listIndexes and listCollections: every field filled in;
 * undefined for none or simple. `version` is the ICU version mongod 8.0 reports.
 */
export function normalizeCollation(spec: unknown): Doc | undefined {
  if (!parseCollation(spec)) return undefined;
  const given = spec as Doc;
  return {
    locale: given.locale,
    caseLevel: given.caseLevel ?? false,
    caseFirst: given.caseFirst ?? 'off',
    strength: given.strength ?? 3,
    numericOrdering: given.numericOrdering ?? false,
    alternate: given.alternate ?? 'non-ignorable',
    maxVariable: given.maxVariable ?? 'punct',
    normalization: given.normalization ?? false,
    backwards: given.backwards ?? false,
    version: '57.1',
  };
}

/** Equality of two values (view form) under a collation: strings by the collator, inside documents and arrays too. */
export function collatedEqual(collator: Intl.Collator, a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return collator.compare(a, b) === 0;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => collatedEqual(collator, item, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && collatedEqual(collator, a[k], b[k]));
  }
  return keyOf(a) === keyOf(b);
}

/** Operators under which a string operand is not a value compared with the collation. */
const NOT_COMPARED = new Set(['$type', '$exists', '$size', '$mod', '$bitsAllSet', '$bitsAnySet', '$bitsAllClear', '$bitsAnyClear', '$comment']);

function collectStrings(value: unknown, out: Set<string>): void {
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out);
  else if (isPlainObject(value)) for (const item of Object.values(value)) collectStrings(item, out);
}

function mapStrings(value: unknown, key: (s: string) => string): unknown {
  if (typeof value === 'string') return key(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, key));
  if (!isPlainObject(value)) return value;
  const out: Doc = {};
  for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, key);
  return out;
}

function refuseUncollated(filter: unknown): void {
  if (filter instanceof RegExp) unsupported('a regular expression under a non-simple collation');
  if (Array.isArray(filter)) for (const item of filter) refuseUncollated(item);
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$regex') unsupported('$regex under a non-simple collation');
    if (key === '$expr' || key === '$where') unsupported(`${key} under a non-simple collation`);
    if (!NOT_COMPARED.has(key)) refuseUncollated(value);
  }
}

/** A collation applied to one set of documents and one filter: strings become ranks (see the file comment). */
export class CollationRanks {
  private readonly ranks = new Map<string, string>();
  private readonly key = (s: string) => this.ranks.get(s) ?? s;

  constructor(collator: Intl.Collator, strings: Iterable<string>) {
    const sorted = [...new Set(strings)].sort(collator.compare);
    let rank = 0;
    sorted.forEach((s, i) => {
      if (i > 0 && collator.compare(sorted[i - 1], s) !== 0) rank++;
      // Fixed width, so that ranks compare as strings in rank order.
      this.ranks.set(s, `\u0001${rank.toString().padStart(10, '0')}`);
    });
  }

  /** Builds the ranks for `docs` (view form) and `filter`, refusing what the collation cannot apply to. */
  static of(collator: Intl.Collator, docs: readonly Doc[], filter: Doc = {}): CollationRanks {
    refuseUncollated(filter);
    const strings = new Set<string>();
    for (const doc of docs) collectStrings(doc, strings);
    collectFilterStrings(filter, strings);
    return new CollationRanks(collator, strings);
  }

  /** A view document (or any value) with its strings replaced by their ranks. */
  value<T>(v: T): T {
    return mapStrings(v, this.key) as T;
  }

  /** A filter with its compared string operands replaced by their ranks (operator names and `$type` aliases stay). */
  filter(filter: Doc): Doc {
    const out: Doc = {};
    for (const [key, value] of Object.entries(filter)) {
      if (NOT_COMPARED.has(key)) out[key] = value;
      else if (isPlainObject(value)) out[key] = this.filter(value);
      else if (Array.isArray(value)) out[key] = value.map((item) => (isPlainObject(item) ? this.filter(item) : this.value(item)));
      else out[key] = this.value(value);
    }
    return out;
  }
}

function collectFilterStrings(filter: Doc, out: Set<string>): void {
  for (const [key, value] of Object.entries(filter)) {
    if (NOT_COMPARED.has(key)) continue;
    if (isPlainObject(value)) collectFilterStrings(value, out);
    else if (Array.isArray(value)) {
      for (const item of value) {
        if (isPlainObject(item)) collectFilterStrings(item, out);
        else collectStrings(item, out);
      }
    } else collectStrings(value, out);
  }
}

/**
 * Aggregation stages after the leading $match/$sort that cannot compare strings, and so run
 * unchanged under a collation; any other stage, or an expression that compares, is refused.
 */
const STAGES_WITHOUT_COMPARISON = new Set(['$limit', '$skip', '$count', '$unset', '$project', '$addFields', '$set', '$replaceRoot', '$replaceWith']);
const COMPARING_OPERATORS = new Set([
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$cmp',
  '$in',
  '$indexOfArray',
  '$setEquals',
  '$setIntersection',
  '$setUnion',
  '$setDifference',
  '$setIsSubset',
  '$addToSet',
  '$max',
  '$min',
  '$sortArray',
  '$maxN',
  '$minN',
  '$top',
  '$bottom',
  '$topN',
  '$bottomN',
]);

function refuseComparisons(expr: unknown, stage: string): void {
  if (Array.isArray(expr)) for (const item of expr) refuseComparisons(item, stage);
  if (!isPlainObject(expr)) return;
  for (const [key, value] of Object.entries(expr)) {
    if (COMPARING_OPERATORS.has(key)) unsupported(`${key} in ${stage} under a non-simple collation`);
    refuseComparisons(value, stage);
  }
}

/** `$group` by a constant (countDocuments: `{_id: 1, n: {$sum: 1}}`) compares nothing. */
function groupsByConstant(stage: Doc): boolean {
  const group = stage.$group;
  if (!isPlainObject(group)) return false;
  const id = group._id;
  return id === null || typeof id === 'number' || typeof id === 'boolean' || (typeof id === 'string' && !id.startsWith('$')) || toNumber(id) !== undefined;
}

export function checkCollatedStages(stages: readonly Doc[]): void {
  for (const stage of stages) {
    const name = Object.keys(stage)[0];
    if (!STAGES_WITHOUT_COMPARISON.has(name) && !groupsByConstant(stage)) unsupported(`aggregation stage ${name} under a non-simple collation (only as a leading $match/$sort)`);
    refuseComparisons(stage[name], name);
  }
}
