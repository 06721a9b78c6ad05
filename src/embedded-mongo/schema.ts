/**
 * `$jsonSchema` (MongoDB's JSON Schema draft 4 dialect, with `bsonType`), evaluated on typed
 * documents so that `bsonType` tells int from long from double. Failures are described in mongod's
 * errInfo vocabulary (`operatorName`, `specifiedAs`, `reason`, `consideredValue`...).
 */
import { ErrorCode, fail } from './errors';
import { bsonType, isPlainObject, keyOf, toNumber, toView, type Doc } from './values';

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
    case 'Int32':
      return 'int';
    case 'Double':
      return 'double';
    case 'Long':
      return 'long';
    case 'Decimal128':
      return 'decimal';
    case 'ObjectId':
      return 'objectId';
    case 'Binary':
      return 'binData';
    case 'BSONRegExp':
      return 'regex';
    case 'Timestamp':
      return 'timestamp';
    case 'MinKey':
      return 'minKey';
    case 'MaxKey':
      return 'maxKey';
    case 'Code':
      return 'javascript';
    case 'BSONSymbol':
      return 'symbol';
    case 'DBRef':
      return 'object';
    default:
      return isPlainObject(v) ? 'object' : 'unknown';
  }
}

const BSON_TYPES = new Set([
  'double',
  'string',
  'object',
  'array',
  'binData',
  'undefined',
  'objectId',
  'bool',
  'date',
  'null',
  'regex',
  'dbPointer',
  'javascript',
  'symbol',
  'javascriptWithScope',
  'int',
  'timestamp',
  'long',
  'decimal',
  'minKey',
  'maxKey',
  'number',
]);
const JSON_TYPES: Record<string, (t: string) => boolean> = {
  object: (t) => t === 'object',
  array: (t) => t === 'array',
  number: (t) => ['int', 'long', 'double', 'decimal'].includes(t),
  boolean: (t) => t === 'bool',
  string: (t) => t === 'string',
  null: (t) => t === 'null',
};

const KEYWORDS = new Set([
  'bsonType',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'patternProperties',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'maxLength',
  'pattern',
  'enum',
  'items',
  'additionalItems',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'allOf',
  'anyOf',
  'oneOf',
  'not',
  'multipleOf',
  'dependencies',
  'description',
  'title',
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
export function schemaFailures(schema: Doc, value: unknown): Failure[] {
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
      if (c < 0 || (c === 0 && schema.exclusiveMinimum === true))
        out.push({
          ...considered('minimum', 'comparison failed'),
          ...(schema.exclusiveMinimum === true ? { specifiedAs: { minimum: schema.minimum, exclusiveMinimum: true } } : {}),
        });
    }
    if (schema.maximum !== undefined) {
      const c = compare(value, schema.maximum);
      if (c > 0 || (c === 0 && schema.exclusiveMaximum === true))
        out.push({
          ...considered('maximum', 'comparison failed'),
          ...(schema.exclusiveMaximum === true ? { specifiedAs: { maximum: schema.maximum, exclusiveMaximum: true } } : {}),
        });
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
      if (new Set(keys).size !== keys.length)
        out.push({ ...considered('uniqueItems', 'found a duplicate item'), duplicatedValue: value[keys.findIndex((k, i) => keys.indexOf(k) !== i)] });
    }
    if (isPlainObject(schema.items)) {
      const index = value.findIndex((item) => schemaFailures(schema.items as Doc, item).length > 0);
      if (index >= 0)
        out.push({ operatorName: 'items', reason: 'At least one item did not match the sub-schema', itemIndex: index, details: schemaFailures(schema.items as Doc, value[index]) });
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
        if (extra >= 0)
          out.push({
            operatorName: 'additionalItems',
            reason: 'At least one additional item did not match the sub-schema',
            itemIndex: tuple.length + extra,
            details: schemaFailures(schema.additionalItems as Doc, value[tuple.length + extra]),
          });
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
      out.push(
        passed === 0
          ? { operatorName: 'oneOf', schemasNotSatisfied: failed }
          : { operatorName: 'oneOf', reason: 'more than one subschema matched', matchingSchemaIndexes: results.map((r, i) => (r.length ? -1 : i)).filter((i) => i >= 0) },
      );
    }
  }
  if (isPlainObject(schema.not) && schemaFailures(schema.not, value).length === 0) out.push({ operatorName: 'not', reason: 'child expression matched' });
  return out;
}

function objectFailures(schema: Doc, value: Doc): Failure[] {
  const out: Failure[] = [];
  const keys = Object.keys(value);
  if (schema.minProperties !== undefined && keys.length < toNumber(schema.minProperties)!)
    out.push({
      operatorName: 'minProperties',
      specifiedAs: specified('minProperties', schema),
      reason: 'specified number of properties was not satisfied',
      numberOfProperties: keys.length,
    });
  if (schema.maxProperties !== undefined && keys.length > toNumber(schema.maxProperties)!)
    out.push({
      operatorName: 'maxProperties',
      specifiedAs: specified('maxProperties', schema),
      reason: 'specified number of properties was not satisfied',
      numberOfProperties: keys.length,
    });
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
    if (failing.length)
      out.push({
        operatorName: 'additionalProperties',
        reason: 'at least one additional property did not match the subschema',
        failingProperty: failing[0].propertyName,
        details: failing[0].details,
      });
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
