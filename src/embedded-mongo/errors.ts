import { Double } from 'bson';

/**
 * Server errors in MongoDB's own vocabulary: a numeric code, its codeName, a message.
 * The codes and names are the ones mongod uses (src/mongo/base/error_codes.yml), because the
 * driver and mongoose branch on them (11000, 26, 48, 20, 43, ...).
 */

export const ErrorCode = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  TypeMismatch: 14,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  DollarPrefixedFieldName: 52,
  ImmutableField: 66,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  InvalidOptions: 72,
  CommandNotSupported: 115,
  DocumentValidationFailure: 121,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  CannotIndexParallelArrays: 171,
  UnsupportedOpQueryCommand: 352,
  DuplicateKey: 11000,
  MissingRequiredField: 40414,
  UnknownField: 40415,
  ChangeStreamNotSupported: 40573,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;

const NAME_BY_CODE = new Map<number, string>(Object.entries(ErrorCode).map(([name, code]) => [code, name]));

/** codeName as the server spells it; a few differ from our constant names. */
export function codeNameOf(code: number): string {
  if (code === ErrorCode.UnknownField) return 'Location40415';
  if (code === ErrorCode.MissingRequiredField) return 'Location40414';
  if (code === ErrorCode.ChangeStreamNotSupported) return 'Location40573';
  return NAME_BY_CODE.get(code) ?? `Location${code}`;
}

/**
 * A failed command. Thrown anywhere inside a command handler; the dispatcher turns it into
 * `{ok: 0, errmsg, code, codeName, ...extra}`, or a write error entry for batched writes.
 */
export class MongoServerError extends Error {
  readonly codeName: string;

  constructor(
    readonly code: number,
    message: string,
    /** Extra reply fields, e.g. keyPattern and keyValue of a duplicate key. */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'MongoServerError';
    this.codeName = codeNameOf(code);
  }

  toReply(): Record<string, unknown> {
    return { ok: new Double(0), errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }

  toWriteError(index: number): Record<string, unknown> {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

export function fail(code: number, message: string, extra?: Record<string, unknown>): never {
  throw new MongoServerError(code, message, extra);
}

/** For options and operators that the emulator knowingly does not implement (see UNSUPPORTED). */
export function unsupported(what: string): never {
  throw new MongoServerError(ErrorCode.CommandNotSupported, `${what} is not supported by the embedded MongoDB`);
}
