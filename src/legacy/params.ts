import { BadUserInputError } from '../errors';
import { type LegacyDate, parseLegacyDate } from './dates';

/** A legacy parameter value as it arrives: form fields are strings; JSON adds numbers, booleans, null. */
export type Scalar = string | number | boolean | null;

/** Parameters of one source (path, body or query), by name. */
export type ParamSource = ReadonlyMap<string, Scalar>;

type Parsed<T> = { value: T } | 'absent' | 'invalid';

/** A JSON Schema fragment (for the OpenAPI document). */
export type JsonSchema = Record<string, unknown>;

/**
 * One legacy parameter: how a raw value becomes a typed one, and how it is documented. The same
 * object drives the coercion and the OpenAPI document, so the two cannot drift apart.
 */
export interface ParamSpec<T, R extends boolean = boolean> {
  readonly required: R;
  readonly description: string;
  /** What a valid value is, completing "<name> [is required and] ..." in a 400 message. */
  readonly expected: string;
  /** The schema of a value in a JSON body (form fields are always strings). */
  readonly schema: JsonSchema;
  /** Turns a present, non-null raw value into the typed value. */
  parse(raw: string | number | boolean): Parsed<T>;
}

export type ParamSpecs = Record<string, ParamSpec<unknown>>;

/** The typed values a route's `variables` receives: required parameters are always present. */
export type ValuesOf<P extends ParamSpecs> = {
  [K in keyof P]: P[K] extends ParamSpec<infer T, true> ? T : P[K] extends ParamSpec<infer T, boolean> ? T | undefined : never;
};

/** GraphQL `Int` is 32-bit: larger legacy numbers are refused here rather than by variable coercion. */
export const INT_MAX = 2_147_483_647;

function integerOf(raw: string | number | boolean): number | undefined {
  if (typeof raw === 'number') return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw !== 'string') return undefined;
  const text = raw.trim();
  if (!/^-?\d{1,16}$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

function textOf(raw: string | number | boolean): Parsed<string> {
  if (typeof raw === 'boolean') return 'invalid';
  if (typeof raw === 'number') return Number.isFinite(raw) ? { value: String(raw) } : 'invalid';
  const text = raw.trim();
  return text === '' ? 'absent' : { value: text };
}

function integerSpec<R extends boolean>(required: R, description: string, expected: string, min: number, max: number): ParamSpec<number, R> {
  return {
    required,
    description,
    expected,
    schema: { type: ['integer', 'string'], minimum: min, maximum: max, pattern: min >= 0 ? '^\\s*\\d+\\s*$' : '^\\s*-?\\d+\\s*$' },
    parse(raw) {
      const value = integerOf(raw);
      return value !== undefined && value >= min && value <= max ? { value } : 'invalid';
    },
  };
}

/** The parameter kinds of the legacy API (see "Common rules" of the contract). */
export const param = {
  /** A ticket id: a positive integer ("91" or 91). */
  ticketId<R extends boolean>(required: R, description: string): ParamSpec<number, R> {
    return integerSpec(required, description, 'must be a positive integer', 1, Number.MAX_SAFE_INTEGER);
  },
  /** A user id: a positive integer. */
  userId<R extends boolean>(required: R, description: string): ParamSpec<number, R> {
    return integerSpec(required, description, 'must be a positive integer', 1, INT_MAX);
  },
  /** V2's user id, where 0 means every user. */
  userFilter<R extends boolean>(required: R, description: string): ParamSpec<number, R> {
    return integerSpec(required, description, 'must be 0 (all users) or a positive integer', 0, INT_MAX);
  },
  /** A non-negative integer (limit, offset). */
  count<R extends boolean>(required: R, description: string): ParamSpec<number, R> {
    return integerSpec(required, description, 'must be a non-negative integer', 0, Number.MAX_SAFE_INTEGER);
  },
  /**
   * Any 32-bit integer. The range is the GraphQL rule's: `expected` and `documented` only describe it
   * (in 400 messages and in OpenAPI).
   */
  integer<R extends boolean>(required: R, description: string, expected: string, documented: { minimum: number; maximum: number }): ParamSpec<number, R> {
    const spec = integerSpec(required, description, expected, -INT_MAX - 1, INT_MAX);
    return { ...spec, schema: { ...spec.schema, ...documented } };
  },
  /** "true" / "false" (any case), "1" / "0", JSON true / false. */
  boolean<R extends boolean>(required: R, description: string): ParamSpec<boolean, R> {
    return {
      required,
      description,
      expected: 'must be true or false',
      schema: { type: ['boolean', 'string'], pattern: '^\\s*([tT][rR][uU][eE]|[fF][aA][lL][sS][eE]|1|0)\\s*$' },
      parse(raw) {
        if (typeof raw === 'boolean') return { value: raw };
        if (typeof raw !== 'string') return 'invalid';
        const text = raw.trim().toLowerCase();
        if (text === 'true' || text === '1') return { value: true };
        if (text === 'false' || text === '0') return { value: false };
        return 'invalid';
      },
    };
  },
  /**
   * Text, trimmed; empty counts as absent. `maxLength` documents the GraphQL limit (the rule is
   * enforced there, and its message is translated to this parameter's name).
   */
  text<R extends boolean>(required: R, description: string, maxLength?: number): ParamSpec<string, R> {
    return {
      required,
      description,
      expected: required ? 'must not be empty' : 'must be a string',
      schema: { type: ['string', 'number'], ...(maxLength === undefined ? {} : { maxLength }) },
      parse: textOf,
    };
  },
  /** One of fixed words; the value is returned trimmed, as given (the caller maps it). */
  choice<R extends boolean>(required: R, description: string, values: readonly string[], caseInsensitive = true): ParamSpec<string, R> {
    const allowed = new Set(values.map((v) => (caseInsensitive ? v.toLowerCase() : v)));
    return {
      required,
      description: `${description} One of ${values.join(', ')}${caseInsensitive ? ' (any case)' : ''}.`,
      expected: `must be one of ${values.join(', ')}`,
      schema: { type: 'string', enum: [...values] },
      parse(raw) {
        const text = textOf(raw);
        if (typeof text !== 'object') return text;
        return allowed.has(caseInsensitive ? text.value.toLowerCase() : text.value) ? text : 'invalid';
      },
    };
  },
  /** `dd-mm-yyyy H:m` or `dd-mm-yyyy`, checked strictly. */
  date<R extends boolean>(required: R, description: string): ParamSpec<LegacyDate, R> {
    return {
      required,
      description,
      expected: 'must be a date as dd-mm-yyyy or dd-mm-yyyy H:m, e.g. 21-11-2016 17:01',
      schema: { type: 'string', pattern: '^\\s*\\d{1,2}-\\d{1,2}-\\d{4}( \\d{1,2}:\\d{1,2})?\\s*$' },
      parse(raw) {
        if (typeof raw !== 'string') return 'invalid';
        if (raw.trim() === '') return 'absent';
        const date = parseLegacyDate(raw);
        return date ? { value: date } : 'invalid';
      },
    };
  },
};

/** The 400 for a missing or malformed parameter, naming it. */
export function invalidParam(name: string, spec: ParamSpec<unknown>): BadUserInputError {
  return new BadUserInputError(name, spec.required ? `${name} is required and ${spec.expected}` : `${name} ${spec.expected}`);
}

/**
 * Reads every declared parameter, taking the first source that has it: path segments, then the body,
 * then the query string (a JSON null counts as not given). Throws a 400 naming the first bad one.
 */
export function readParams<P extends ParamSpecs>(specs: P, sources: readonly ParamSource[]): ValuesOf<P> {
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    let raw: Scalar | undefined;
    for (const source of sources) {
      raw = source.get(name);
      if (raw !== undefined && raw !== null) break;
    }
    const parsed: Parsed<unknown> = raw === undefined || raw === null ? 'absent' : spec.parse(raw);
    if (parsed === 'invalid' || (parsed === 'absent' && spec.required)) throw invalidParam(name, spec);
    values[name] = parsed === 'absent' ? undefined : parsed.value;
  }
  return values as ValuesOf<P>;
}
