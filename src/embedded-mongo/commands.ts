/**
 * The command table: every database command the embedded MongoDB answers, each with mongod's
 * reply shape. `runCommand` is the single entry point; it never throws.
 *
 * Handlers are synchronous on purpose: with no `await` inside a command, every command is atomic
 * with respect to all others, whatever the number of connections.
 */
import { Double, Long, type Document } from 'bson';
import { Aggregator } from 'mingo';
import { ErrorCode, fail, unsupported } from './errors';
import {
  asServerError,
  checkKnownFields,
  collectionArg,
  cursorBatchSize,
  cursorReply,
  letArg,
  namespaceArg,
  nonNegative,
  numberArg,
  objectArg,
  ok,
  refuse,
  truthy,
  type CommandContext,
} from './args';
import { CollationRanks, checkCollatedStages, parseCollation } from './collation';
import { checkPipeline } from './limits';
import { collMod, create, createIndexes, drop, dropDatabase, dropIndexes, listCollections, listDatabases, listIndexes, renameCollection } from './namespaces';
import { runWriteStage } from './outputs';
import { compileProjection, evaluateVariables, mingoOptions, select, type Projector, type SelectOptions } from './query';
import { Collection, validateCollectionName, validateDatabaseName } from './store';
import { applyUpdate, buildUpsert, updateKind } from './update';
import { idFirst, isPlainObject, keyOf, orderLike, retype, toNumber, toView, toViewDoc, valuesAtPath, type Doc } from './values';
import { EncodedDocument, MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE_BYTES, MAX_WRITE_BATCH_SIZE, encodeCursorReply, type ReplyBody } from './wire';

export type { CommandContext } from './args';

/** One row of the command table. */
export interface CommandSpec {
  /**
   * Fields the handler understands besides the command name and GENERIC_FIELDS (read, or
   * deliberately ignored). Any other field is answered like mongod does: 40415 unknown field.
   * `'*'` accepts anything (the handshake carries free-form client metadata).
   */
  readonly fields: readonly string[] | '*';
  readonly run: (cmd: Doc, db: string, ctx: CommandContext) => ReplyBody;
}

/** Accepted on every command and ignored: sessions, read/write concerns, API versioning, tracing. */
const GENERIC_FIELDS = new Set([
  '$db',
  'lsid',
  'txnNumber',
  '$clusterTime',
  '$readPreference',
  'readConcern',
  'writeConcern',
  'apiVersion',
  'apiStrict',
  'apiDeprecationErrors',
  'comment',
  'maxTimeMS',
  '$client',
  'mayBypassWriteBlocking',
]);

const TRANSACTION_ERROR = 'Transaction numbers are only allowed on a replica set member or mongos';
const TRANSACTION_COMMANDS = new Set(['commitTransaction', 'abortTransaction']);

/** Commands the legacy OP_QUERY path may carry; everything else must come as OP_MSG. */
export const OP_QUERY_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);

/** MongoDB 8.0: the version whose behaviour is implemented (e.g. `sort` on single-document updates). */
const MAX_WIRE_VERSION = 25;
const SERVER_VERSION = '8.0.0';
const VERSION_ARRAY = [8, 0, 0, 0];

// --- handlers --------------------------------------------------------------------------------------

function hello(cmd: Doc, _db: string, ctx: CommandContext): Doc {
  const legacy = !('hello' in cmd);
  return ok({
    ...(cmd.helloOk !== undefined ? { helloOk: true } : {}),
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: MAX_WRITE_BATCH_SIZE,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  });
}

function buildInfo(): Doc {
  return ok({
    version: SERVER_VERSION,
    gitVersion: 'embedded',
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    versionArray: VERSION_ARRAY,
    openssl: { running: 'disabled', compiled: 'disabled' },
    buildEnvironment: {},
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['embedded'],
  });
}

/** Runs each statement of a batched write; ordered batches stop at the first error. Returns the write errors. */
function eachStatement<T>(cmd: Doc, items: unknown, field: string, run: (item: T, index: number) => void): Doc[] {
  if (!Array.isArray(items)) fail(ErrorCode.TypeMismatch, `BSON field '${field}' is missing or not an array`);
  if (items.length === 0 || items.length > MAX_WRITE_BATCH_SIZE) {
    fail(16, `Write batch sizes must be between 1 and ${MAX_WRITE_BATCH_SIZE}. Got ${items.length} operations.`);
  }
  const ordered = cmd.ordered === undefined ? true : truthy(cmd.ordered);
  const writeErrors: Doc[] = [];
  items.forEach((item, index) => {
    if (ordered && writeErrors.length) return;
    try {
      run(item as T, index);
    } catch (err) {
      writeErrors.push(asServerError(err).toWriteError(index));
    }
  });
  return writeErrors;
}

function writeReply(reply: Doc, writeErrors: Doc[]): Doc {
  return ok(writeErrors.length ? { ...reply, writeErrors } : reply);
}

function insert(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'insert', db);
  const collection = ctx.store.ensureCollection(db, name).collection;
  const bypass = truthy(cmd.bypassDocumentValidation);
  let n = 0;
  const writeErrors = eachStatement<Doc>(cmd, cmd.documents, 'insert.documents', (doc) => {
    if (!isPlainObject(doc)) fail(ErrorCode.TypeMismatch, 'insert documents must be objects');
    collection.insert(Collection.withId(doc), bypass);
    n++;
  });
  return writeReply({ n }, writeErrors);
}

interface UpdateStatement {
  q: Doc;
  u: unknown;
  upsert?: unknown;
  multi?: unknown;
  arrayFilters?: Doc[];
  collation?: unknown;
  hint?: unknown;
  c?: Doc;
  /** MongoDB 8.0: which of several matches a single-document update changes. */
  sort?: unknown;
}

/** The fields of one statement of `update.updates` and `delete.deletes`, as mongod 8.0 parses them. */
const UPDATE_STATEMENT_FIELDS = new Set(['q', 'u', 'c', 'upsert', 'multi', 'arrayFilters', 'collation', 'hint', 'sort', 'upsertSupplied']);
const DELETE_STATEMENT_FIELDS = new Set(['q', 'limit', 'collation', 'hint']);

interface UpdateOutcome {
  matched: number;
  modified: number;
  upsertedId?: unknown;
}

/**
 * What mongod checks while parsing the command, before any statement runs: a bad statement fails
 * the whole command rather than becoming a write error.
 */
function parseStatements(items: unknown, field: string, known: ReadonlySet<string>, check?: (stmt: Doc) => void): void {
  if (!Array.isArray(items)) return;
  for (const stmt of items) {
    if (!isPlainObject(stmt)) fail(ErrorCode.TypeMismatch, `BSON field '${field}' is the wrong type, expected type 'object'`);
    checkKnownFields(stmt, known, field);
    check?.(stmt);
  }
}

function parseUpdateStatement(stmt: Doc): void {
  refuse(stmt, 'update', ['upsertSupplied']);
  const sort = objectArg(stmt, 'update.updates', 'sort');
  if (truthy(stmt.multi) && sort && Object.keys(sort).length) fail(ErrorCode.FailedToParse, 'Cannot specify sort with multi=true');
}

function runUpdate(ctx: CommandContext, db: string, name: string, stmt: UpdateStatement, variables: Doc | undefined, bypass: boolean): UpdateOutcome {
  ctx.store.refuseView(db, name);
  const filter = stmt.q ?? {};
  if (!isPlainObject(filter)) fail(ErrorCode.TypeMismatch, "BSON field 'update.updates.q' is the wrong type, expected type 'object'");
  const multi = truthy(stmt.multi);
  if (multi && updateKind(stmt.u) === 'replacement') fail(ErrorCode.FailedToParse, 'multi update is not supported for replacement-style update');
  if (stmt.arrayFilters !== undefined && !Array.isArray(stmt.arrayFilters)) fail(ErrorCode.TypeMismatch, 'arrayFilters must be an array');
  const sort = objectArg(stmt, 'update.updates', 'sort');
  const constants = evaluateVariables(objectArg(stmt, 'update.updates', 'c'));
  const vars = constants ? { ...variables, ...constants } : variables;
  const matches = select(ctx.store.collection(db, name), filter, { sort, limit: multi ? 0 : 1, collation: stmt.collation, variables: vars, hint: stmt.hint });
  const context = { arrayFilters: stmt.arrayFilters, condition: toViewDoc(filter), variables: vars };
  if (matches.length === 0) {
    if (!truthy(stmt.upsert)) return { matched: 0, modified: 0 };
    const doc = buildUpsert(filter, stmt.u, context);
    ctx.store.ensureCollection(db, name).collection.insert(doc, bypass);
    return { matched: 0, modified: 0, upsertedId: doc._id };
  }
  const collection = ctx.store.collection(db, name)!;
  let modified = 0;
  for (const record of matches) {
    const result = applyUpdate(record.typed, stmt.u, { ...context, inserting: false });
    if (!result.changed) continue;
    collection.replace(record, result.typed, bypass);
    modified++;
  }
  return { matched: matches.length, modified };
}

function update(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'update', db);
  const variables = letArg(cmd, 'update');
  let n = 0;
  let nModified = 0;
  const upserted: Doc[] = [];
  parseStatements(cmd.updates, 'update.updates', UPDATE_STATEMENT_FIELDS, parseUpdateStatement);
  const writeErrors = eachStatement<UpdateStatement>(cmd, cmd.updates, 'update.updates', (stmt, index) => {
    const outcome = runUpdate(ctx, db, name, stmt, variables, truthy(cmd.bypassDocumentValidation));
    if (outcome.upsertedId !== undefined) {
      upserted.push({ index, _id: outcome.upsertedId });
      n++;
    } else {
      n += outcome.matched;
      nModified += outcome.modified;
    }
  });
  return writeReply({ n, nModified, ...(upserted.length ? { upserted } : {}) }, writeErrors);
}

/** One delete statement (`{q, limit, collation, hint}`); returns how many documents went. */
function runDelete(ctx: CommandContext, db: string, name: string, stmt: Doc, variables: Doc | undefined): number {
  ctx.store.refuseView(db, name);
  const limit = toNumber(stmt.limit, 0);
  if (limit !== 0 && limit !== 1) fail(ErrorCode.FailedToParse, `The limit field in delete objects must be 0 or 1. Got ${limit}`);
  const collection = ctx.store.collection(db, name);
  const matches = select(collection, stmt.q ?? {}, { limit, collation: stmt.collation, variables, hint: stmt.hint });
  for (const record of matches) collection!.remove(record);
  return matches.length;
}

function deleteCommand(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'delete', db);
  const variables = letArg(cmd, 'delete');
  let n = 0;
  parseStatements(cmd.deletes, 'delete.deletes', DELETE_STATEMENT_FIELDS);
  ctx.store.refuseView(db, name);
  const writeErrors = eachStatement<Doc>(cmd, cmd.deletes, 'delete.deletes', (stmt) => {
    n += runDelete(ctx, db, name, stmt, variables);
  });
  return writeReply({ n }, writeErrors);
}

const BULK_INSERT_FIELDS = new Set(['insert', 'document']);
const BULK_UPDATE_FIELDS = new Set(['update', 'filter', 'updateMods', 'multi', 'upsert', 'arrayFilters', 'hint', 'collation', 'sort', 'constants']);
const BULK_DELETE_FIELDS = new Set(['delete', 'filter', 'multi', 'hint', 'collation']);

/**
 * MongoDB 8.0's client-level bulkWrite (run on admin): inserts, updates and deletes across
 * namespaces (`nsInfo`), one result per operation in a cursor (errors only with errorsOnly).
 */
function bulkWrite(cmd: Doc, db: string, ctx: CommandContext): EncodedDocument {
  if (db !== 'admin') fail(13, 'bulkWrite may only be run against the admin database.');
  const nsInfo = cmd.nsInfo;
  if (!Array.isArray(nsInfo) || nsInfo.length === 0) fail(ErrorCode.BadValue, "BSON field 'bulkWrite.nsInfo' is missing but a required field");
  const namespaces = nsInfo.map((info: unknown) => {
    if (!isPlainObject(info)) fail(ErrorCode.TypeMismatch, "BSON field 'bulkWrite.nsInfo' is the wrong type, expected type 'object'");
    checkKnownFields(info, new Set(['ns', 'collectionUUID', 'encryptionInformation', 'isTimeseriesNamespace']), 'bulkWrite.nsInfo');
    refuse(info, 'bulkWrite nsInfo', ['collectionUUID', 'encryptionInformation', 'isTimeseriesNamespace']);
    return namespaceArg(info, 'ns');
  });
  const ops = cmd.ops;
  if (!Array.isArray(ops) || ops.length === 0) fail(ErrorCode.BadValue, "BSON field 'bulkWrite.ops' is missing but a required field");
  for (const op of ops) {
    if (!isPlainObject(op)) fail(ErrorCode.TypeMismatch, "BSON field 'bulkWrite.ops' is the wrong type, expected type 'object'");
    const kind = Object.keys(op)[0];
    const known = kind === 'insert' ? BULK_INSERT_FIELDS : kind === 'update' ? BULK_UPDATE_FIELDS : kind === 'delete' ? BULK_DELETE_FIELDS : undefined;
    if (!known) fail(ErrorCode.FailedToParse, `Unrecognized bulkWrite operation: ${String(kind)}`);
    checkKnownFields(op, known, 'bulkWrite.ops');
    const index = toNumber(op[kind]);
    if (index === undefined || !Number.isInteger(index) || index < 0 || index >= namespaces.length)
      fail(ErrorCode.BadValue, `BulkWrite ops entry ${kind} index ${String(op[kind])} is out of bounds`);
    if (kind === 'update') parseUpdateStatement({ multi: op.multi, sort: op.sort });
  }
  const ordered = cmd.ordered === undefined ? true : truthy(cmd.ordered);
  const errorsOnly = truthy(cmd.errorsOnly);
  const bypass = truthy(cmd.bypassDocumentValidation);
  const variables = letArg(cmd, 'bulkWrite');
  const totals = { nErrors: 0, nInserted: 0, nUpserted: 0, nMatched: 0, nModified: 0, nDeleted: 0 };
  const results: Doc[] = [];
  for (let idx = 0; idx < ops.length; idx++) {
    const op = ops[idx] as Doc;
    const { db: opDb, name } = namespaces[toNumber(op[Object.keys(op)[0]])!];
    try {
      let result: Doc;
      if ('insert' in op) {
        if (!isPlainObject(op.document)) fail(ErrorCode.TypeMismatch, "BSON field 'bulkWrite.ops.document' is the wrong type, expected type 'object'");
        ctx.store.ensureCollection(opDb, name).collection.insert(Collection.withId(op.document), bypass);
        totals.nInserted++;
        result = { n: 1 };
      } else if ('update' in op) {
        const stmt: UpdateStatement = {
          q: op.filter,
          u: op.updateMods,
          multi: op.multi,
          upsert: op.upsert,
          arrayFilters: op.arrayFilters,
          hint: op.hint,
          collation: op.collation,
          sort: op.sort,
          c: op.constants,
        };
        const outcome = runUpdate(ctx, opDb, name, stmt, variables, bypass);
        if (outcome.upsertedId !== undefined) totals.nUpserted++;
        totals.nMatched += outcome.matched;
        totals.nModified += outcome.modified;
        result = {
          n: outcome.upsertedId !== undefined ? 1 : outcome.matched,
          nModified: outcome.modified,
          ...(outcome.upsertedId !== undefined ? { upserted: { _id: outcome.upsertedId } } : {}),
        };
      } else {
        const n = runDelete(ctx, opDb, name, { q: op.filter, limit: truthy(op.multi) ? 0 : 1, collation: op.collation, hint: op.hint }, variables);
        totals.nDeleted += n;
        result = { n };
      }
      if (!errorsOnly) results.push({ ok: new Double(1), idx, ...result });
    } catch (err) {
      const failure = asServerError(err);
      totals.nErrors++;
      results.push({ ok: new Double(0), idx, code: failure.code, codeName: failure.codeName, errmsg: failure.message, ...failure.extra });
      if (ordered) break;
    }
  }
  const ns = 'admin.$cmd.bulkWrite';
  const batch = ctx.cursors.first(ns, results, (d) => d, { batchSize: cursorBatchSize(cmd, 'bulkWrite') });
  return encodeCursorReply('firstBatch', batch.docs, batch.id, ns, totals);
}

function find(cmd: Doc, db: string, ctx: CommandContext): EncodedDocument {
  const name = collectionArg(cmd, 'find', db);
  refuse(cmd, 'find', ['awaitData', 'tailable', 'returnKey', 'showRecordId', 'explain']);
  if (cmd.min !== undefined) unsupported("find option 'min'");
  if (cmd.max !== undefined) unsupported("find option 'max'");
  const rawLimit = numberArg(cmd, 'find', 'limit');
  let singleBatch = truthy(cmd.singleBatch);
  let limit = rawLimit;
  if (limit !== undefined && limit < 0) {
    // Legacy negative limit: that many documents in one batch.
    limit = -limit;
    singleBatch = true;
  }
  const batchSize = nonNegative(cmd, 'find', 'batchSize');
  const projector = compileProjection(objectArg(cmd, 'find', 'projection'));
  const records = read(ctx, db, name, objectArg(cmd, 'find', 'filter') ?? {}, {
    sort: objectArg(cmd, 'find', 'sort'),
    skip: nonNegative(cmd, 'find', 'skip'),
    limit: limit ? Math.trunc(limit) : undefined,
    collation: cmd.collation,
    variables: letArg(cmd, 'find'),
    hint: cmd.hint,
  });
  return cursorReply(ctx, `${db}.${name}`, records, projector, {
    batchSize: batchSize ?? (limit ? Math.min(limit, 101) : undefined),
    singleBatch,
    noTimeout: truthy(cmd.noCursorTimeout),
  });
}

function getMore(cmd: Doc, db: string, ctx: CommandContext): EncodedDocument {
  const id = cmd.getMore;
  if (!Long.isLong(id)) fail(ErrorCode.TypeMismatch, "Field 'getMore' must be of type long in: getMore");
  const collection = cmd.collection;
  if (typeof collection !== 'string') fail(ErrorCode.TypeMismatch, "Field 'collection' must be of type string in: getMore");
  const ns = `${db}.${collection}`;
  const batch = ctx.cursors.more(id, ns, nonNegative(cmd, 'getMore', 'batchSize'));
  return encodeCursorReply('nextBatch', batch.docs, batch.id, ns);
}

function killCursors(cmd: Doc, db: string, ctx: CommandContext): Doc {
  collectionArg(cmd, 'killCursors', db);
  const ids = cmd.cursors;
  if (!Array.isArray(ids)) fail(ErrorCode.TypeMismatch, "BSON field 'killCursors.cursors' is missing but a required field");
  const cursorsKilled: Long[] = [];
  const cursorsNotFound: Long[] = [];
  for (const id of ids) {
    const long = Long.isLong(id) ? id : Long.fromNumber(toNumber(id, 0)!);
    (ctx.cursors.kill(long) ? cursorsKilled : cursorsNotFound).push(long);
  }
  return ok({ cursorsKilled, cursorsNotFound, cursorsAlive: [], cursorsUnknown: [] });
}

function findAndModify(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const command = Object.keys(cmd)[0];
  const name = collectionArg(cmd, command, db);
  const remove = truthy(cmd.remove);
  const returnNew = truthy(cmd.new);
  const upsert = truthy(cmd.upsert);
  const hasUpdate = cmd.update !== undefined;
  if (remove && hasUpdate) fail(ErrorCode.FailedToParse, 'Cannot specify both an update and remove=true');
  if (!remove && !hasUpdate) fail(ErrorCode.FailedToParse, 'Either an update or remove=true must be specified');
  if (remove && upsert) fail(ErrorCode.FailedToParse, 'Cannot specify both upsert=true and remove=true');
  if (remove && returnNew) fail(ErrorCode.FailedToParse, "Cannot specify both new=true and remove=true; 'remove' always returns the deleted document");
  const filter = objectArg(cmd, command, 'query') ?? {};
  const projector: Projector = compileProjection(objectArg(cmd, command, 'fields'));
  const variables = letArg(cmd, command);
  ctx.store.refuseView(db, name);
  const bypass = truthy(cmd.bypassDocumentValidation);
  const collection = ctx.store.collection(db, name);
  const [record] = select(collection, filter, { sort: objectArg(cmd, command, 'sort'), limit: 1, collation: cmd.collation, variables, hint: cmd.hint });
  const render = (typed: Doc | undefined) => (typed ? projector({ typed, view: toViewDoc(typed) }) : null);
  if (remove) {
    if (record) collection!.remove(record);
    return ok({ lastErrorObject: { n: record ? 1 : 0 }, value: render(record?.typed) });
  }
  if (cmd.arrayFilters !== undefined && !Array.isArray(cmd.arrayFilters)) fail(ErrorCode.TypeMismatch, 'arrayFilters must be an array');
  const context = { arrayFilters: cmd.arrayFilters as Doc[] | undefined, condition: toViewDoc(filter), variables };
  if (record) {
    const result = applyUpdate(record.typed, cmd.update, { ...context, inserting: false });
    if (result.changed) collection!.replace(record, result.typed, bypass);
    return ok({ lastErrorObject: { n: 1, updatedExisting: true }, value: render(returnNew ? result.typed : record.typed) });
  }
  if (!upsert) return ok({ lastErrorObject: { n: 0, updatedExisting: false }, value: null });
  const doc = buildUpsert(filter, cmd.update, context);
  ctx.store.ensureCollection(db, name).collection.insert(doc, bypass);
  return ok({ lastErrorObject: { n: 1, updatedExisting: false, upserted: doc._id }, value: returnNew ? render(doc) : null });
}

/** Leading $match/$sort/$skip/$limit stages, folded into one `select` (so they use the indexes). */
function splitPipeline(pipeline: Doc[]): { filter: Doc; sort?: Doc; skip: number; limit: number; empty: boolean; rest: Doc[] } {
  const matches: Doc[] = [];
  let i = 0;
  while (i < pipeline.length && '$match' in pipeline[i]) matches.push(pipeline[i++].$match as Doc);
  let sort: Doc | undefined;
  if (i < pipeline.length && '$sort' in pipeline[i]) sort = pipeline[i++].$sort as Doc;
  let skip = 0;
  let limit = 0; // 0: unlimited
  let empty = false;
  for (; i < pipeline.length; i++) {
    const stage = pipeline[i];
    const n = toNumber('$skip' in stage ? stage.$skip : stage.$limit);
    if ('$skip' in stage && n !== undefined && n >= 0 && Number.isInteger(n)) {
      skip += n;
      if (limit) {
        limit -= n;
        if (limit <= 0) empty = true;
      }
    } else if ('$limit' in stage && n !== undefined && n > 0 && Number.isInteger(n)) {
      limit = limit ? Math.min(limit, n) : n;
    } else {
      break; // anything else, including invalid values, is left to mingo to run or reject
    }
  }
  const filter = matches.length === 0 ? {} : matches.length === 1 ? matches[0] : { $and: matches };
  return { filter, sort, skip, limit, empty, rest: pipeline.slice(i) };
}

interface PipelineOptions {
  readonly variables?: Doc;
  readonly hint?: unknown;
  readonly collation?: unknown;
}

/** A view's definition, resolved through views on views: the collection it reads and the whole pipeline. */
function resolveView(ctx: CommandContext, db: string, name: string, pipeline: Doc[], collation: unknown): { source: string; pipeline: Doc[] } {
  let source = name;
  let full = pipeline;
  for (let view = ctx.store.view(db, source); view; view = ctx.store.view(db, source)) {
    if (parseCollation(collation)) fail(ErrorCode.OptionNotSupportedOnView, "Cannot override a view's default collation");
    source = view.viewOn;
    full = [...view.pipeline, ...full];
  }
  return { source, pipeline: full };
}

/**
 * Runs `pipeline` over the collection or view `name`: leading $match/$sort/$skip/$limit through
 * `select` (the indexes), the rest in mingo. Returns typed documents, the stored ones when no
 * stage follows the leading ones.
 */
function runPipeline(ctx: CommandContext, db: string, name: string, stages: Doc[], options: PipelineOptions): Doc[] {
  const { source, pipeline } = resolveView(ctx, db, name, stages, options.collation);
  const collection = ctx.store.collection(db, source);
  if (options.collation === undefined && collection?.options.collation) options = { ...options, collation: collection.options.collation };
  const plan = splitPipeline(pipeline);
  const selected = select(collection, plan.filter, {
    sort: plan.sort,
    skip: plan.skip,
    limit: plan.limit,
    variables: options.variables,
    hint: options.hint,
    collation: options.collation,
  });
  return runStages(ctx, db, plan.empty ? [] : selected, plan.rest, options);
}

/** The stages after the leading ones, in mingo, over `records`; typed results. */
function runStages(ctx: CommandContext, db: string, records: readonly { key: string; typed: Doc; view: Doc }[], stages: Doc[], options: PipelineOptions): Doc[] {
  if (stages.length === 0) return records.map((r) => r.typed);
  if (parseCollation(options.collation)) checkCollatedStages(stages);
  const byId = new Map<string, Doc>();
  for (const record of records) byId.set(record.key, record.typed);
  const mingo = {
    ...mingoOptions(options.variables),
    processingMode: 1 /* ProcessingMode.CLONE_INPUT: stages like $unwind write into their input */,
    collectionResolver: (other: string) => runPipeline(ctx, db, other, [], {}).map((d) => toViewDoc(d)),
  };
  const output = new Aggregator(
    stages.map((s) => toViewDoc(s)),
    mingo,
  ).run(records.map((r) => r.view));
  return output.map((doc) => {
    const hint = doc._id !== undefined ? byId.get(keyOf(doc._id)) : undefined;
    // Stages that pass fields through ($project, $addFields...) keep the input's field order.
    return hint ? orderLike(retype(doc, hint) as Doc, hint) : idFirst(retype(doc, undefined) as Doc);
  });
}

/** Stages that read server state rather than a collection; none is tracked here. */
const ADMIN_STAGES = new Set(['$currentOp', '$listSessions', '$changeStream']);

/** `aggregate: 1`: the pipeline starts from `$documents` (an array expression) instead of a collection. */
/**
 * `$listLocalSessions` (first stage of aggregate: 1): the sessions this server has seen commands
 * of and not seen ended. Without authentication every session belongs to the one unnamed user.
 */
function localSessions(spec: unknown, ctx: CommandContext): Doc[] {
  if (!isPlainObject(spec)) fail(ErrorCode.TypeMismatch, '$listLocalSessions must be an object');
  checkKnownFields(spec, new Set(['allUsers', 'users']), '$listLocalSessions');
  const users = spec.users;
  if (users !== undefined && (!Array.isArray(users) || users.length > 0)) return [];
  return ctx.store.sessions.list();
}

function documentsInput(pipeline: unknown, variables: Doc | undefined, ctx: CommandContext): { docs: Doc[]; rest: unknown[] } {
  const [first, ...rest] = Array.isArray(pipeline) ? pipeline : [];
  const stage = isPlainObject(first) ? Object.keys(first)[0] : undefined;
  if (stage === '$listLocalSessions') return { docs: localSessions(first.$listLocalSessions, ctx), rest };
  if (stage !== '$documents') {
    if (stage && ADMIN_STAGES.has(stage)) unsupported(`aggregation stage ${stage}`);
    fail(ErrorCode.InvalidNamespace, `{aggregate: 1} is not valid for '${stage ?? ''}'; a collection is required.`);
  }
  const { docs } = evaluateVariables({ docs: first.$documents }, variables) ?? {};
  if (!Array.isArray(docs) || !docs.every(isPlainObject)) fail(5858203, 'an array is expected');
  return { docs: docs.map((d) => retype(d, undefined) as Doc), rest };
}

function aggregate(cmd: Doc, db: string, ctx: CommandContext): EncodedDocument {
  const target = cmd.aggregate;
  if (truthy(cmd.explain)) unsupported("aggregate option 'explain'");
  if (cmd.cursor === undefined) fail(ErrorCode.FailedToParse, "The 'cursor' option is required, except for aggregate with the explain argument");
  const options: PipelineOptions = { variables: letArg(cmd, 'aggregate'), hint: cmd.hint, collation: cmd.collation };
  let docs: Doc[];
  let ns: string;
  let write: Doc | undefined;
  const splitWrite = (pipeline: Doc[]): Doc[] => {
    const last = pipeline[pipeline.length - 1];
    write = last && ('$out' in last || '$merge' in last) ? last : undefined;
    return write ? pipeline.slice(0, -1) : pipeline;
  };
  if (typeof target === 'string') {
    const name = validateCollectionName(db, target);
    ns = `${db}.${name}`;
    docs = runPipeline(ctx, db, name, splitWrite(checkPipeline(cmd.pipeline)), options);
  } else if (toNumber(target) === 1) {
    const input = documentsInput(cmd.pipeline, options.variables, ctx);
    ns = `${db}.$cmd.aggregate`;
    const records = input.docs.map((typed) => ({ key: keyOf(toView(typed._id)), typed, view: toViewDoc(typed) }));
    docs = runStages(ctx, db, records, splitWrite(checkPipeline(input.rest)), options);
  } else {
    fail(ErrorCode.FailedToParse, 'Invalid {aggregate: ...} value: must be a collection name or 1');
  }
  if (write) {
    runWriteStage(ctx.store, db, write, docs, truthy(cmd.bypassDocumentValidation));
    docs = [];
  }
  return cursorReply(ctx, ns, docs, (d) => d, { batchSize: cursorBatchSize(cmd, 'aggregate') });
}

/**
 * What find, count and distinct read: `select` on a collection; on a view, its pipeline followed
 * by the same filter, sort, skip and limit.
 */
function read(ctx: CommandContext, db: string, name: string, filter: unknown, options: SelectOptions): readonly { typed: Doc; view: Doc }[] {
  if (!ctx.store.view(db, name)) return select(ctx.store.collection(db, name), filter, options);
  if (!isPlainObject(filter)) fail(ErrorCode.TypeMismatch, "BSON field 'filter' is the wrong type, expected type 'object'");
  const stages: Doc[] = [{ $match: filter }];
  if (options.sort && Object.keys(options.sort).length) stages.push({ $sort: options.sort });
  if (options.skip) stages.push({ $skip: options.skip });
  if (options.limit) stages.push({ $limit: options.limit });
  const docs = runPipeline(ctx, db, name, stages, options);
  return docs.map((typed) => ({ typed, view: toViewDoc(typed) }));
}

function count(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'count', db);
  const collection = ctx.store.collection(db, name);
  const query = objectArg(cmd, 'count', 'query') ?? {};
  const skip = nonNegative(cmd, 'count', 'skip') ?? 0;
  const limit = Math.abs(numberArg(cmd, 'count', 'limit') ?? 0);
  parseCollation(cmd.collation);
  if (Object.keys(query).length === 0 && cmd.hint === undefined && !ctx.store.view(db, name)) {
    let n = Math.max(0, (collection?.docs.size ?? 0) - skip);
    if (limit) n = Math.min(n, limit);
    return ok({ n });
  }
  return ok({ n: read(ctx, db, name, query, { skip, limit, hint: cmd.hint, collation: cmd.collation }).length });
}

function distinct(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'distinct', db);
  const key = cmd.key;
  if (typeof key !== 'string') fail(ErrorCode.TypeMismatch, "BSON field 'distinct.key' is missing but a required field");
  const records = read(ctx, db, name, objectArg(cmd, 'distinct', 'query') ?? {}, { collation: cmd.collation, hint: cmd.hint });
  const seen = new Set<string>();
  const values: unknown[] = [];
  // Under a collation, values equal by it are one value (the first met), as in mongod.
  const collator = parseCollation(cmd.collation ?? ctx.store.collection(db, name)?.options.collation);
  const ranks =
    collator &&
    CollationRanks.of(
      collator,
      records.map((r) => r.view),
    );
  for (const record of records) {
    for (const value of valuesAtPath(record.typed, key).values) {
      if (value === undefined) continue;
      const k = keyOf(ranks ? ranks.value(toView(value)) : toView(value));
      if (seen.has(k)) continue;
      seen.add(k);
      values.push(value);
    }
  }
  return ok({ values });
}

function endSessions(cmd: Doc, _db: string, ctx: CommandContext): Doc {
  if (Array.isArray(cmd.endSessions)) for (const lsid of cmd.endSessions) if (isPlainObject(lsid)) ctx.store.sessions.end(lsid.id);
  return ok();
}

/**
 * name -> handler. Reply shapes follow mongod 8.0; see each handler. Options listed in `fields` but
 * not implemented are refused inside the handler (limits.UNSUPPORTED), never silently ignored,
 * except those that cannot change a result here (hint, allowDiskUse, bypassDocumentValidation...).
 */
export const COMMANDS: Readonly<Record<string, CommandSpec>> = {
  /** Liveness check: `{ok: 1}`. */
  ping: { fields: '*', run: () => ok() },
  /** Handshake and heartbeat: a standalone, writable primary speaking wire versions 0-25 (MongoDB 8.0). */
  hello: { fields: '*', run: hello },
  isMaster: { fields: '*', run: hello },
  ismaster: { fields: '*', run: hello },
  /** `{version: '8.0.0', versionArray, ...}`. */
  buildInfo: { fields: '*', run: buildInfo },
  buildinfo: { fields: '*', run: buildInfo },
  /** `{databases: [{name, sizeOnDisk, empty}], totalSize, totalSizeMb}` (sizes are estimates). */
  listDatabases: { fields: ['filter', 'nameOnly', 'authorizedDatabases'], run: listDatabases },
  /** Removes every collection of `$db`. */
  dropDatabase: { fields: [], run: dropDatabase },
  /** Explicit creation; 48 NamespaceExists when present (mongoose ignores that). */
  create: {
    fields: [
      'capped',
      'size',
      'max',
      'autoIndexId',
      'validator',
      'validationLevel',
      'validationAction',
      'collation',
      'viewOn',
      'pipeline',
      'timeseries',
      'expireAfterSeconds',
      'clusteredIndex',
      'changeStreamPreAndPostImages',
      'storageEngine',
      'indexOptionDefaults',
      'encryptedFields',
      'idIndex',
    ],
    run: create,
  },
  /** Validator, validationLevel/Action, a view's viewOn/pipeline, an index's hidden/expireAfterSeconds. */
  collMod: {
    fields: [
      'validator',
      'validationLevel',
      'validationAction',
      'viewOn',
      'pipeline',
      'index',
      'timeseries',
      'cappedSize',
      'cappedMax',
      'expireAfterSeconds',
      'dryRun',
      'changeStreamPreAndPostImages',
      'recordIdsReplicated',
    ],
    run: collMod,
  },
  /** `{ok: 1}`; admin only; `to` must not exist unless dropTarget. */
  renameCollection: { fields: ['to', 'dropTarget', 'stayTemp'], run: renameCollection },
  /** `{nIndexesWas, ns}`; a missing collection is `{ok: 1}` as in mongod 7. */
  drop: { fields: [], run: drop },
  /** Cursor over `{name, type, options, info, idIndex}`; honours filter and nameOnly. */
  listCollections: { fields: ['filter', 'nameOnly', 'authorizedCollections', 'cursor'], run: listCollections },
  /** `{n, writeErrors?}`; adds an ObjectId `_id` when absent; 11000 on duplicates. */
  insert: { fields: ['documents', 'ordered', 'bypassDocumentValidation'], run: insert },
  /** `{n, nModified, upserted?, writeErrors?}`; operators, replacement or pipeline; multi, upsert, arrayFilters. */
  update: { fields: ['updates', 'ordered', 'bypassDocumentValidation', 'let'], run: update },
  /** MongoDB 8.0 client bulkWrite: `{cursor: {firstBatch: [{ok, idx, n, ...}]}, nErrors, nInserted, nUpserted, nMatched, nModified, nDeleted}`. */
  bulkWrite: { fields: ['ops', 'nsInfo', 'ordered', 'bypassDocumentValidation', 'let', 'errorsOnly', 'cursor'], run: bulkWrite },
  /** `{n, writeErrors?}`; limit 0 (all) or 1. */
  delete: { fields: ['deletes', 'ordered', 'let'], run: deleteCommand },
  /** Cursor; filter, sort, projection, skip, limit, batchSize, singleBatch; equality on `_id` or indexed fields is a hash lookup. */
  find: {
    fields: [
      'filter',
      'sort',
      'projection',
      'skip',
      'limit',
      'batchSize',
      'singleBatch',
      'hint',
      'collation',
      'let',
      'allowDiskUse',
      'noCursorTimeout',
      'allowPartialResults',
      'readOnce',
      'oplogReplay',
      'tailable',
      'awaitData',
      'min',
      'max',
      'returnKey',
      'showRecordId',
      'explain',
    ],
    run: find,
  },
  /** `{cursor: {nextBatch, id, ns}}`; 43 CursorNotFound for expired or unknown ids. */
  getMore: { fields: ['collection', 'batchSize', 'term', 'lastKnownCommittedOpTime'], run: getMore },
  /** `{cursorsKilled, cursorsNotFound, cursorsAlive, cursorsUnknown}`. */
  killCursors: { fields: ['cursors'], run: killCursors },
  /** `{lastErrorObject: {n, updatedExisting, upserted?}, value}`; errors (11000 included) are top-level. */
  findAndModify: {
    fields: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'arrayFilters', 'bypassDocumentValidation', 'collation', 'hint', 'let'],
    run: findAndModify,
  },
  findandmodify: {
    fields: ['query', 'sort', 'remove', 'update', 'new', 'fields', 'upsert', 'arrayFilters', 'bypassDocumentValidation', 'collation', 'hint', 'let'],
    run: findAndModify,
  },
  /** Cursor; leading $match/$sort/$skip/$limit use the indexes, the rest runs in mingo ($lookup across the database). */
  aggregate: { fields: ['pipeline', 'cursor', 'explain', 'allowDiskUse', 'collation', 'hint', 'let', 'bypassDocumentValidation'], run: aggregate },
  /** `{n}` (estimatedDocumentCount, legacy count). */
  count: { fields: ['query', 'limit', 'skip', 'hint', 'collation', 'fields'], run: count },
  /** `{values}`; array fields contribute their elements. */
  distinct: { fields: ['key', 'query', 'collation', 'hint'], run: distinct },
  /** `{numIndexesBefore, numIndexesAfter, createdCollectionAutomatically, note?}`; 11000 over existing duplicates. */
  createIndexes: { fields: ['indexes', 'commitQuorum'], run: createIndexes },
  /** Cursor over index specs, `_id_` first; 26 NamespaceNotFound for a missing collection. */
  listIndexes: { fields: ['cursor'], run: listIndexes },
  /** `{nIndexesWas}`; index by name, key pattern, list of names or '*'. */
  dropIndexes: { fields: ['index'], run: dropIndexes },
  deleteIndexes: { fields: ['index'], run: dropIndexes },
  /** Sessions are not tracked; sent by drivers on close. */
  endSessions: { fields: '*', run: endSessions },
  /** Query plans do not exist here: refused rather than invented. */
  explain: { fields: '*', run: () => unsupported('explain') },
};

/** The commands of Stable API version 1 that this server has (apiStrict refuses the others, as mongod). */
const API_V1_COMMANDS = new Set([
  'abortTransaction',
  'aggregate',
  'bulkWrite',
  'collMod',
  'commitTransaction',
  'count',
  'create',
  'createIndexes',
  'delete',
  'drop',
  'dropDatabase',
  'dropIndexes',
  'endSessions',
  'explain',
  'find',
  'findAndModify',
  'getMore',
  'hello',
  'insert',
  'killCursors',
  'listCollections',
  'listIndexes',
  'ping',
  'update',
]);

function checkApiVersion(command: Doc, name: string): void {
  const version = command.apiVersion;
  if (version === undefined) {
    if (command.apiStrict !== undefined || command.apiDeprecationErrors !== undefined) {
      fail(4886600, 'Provided apiStrict and/or apiDeprecationErrors without passing apiVersion');
    }
    return;
  }
  if (version !== '1') fail(322, `API version must be "1"`);
  if (command.apiStrict === true && !API_V1_COMMANDS.has(name)) fail(323, `Provided apiStrict:true, but the command ${name} is not in API Version 1`);
}

/**
 * writeConcern and readConcern are accepted on every command; what a standalone cannot give is an
 * error, never a silent weaker guarantee.
 */
function checkConcerns(command: Doc): void {
  const wc = command.writeConcern;
  if (isPlainObject(wc) && wc.w !== undefined) {
    const w = toView(wc.w);
    if (typeof w === 'number' && w > 1) fail(ErrorCode.BadValue, "cannot use 'w' > 1 on a standalone");
    if (typeof w === 'string' && w !== 'majority') fail(ErrorCode.BadValue, `cannot use non-majority 'w' mode ${w} when a host is not a member of a replica set`);
  }
  const rc = command.readConcern;
  if (isPlainObject(rc)) {
    if (rc.level === 'snapshot' || rc.level === 'linearizable') unsupported(`readConcern level '${String(rc.level)}'`);
    for (const field of ['afterClusterTime', 'atClusterTime', 'afterOpTime']) if (rc[field] !== undefined) unsupported(`readConcern option '${field}'`);
  }
}

/**
 * Runs one command document (as decoded from OP_MSG, or from OP_QUERY for the handshake).
 * Returns the reply body; every failure becomes `{ok: 0, errmsg, code, codeName}`.
 */
export function runCommand(command: Document, ctx: CommandContext, viaOpQuery = false): ReplyBody {
  try {
    const name = Object.keys(command)[0];
    if (name === undefined) fail(ErrorCode.FailedToParse, 'Empty command object');
    if (viaOpQuery && !OP_QUERY_COMMANDS.has(name)) {
      fail(
        ErrorCode.UnsupportedOpQueryCommand,
        `Unsupported OP_QUERY command: ${name}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`,
      );
    }
    if (TRANSACTION_COMMANDS.has(name) || command.startTransaction !== undefined || command.autocommit !== undefined) {
      fail(ErrorCode.IllegalOperation, TRANSACTION_ERROR);
    }
    const spec = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!spec) fail(ErrorCode.CommandNotFound, `no such command: '${name}'`);
    if (spec.fields !== '*') {
      for (const field of Object.keys(command)) {
        if (field === name || GENERIC_FIELDS.has(field) || spec.fields.includes(field)) continue;
        fail(ErrorCode.UnknownField, `BSON field '${name}.${field}' is an unknown field.`);
      }
    }
    checkConcerns(command);
    if (isPlainObject(command.lsid)) ctx.store.sessions.touch(command.lsid.id);
    checkApiVersion(command, name);
    const db = validateDatabaseName(command.$db);
    return spec.run(command, db, ctx);
  } catch (err) {
    return asServerError(err).toReply();
  }
}
