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
import { checkSchema, schemaFailures, typeName } from './schema';
import { isPlainObject, toViewDoc, type Doc } from './values';

export type ValidationLevel = 'off' | 'strict' | 'moderate';
export type ValidationAction = 'error' | 'warn';

export interface ValidationOptions {
  readonly validator: Doc;
  readonly validationLevel: ValidationLevel;
  readonly validationAction: ValidationAction;
}

const LEVELS = new Set(['off', 'strict', 'moderate']);
const ACTIONS = new Set(['error', 'warn']);

/** A validator as stored: the $jsonSchema apart (evaluated here), the rest compiled for mingo. */
export class Validator {
  private readonly schema: Doc | undefined;
  private readonly rest: Doc;
  private readonly query: Query | undefined;

  constructor(readonly options: ValidationOptions) {
    const { $jsonSchema, ...rest } = options.validator;
    if ($jsonSchema !== undefined) checkSchema($jsonSchema);
    checkFilter(rest, 0, false); // a $jsonSchema below the top level is refused there
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
