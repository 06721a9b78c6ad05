/**
 * Reading a command's arguments the way mongod does (its error codes and messages), and the reply
 * helpers every handler shares.
 */
import { Double } from 'bson';
import { ErrorCode, MongoServerError, fail, unsupported } from './errors';
import type { CursorRegistry } from './cursors';
import { evaluateVariables } from './query';
import { validateCollectionName, validateDatabaseName, type Store } from './store';
import { isPlainObject, toNumber, type Doc } from './values';
import { encodeCursorReply, type EncodedDocument } from './wire';

export interface CommandContext {
  readonly store: Store;
  readonly cursors: CursorRegistry;
  readonly connectionId: number;
}

export function asServerError(err: unknown): MongoServerError {
  if (err instanceof MongoServerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  // mingo rejects unknown operators and malformed expressions with its own error class.
  if (err instanceof Error && err.constructor.name === 'MingoError') return new MongoServerError(ErrorCode.BadValue, message);
  return new MongoServerError(ErrorCode.InternalError, `embedded MongoDB internal error: ${message}`);
}

export function collectionArg(cmd: Doc, command: string, db: string): string {
  const name = cmd[command];
  if (typeof name !== 'string') {
    fail(ErrorCode.InvalidNamespace, `collection name has invalid type ${name === null ? 'null' : typeof name}`);
  }
  return validateCollectionName(db, name);
}

export function numberArg(cmd: Doc, command: string, field: string): number | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  const n = toNumber(value);
  if (n === undefined) fail(ErrorCode.TypeMismatch, `BSON field '${command}.${field}' is the wrong type '${typeof value}', expected types '[long, int, decimal, double]'`);
  return n;
}

export function nonNegative(cmd: Doc, command: string, field: string): number | undefined {
  const n = numberArg(cmd, command, field);
  if (n !== undefined && n < 0) fail(ErrorCode.BadValue, `BSON field '${field}' value must be >= 0, actual value '${n}'`);
  return n === undefined ? undefined : Math.trunc(n);
}

export function objectArg(cmd: Doc, command: string, field: string): Doc | undefined {
  const value = cmd[field];
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value))
    fail(ErrorCode.TypeMismatch, `BSON field '${command}.${field}' is the wrong type '${Array.isArray(value) ? 'array' : typeof value}', expected type 'object'`);
  return value;
}

/** `let`: each variable is an expression, evaluated once before the command runs. */
export function letArg(cmd: Doc, command: string): Doc | undefined {
  return evaluateVariables(objectArg(cmd, command, 'let'));
}

export function truthy(value: unknown): boolean {
  if (value === undefined || value === null || value === false) return false;
  const n = toNumber(value);
  return n === undefined ? Boolean(value) : n !== 0;
}

export function refuse(cmd: Doc, command: string, fields: string[]): void {
  for (const field of fields) if (truthy(cmd[field])) unsupported(`${command} option '${field}'`);
}

export function cursorBatchSize(cmd: Doc, command: string): number | undefined {
  const cursor = objectArg(cmd, command, 'cursor');
  if (!cursor || cursor.batchSize === undefined) return undefined;
  const n = toNumber(cursor.batchSize);
  if (n === undefined || n < 0) fail(ErrorCode.BadValue, 'batchSize must be non-negative');
  return n;
}

export function cursorReply<T>(
  ctx: CommandContext,
  ns: string,
  items: readonly T[],
  render: (item: T) => Doc,
  options: { batchSize?: number; singleBatch?: boolean; noTimeout?: boolean } = {},
): EncodedDocument {
  const batch = ctx.cursors.first(ns, items, render, options);
  return encodeCursorReply('firstBatch', batch.docs, batch.id, ns);
}

/** mongod sends `ok` as a double. */
export const ok = (reply: Doc = {}): Doc => ({ ...reply, ok: new Double(1) });

/** 40415 for a field mongod does not know, as for the command's own fields. */
export function checkKnownFields(doc: Doc, known: { has(field: string): boolean }, path: string): void {
  for (const field of Object.keys(doc)) {
    if (!known.has(field)) fail(ErrorCode.UnknownField, `BSON field '${path}.${field}' is an unknown field.`);
  }
}

export function namespaceArg(cmd: Doc, field: string): { db: string; name: string } {
  const ns = cmd[field];
  const dot = typeof ns === 'string' ? ns.indexOf('.') : -1;
  if (typeof ns !== 'string' || dot <= 0) fail(ErrorCode.InvalidNamespace, `Invalid namespace specified '${String(ns)}'`);
  const db = validateDatabaseName(ns.slice(0, dot));
  return { db, name: validateCollectionName(db, ns.slice(dot + 1)) };
}
