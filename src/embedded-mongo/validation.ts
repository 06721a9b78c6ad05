/**
 * Collection validators: a query filter, optionally with a top-level `$jsonSchema`, checked on
 * every insert and update unless `validationLevel` is off (or moderate, for a document that was
 * already invalid) or the command says `bypassDocumentValidation`.
 *
 * `$jsonSchema` is evaluated here, on the typed document (its `bsonType` tells int from double,
 * which mingo's view cannot); the rest of the filter runs in mingo. A failure is 121
 * DocumentValidationFailure with mongod's `errInfo`: `{failingDocumentId, details}`.
 */
import { Query } from 'mingo';
import { ErrorCode, fail, unsupported } from './errors';
import { checkFilter } from './limits';
import { mingoOptions } from './query';
import { bsonType, isPlainObject, keyOf, toNumber, toView, toViewDoc, type Doc } from './values';

export type ValidationLevel = 'off' | 'strict' | 'moderate';
export type ValidationAction = 'error' | 'warn';

export interface ValidationOptions {
  readonly validator: Doc;
  readonly validationLevel: ValidationLevel;
  readonly validationAction: ValidationAction;
}

const LEVELS = new Set(['off', 'strict', 'moderate']);
const ACTIONS = new Set(['error', 'warn']);

/** The BSON type name of a typed value, as `$type` and `bsonType` spell it. */
export function typeName(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) <= 2147483647 ? 'int' : 'double';
  if (Array.isArray(v)) return 'array';
  if (v instanceof Date) return 'date';
  if (v instanceof RegExp) return 'regex';
  switch (bsonType(v)) {
    case 'Int32': return 'int';
    case 'Double': return 'double';
    case 'Long': return 'long';
    case 'Decimal128': return 'decimal';
    case 'ObjectId': return 'objectId';
    case 'Binary': return 'binData';
    case 'BSONRegExp': return 'regex';
    case 'Timestamp': return 'timestamp';
    case 'MinKey': return 'minKey';
    case 'MaxKey': return 'maxKey';
    case 'Code': return 'javascript';
    case 'BSONSymbol': return 'symbol';
    case 'DBRef': return 'object';
    default: return isPlainObject(v) ? 'object' : 'unknown';
  }
}

const BSON_TYPES = new Set(['double', 'string', 'object', 'array', 'binData', 'undefined', 'objectId', 'bool', 'date', 'null', 'regex', 'dbPointer', 'javascript', 'symbol', 'javascriptWithScope', 'int', 'timestamp', 'long', 'decimal', 'minKey', 'maxKey', 'number']);
const JSON_TYPES: Record<string, (t: string) => boolean> = {
  object: (t) => t === 'object',
  array: (t) => t === 'array',
  number: (t) => ['int', 'long', 'double', 'decimal'].includes(t),
  boolean: (t) => t === 'bool',
  string: (t) => t === 'string',
  null: (t) => t === 'null',
};

const KEYWORDS = new Set([
  'bsonType', 'type', 'required', 'properties', 'additionalProperties', 'patternProperties', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'enum', 'items', 'additionalItems',
  'minItems', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties', 'allOf', 'anyOf', 'oneOf', 'not',
  'multipleOf', 'dependencies', 'description', 'title',
]);

/** Checks a $jsonSchema as mongod parses it (9 FailedToParse for what it refuses). */
export function checkSchema(schema: unknown): void {
  if (!isPlainObject(schema)) fail(ErrorCode.TypeMismatch, '$jsonSchema must be an object');
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === '$schema' || keyword === 'definitions' || keyword === '$ref' || keyword === 'default' || keyword === 'format' || keyword === 'id') {
      fail(ErrorCode.FailedToParse, `$jsonSchema keyword '${keyword}' is not currently supported`);
    }
    if (!KEYWORDS.has(keyword)) fail(ErrorCode.FailedToParse, `Unknown $jsonSchema keyword: ${keyword}`);
    if (keyword === 'bsonType') for (const t of [value].flat()) if (!BSON_TYPES.has(String(t))) fail(ErrorCode.BadValue, `Unknown type name alias: ${String(t)}`);
    if (keyword === 'type') {
      for (const t of [value].flat()) {
        if (t === 'integer') fail(ErrorCode.FailedToParse, "$jsonSchema type 'integer' is not currently supported.");
        if (!JSON_TYPES[String(t)]) fail(ErrorCode.BadValue, `Unknown type name alias: ${String(t)}`);
      }
    }
    if (keyword === 'properties' || keyword === 'patternProperties') {
      if (!isPlainObject(value)) fail(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be an object`);
      for (const sub of Object.values(value)) checkSchema(sub);
    }
    if (keyword === 'items' || keyword === 'additionalItems' || keyword === 'additionalProperties' || keyword === 'not') {
      for (const sub of [value].flat()) if (typeof sub !== 'boolean') checkSchema(sub);
    }
    if (keyword === 'allOf' || keyword === 'anyOf' || keyword === 'oneOf') {
      if (!Array.isArray(value) || value.length === 0) fail(ErrorCode.FailedToParse, `$jsonSchema keyword '${keyword}' must be a non-empty array`);
      for (const sub of value) checkSchema(sub);
    }
    if (keyword === 'dependencies' && isPlainObject(value)) for (const sub of Object.values(value)) if (!Array.isArray(sub)) checkSchema(sub);
  }
}

type Failure = Doc;

function compare(a: unknown, b: unknown): number {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x === undefined || y === undefined) return NaN;
  return x - y;
}

function specified(keyword: string, schema: Doc): Doc {
  return { [keyword]: schema[keyword] };
}

/** Failures of `value` against `schema`, in mongod's errInfo vocabulary; empty when it conforms. */
function schemaFailures(schema: Doc, value: unknown): Failure[] {
  const out: Failure[] = [];
  const type = typeName(value);
  const considered = (keyword: string, reason: string): Failure => ({ operatorName: keyword, specifiedAs: specified(keyword, schema), reason, consideredValue: value });
  if (schema.bsonType !== undefined) {
    const types = [schema.bsonType].flat().map(String);
    const numeric = ['int', 'long', 'double', 'decimal'].includes(type);
    if (!types.some((t) => t === type || (t === 'number' && numeric))) {
      out.push({ ...considered('bsonType', 'type did not match'), consideredType: type });
    }
  }
  if (schema.type !== undefined) {
    const types = [schema.type].flat().map(String);
    if (!types.some((t) => JSON_TYPES[t]?.(type))) out.push({ ...considered('type', 'type did not match'), consideredType: type });
  }
  if (schema.enum !== undefined && Array.isArray(schema.enum)) {
    const key = keyOf(toView(value));
    if (!schema.enum.some((e: unknown) => keyOf(toView(e)) === key)) out.push(considered('enum', 'value was not found in enum'));
  }
  const numeric = toNumber(value) !== undefined;
  if (numeric) {
    if (schema.minimum !== undefined) {
      const c = compare(value, schema.minimum);
      if (c < 0 || (c === 0 && schema.exclusiveMinimum === true)) out.push({ ...considered('minimum', 'comparison failed'), ...(schema.exclusiveMinimum === true ? { specifiedAs: { minimum: schema.minimum, exclusiveMinimum: true } } : {}) });
    }
    if (schema.maximum !== undefined) {
      const c = compare(value, schema.maximum);
      if (c > 0 || (c === 0 && schema.exclusiveMaximum === true)) out.push({ ...considered('maximum', 'comparison failed'), ...(schema.exclusiveMaximum === true ? { specifiedAs: { maximum: schema.maximum, exclusiveMaximum: true } } : {}) });
    }
    if (schema.multipleOf !== undefined) {
      const n = toNumber(value)!;
      const m = toNumber(schema.multipleOf)!;
      if (n % m !== 0) out.push(considered('multipleOf', 'considered value is not a multiple of the specified value'));
    }
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    if (schema.minLength !== undefined && length < toNumber(schema.minLength)!) out.push(considered('minLength', 'specified string length was not satisfied'));
    if (schema.maxLength !== undefined && length > toNumber(schema.maxLength)!) out.push(considered('maxLength', 'specified string length was not satisfied'));
    if (schema.pattern !== undefined && !new RegExp(String(schema.pattern), 'u').test(value)) out.push(considered('pattern', 'regular expression did not match'));
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < toNumber(schema.minItems)!) out.push(considered('minItems', 'array did not match specified length'));
    if (schema.maxItems !== undefined && value.length > toNumber(schema.maxItems)!) out.push(considered('maxItems', 'array did not match specified length'));
    if (schema.uniqueItems === true) {
      const keys = value.map((v) => keyOf(toView(v)));
      if (new Set(keys).size !== keys.length) out.push({ ...considered('uniqueItems', 'found a duplicate item'), duplicatedValue: value[keys.findIndex((k, i) => keys.indexOf(k) !== i)] });
    }
    if (isPlainObject(schema.items)) {
      const index = value.findIndex((item) => schemaFailures(schema.items as Doc, item).length > 0);
      if (index >= 0) out.push({ operatorName: 'items', reason: 'At least one item did not match the sub-schema', itemIndex: index, details: schemaFailures(schema.items as Doc, value[index]) });
    } else if (Array.isArray(schema.items)) {
      const tuple = schema.items as Doc[];
      tuple.forEach((sub, i) => {
        if (i < value.length) {
          const details = schemaFailures(sub, value[i]);
          if (details.length) out.push({ operatorName: 'items', reason: 'At least one item did not match the sub-schema', itemIndex: i, details });
        }
      });
      if (schema.additionalItems === false && value.length > tuple.length) out.push(considered('additionalItems', 'found additional items'));
      else if (isPlainObject(schema.additionalItems)) {
        const extra = value.slice(tuple.length).findIndex((item) => schemaFailures(schema.additionalItems as Doc, item).length > 0);
        if (extra >= 0) out.push({ operatorName: 'additionalItems', reason: 'At least one additional item did not match the sub-schema', itemIndex: tuple.length + extra, details: schemaFailures(schema.additionalItems as Doc, value[tuple.length + extra]) });
      }
    }
  }
  if (isPlainObject(value)) out.push(...objectFailures(schema, value));
  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    const subs = schema[keyword] as Doc[] | undefined;
    if (!subs) continue;
    const results = subs.map((sub) => schemaFailures(sub, value));
    const passed = results.filter((r) => r.length === 0).length;
    const failed = results.map((details, index) => ({ index, details })).filter((r) => r.details.length > 0);
    if (keyword === 'allOf' && failed.length) out.push({ operatorName: 'allOf', schemasNotSatisfied: failed });
    if (keyword === 'anyOf' && passed === 0) out.push({ operatorName: 'anyOf', schemasNotSatisfied: failed });
    if (keyword === 'oneOf' && passed !== 1) {
      out.push(passed === 0 ? { operatorName: 'oneOf', schemasNotSatisfied: failed } : { operatorName: 'oneOf', reason: 'more than one subschema matched', matchingSchemaIndexes: results.map((r, i) => (r.length ? -1 : i)).filter((i) => i >= 0) });
    }
  }
  if (isPlainObject(schema.not) && schemaFailures(schema.not, value).length === 0) out.push({ operatorName: 'not', reason: 'child expression matched' });
  return out;
}

function objectFailures(schema: Doc, value: Doc): Failure[] {
  const out: Failure[] = [];
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < toNumber(schema.minProperties)!) out.push({ operatorName: 'minProperties', specifiedAs: specified('minProperties', schema), reason: 'specified number of properties was not satisfied', numberOfProperties: keys.length });
  if (schema.maxProperties !== undefined && keys.length > toNumber(schema.maxProperties)!) out.push({ operatorName: 'maxProperties', specifiedAs: specified('maxProperties', schema), reason: 'specified number of properties was not satisfied', numberOfProperties: keys.length });
  if (Array.isArray(schema.required)) {
    const missing = (schema.required as string[]).filter((field) => value[field] === undefined);
    if (missing.length) out.push({ operatorName: 'required', specifiedAs: specified('required', schema), missingProperties: missing });
  }
  const properties = (schema.properties as Doc | undefined) ?? {};
  const notSatisfied: Doc[] = [];
  for (const [name, sub] of Object.entries(properties)) {
    if (value[name] === undefined) continue;
    const details = schemaFailures(sub as Doc, value[name]);
    if (details.length) notSatisfied.push({ propertyName: name, ...(typeof (sub as Doc).description === 'string' ? { description: (sub as Doc).description } : {}), details });
  }
  if (notSatisfied.length) out.push({ operatorName: 'properties', propertiesNotSatisfied: notSatisfied });
  const patterns = Object.entries((schema.patternProperties as Doc | undefined) ?? {}).map(([p, sub]) => ({ re: new RegExp(p, 'u'), sub: sub as Doc }));
  if (patterns.length) {
    const failing: Doc[] = [];
    for (const key of keys) {
      for (const { re, sub } of patterns) {
        if (!re.test(key)) continue;
        const details = schemaFailures(sub, value[key]);
        if (details.length) failing.push({ propertyName: key, regexMatched: re.source, details });
      }
    }
    if (failing.length) out.push({ operatorName: 'patternProperties', details: failing });
  }
  const extra = keys.filter((k) => !(k in properties) && !patterns.some(({ re }) => re.test(k)));
  if (schema.additionalProperties === false && extra.length) {
    out.push({ operatorName: 'additionalProperties', specifiedAs: { additionalProperties: false }, additionalProperties: extra });
  } else if (isPlainObject(schema.additionalProperties)) {
    const failing = extra.map((k) => ({ propertyName: k, details: schemaFailures(schema.additionalProperties as Doc, value[k]) })).filter((f) => f.details.length);
    if (failing.length) out.push({ operatorName: 'additionalProperties', reason: 'at least one additional property did not match the subschema', failingProperty: failing[0].propertyName, details: failing[0].details });
  }
  if (isPlainObject(schema.dependencies)) {
    for (const [field, dependency] of Object.entries(schema.dependencies)) {
      if (value[field] === undefined) continue;
      if (Array.isArray(dependency)) {
        const missing = dependency.filter((d: string) => value[d] === undefined);
        if (missing.length) out.push({ operatorName: 'dependencies', failingDependencies: [{ conditionalProperty: field, missingProperties: missing }] });
      } else if (isPlainObject(dependency)) {
        const details = schemaFailures(dependency, value);
        if (details.length) out.push({ operatorName: 'dependencies', failingDependencies: [{ conditionalProperty: field, details }] });
      }
    }
  }
  return out;
}

/** A validator as stored: the $jsonSchema apart (evaluated here), the rest compiled for mingo. */
export class Validator {
  private readonly schema: Doc | undefined;
  private readonly rest: Doc;
  private readonly query: Query | undefined;

  constructor(readonly options: ValidationOptions) {
    const { $jsonSchema, ...rest } = options.validator;
    if ($jsonSchema !== undefined) checkSchema($jsonSchema);
    checkFilter(rest); // a $jsonSchema below the top level is refused there
    this.schema = $jsonSchema as Doc | undefined;
    this.rest = rest;
    this.query = Object.keys(rest).length ? new Query(toViewDoc(rest), mingoOptions()) : undefined;
  }

  /** errInfo.details for a document that fails, undefined when it passes. */
  failure(typed: Doc): Doc | undefined {
    const schemaDetails = this.schema ? schemaFailures(this.schema, typed) : [];
    const queryFails = this.query ? !this.query.test(toViewDoc(typed)) : false;
    if (!schemaDetails.length && !queryFails) return undefined;
    const parts: Doc[] = [];
    if (schemaDetails.length) parts.push({ operatorName: '$jsonSchema', schemaRulesNotSatisfied: schemaDetails });
    if (queryFails) parts.push(...queryFailures(this.rest, toViewDoc(typed)));
    if (parts.length === 1) return parts[0];
    return { operatorName: '$and', clausesNotSatisfied: parts.map((details, index) => ({ index, details })) };
  }

  /** Throws 121 when the document fails and the action is error; `before` is the document an update replaces. */
  check(typed: Doc, before: Doc | undefined): void {
    const { validationLevel, validationAction } = this.options;
    if (validationLevel === 'off' || validationAction === 'warn') return;
    if (validationLevel === 'moderate' && before !== undefined && this.failure(before) !== undefined) return;
    const details = this.failure(typed);
    if (details) fail(ErrorCode.DocumentValidationFailure, 'Document failed validation', { errInfo: { failingDocumentId: typed._id, details } });
  }
}

/**
 * Details for the query-operator part of a validator: one entry per top-level field condition that
 * fails, with the operator, what was specified and the value considered (mongod gives the same
 * for simple comparisons; deeper logical operators get `{operatorName, specifiedAs}` only).
 */
function queryFailures(rest: Doc, view: Doc): Doc[] {
  const out: Doc[] = [];
  for (const [field, condition] of Object.entries(rest)) {
    if (new Query({ [field]: condition } as Doc, mingoOptions()).test(view)) continue;
    const specifiedAs = { [field]: condition };
    if (field.startsWith('$')) {
      out.push({ operatorName: field, specifiedAs });
      continue;
    }
    const ops = isPlainObject(condition) && Object.keys(condition).every((k) => k.startsWith('$')) ? Object.keys(condition) : ['$eq'];
    const value = field.split('.').reduce<unknown>((cur, part) => (isPlainObject(cur) ? cur[part] : undefined), view);
    const op = ops[0];
    if (value === undefined && op !== '$exists') out.push({ operatorName: op, specifiedAs, reason: 'field was missing' });
    else if (op === '$exists') out.push({ operatorName: op, specifiedAs, reason: value === undefined ? 'path does not exist' : 'path does exist' });
    else if (op === '$type') out.push({ operatorName: op, specifiedAs, reason: 'type did not match', consideredValue: value, consideredType: typeName(value) });
    else out.push({ operatorName: op, specifiedAs, reason: 'comparison failed', consideredValue: value });
  }
  return out;
}

/** The validator options of create / collMod, validated; undefined when there is no validator. */
export function parseValidation(spec: Doc, current?: ValidationOptions): ValidationOptions | undefined {
  const validator = spec.validator === undefined ? current?.validator : spec.validator;
  if (validator !== undefined && !isPlainObject(validator)) fail(ErrorCode.TypeMismatch, "BSON field 'validator' is the wrong type, expected type 'object'");
  const level = spec.validationLevel ?? current?.validationLevel ?? 'strict';
  const action = spec.validationAction ?? current?.validationAction ?? 'error';
  if (!LEVELS.has(String(level))) fail(ErrorCode.BadValue, `Enumeration value '${String(level)}' for field 'validationLevel' is not a valid value.`);
  if (action === 'errorAndLog') unsupported("validationAction 'errorAndLog'");
  if (!ACTIONS.has(String(action))) fail(ErrorCode.BadValue, `Enumeration value '${String(action)}' for field 'validationAction' is not a valid value.`);
  if (!validator || Object.keys(validator).length === 0) {
    return spec.validationLevel !== undefined || spec.validationAction !== undefined || current
      ? { validator: validator ?? {}, validationLevel: level as ValidationLevel, validationAction: action as ValidationAction }
      : undefined;
  }
  return { validator, validationLevel: level as ValidationLevel, validationAction: action as ValidationAction };
}
