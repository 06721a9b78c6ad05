/**
 * Commands on databases, collections, views and indexes: create, collMod, drop, renameCollection,
 * the listings, createIndexes and dropIndexes.
 */
import { Aggregator } from 'mingo';
import { ErrorCode, fail, unsupported } from './errors';
import { collectionArg, cursorBatchSize, cursorReply, namespaceArg, objectArg, ok, refuse, truthy, type CommandContext } from './args';
import { normalizeCollation } from './collation';
import { checkFilter, checkPipeline } from './limits';
import { mingoOptions } from './query';
import { Collection, defaultIndexName, validateCollectionName } from './store';
import { Validator, parseValidation, type ValidationOptions } from './validation';
import { isPlainObject, keyOf, toView, toViewDoc, type Doc } from './values';
import type { ReplyBody } from './wire';

function approximateSize(collection: Collection): number {
  return collection.docs.size * 256 + 4096 * (collection.indexes.length + 1);
}

export function listDatabases(cmd: Doc, _db: string, ctx: CommandContext): Doc {
  let databases: Doc[] = [...ctx.store.databases.values()].map((database) => {
    const sizeOnDisk = [...database.collections.values()].reduce((n, c) => n + approximateSize(c), 0);
    return { name: database.name, sizeOnDisk, empty: false };
  });
  const filter = objectArg(cmd, 'listDatabases', 'filter');
  if (filter) {
    checkFilter(filter);
    databases = new Aggregator([{ $match: toViewDoc(filter) }], mingoOptions()).run(databases);
  }
  if (truthy(cmd.nameOnly)) return ok({ databases: databases.map((d) => ({ name: d.name })) });
  const totalSize = databases.reduce((n, d) => n + (d.sizeOnDisk as number), 0);
  return ok({ databases, totalSize, totalSizeMb: Math.round(totalSize / 1024 / 1024) });
}

export function dropDatabase(_cmd: Doc, db: string, ctx: CommandContext): Doc {
  ctx.store.dropDatabase(db);
  return ok();
}

function viewDefinition(cmd: Doc, command: string, db: string): { viewOn: string; pipeline: Doc[] } {
  const viewOn = cmd.viewOn;
  if (typeof viewOn !== 'string') fail(ErrorCode.TypeMismatch, `BSON field '${command}.viewOn' is the wrong type, expected type 'string'`);
  validateCollectionName(db, viewOn);
  const pipeline = checkPipeline(cmd.pipeline ?? []);
  for (const stage of pipeline) {
    const stageName = Object.keys(stage)[0];
    if (stageName === '$out' || stageName === '$merge') fail(ErrorCode.OptionNotSupportedOnView, `${stageName} cannot be used in a view definition`);
  }
  return { viewOn, pipeline };
}

export function create(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'create', db);
  refuse(cmd, 'create', ['capped', 'timeseries', 'expireAfterSeconds', 'clusteredIndex', 'encryptedFields']);
  if (cmd.autoIndexId !== undefined && !truthy(cmd.autoIndexId)) unsupported("create option 'autoIndexId: false'");
  const idIndex = objectArg(cmd, 'create', 'idIndex');
  if (idIndex && (keyOf(toView(idIndex.key)) !== keyOf({ _id: 1 }) || Object.keys(idIndex).some((k) => !['key', 'name', 'v', 'ns'].includes(k))))
    unsupported("create option 'idIndex' other than {key: {_id: 1}, name: '_id_'}");
  const collation = normalizeCollation(cmd.collation);
  if (ctx.store.collection(db, name) || ctx.store.view(db, name)) fail(ErrorCode.NamespaceExists, `Collection ${db}.${name} already exists.`);
  if (cmd.viewOn !== undefined || cmd.pipeline !== undefined) {
    if (cmd.viewOn === undefined) fail(ErrorCode.BadValue, "'pipeline' requires 'viewOn' to also be specified");
    for (const field of ['validator', 'validationLevel', 'validationAction', 'indexOptionDefaults', 'storageEngine', 'size', 'max', 'idIndex', 'changeStreamPreAndPostImages']) {
      if (cmd[field] !== undefined) fail(ErrorCode.InvalidOptions, `option not supported on a view: ${field}`);
    }
    if (collation) unsupported("create option 'collation' on a view");
    ctx.store.createView(db, { name, ...viewDefinition(cmd, 'create', db) });
    return ok();
  }
  const validation = parseValidation(cmd);
  const validator = validation && Object.keys(validation.validator).length ? new Validator(validation) : undefined;
  const { collection } = ctx.store.ensureCollection(db, name);
  collection.validator = validator;
  collection.options = { ...validation, ...(collation ? { collation } : {}) };
  return ok();
}

/**
 * collMod: the validator and its level/action, a view's definition, an index's `hidden` and
 * `expireAfterSeconds`. Other changes are refused (limits.UNSUPPORTED).
 */
export function collMod(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'collMod', db);
  refuse(cmd, 'collMod', ['timeseries', 'cappedSize', 'cappedMax', 'expireAfterSeconds', 'dryRun', 'changeStreamPreAndPostImages', 'recordIdsReplicated']);
  const view = ctx.store.view(db, name);
  if (view) {
    for (const field of ['validator', 'validationLevel', 'validationAction', 'index'])
      if (cmd[field] !== undefined) fail(ErrorCode.InvalidOptions, `option not supported on a view: ${field}`);
    if (cmd.viewOn !== undefined || cmd.pipeline !== undefined) {
      if (cmd.viewOn === undefined || cmd.pipeline === undefined)
        fail(ErrorCode.InvalidOptions, "Must specify both 'viewOn' and 'pipeline' when modifying a view and auth is enabled");
      Object.assign(view, viewDefinition(cmd, 'collMod', db));
    }
    return ok();
  }
  const collection = ctx.store.collection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${name}`);
  if (cmd.viewOn !== undefined || cmd.pipeline !== undefined)
    fail(ErrorCode.InvalidOptions, `option only supported on a view: ${cmd.viewOn !== undefined ? 'viewOn' : 'pipeline'}`);
  const reply: Doc = {};
  if (cmd.index !== undefined) Object.assign(reply, modifyIndex(collection, objectArg(cmd, 'collMod', 'index')!));
  if (cmd.validator !== undefined || cmd.validationLevel !== undefined || cmd.validationAction !== undefined) {
    const current = (collection.validator?.options ?? (collection.options.validationLevel ? collection.options : undefined)) as ValidationOptions | undefined;
    const validation = parseValidation(cmd, current)!;
    collection.validator = Object.keys(validation.validator).length ? new Validator(validation) : undefined;
    collection.options = { ...collection.options, ...validation };
  }
  return ok(reply);
}

function modifyIndex(collection: Collection, spec: Doc): Doc {
  for (const field of Object.keys(spec)) {
    if (!['keyPattern', 'name', 'hidden', 'expireAfterSeconds'].includes(field)) unsupported(`collMod index option '${field}'`);
  }
  const index =
    typeof spec.name === 'string'
      ? collection.indexes.find((i) => i.name === spec.name)
      : collection.indexes.find((i) => keyOf(toView(i.keyPattern)) === keyOf(toView(spec.keyPattern)));
  if (!index) fail(ErrorCode.IndexNotFound, `cannot find index ${JSON.stringify(toView(spec.name ?? spec.keyPattern))} for ns ${collection.ns}`);
  const reply: Doc = {};
  for (const option of ['hidden', 'expireAfterSeconds'] as const) {
    if (spec[option] === undefined) continue;
    if (option === 'expireAfterSeconds' && index.expireAfterSeconds === undefined) fail(ErrorCode.InvalidOptions, 'no expireAfterSeconds field to update');
    reply[`${option}_old`] = index.spec[option] ?? false;
    reply[`${option}_new`] = spec[option];
  }
  collection.modifyIndex(index.name, { hidden: spec.hidden, expireAfterSeconds: spec.expireAfterSeconds });
  return reply;
}

export function drop(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'drop', db);
  const dropped = ctx.store.dropCollection(db, name);
  if (!dropped) return ok();
  return ok({ nIndexesWas: dropped.indexes.length + 1, ns: dropped.ns });
}

/** renameCollection (run on admin): the documents, indexes and validator move; dropTarget replaces an existing target. */
export function renameCollection(cmd: Doc, db: string, ctx: CommandContext): Doc {
  if (db !== 'admin') fail(13, 'renameCollection may only be run against the admin database.');
  const from = namespaceArg(cmd, 'renameCollection');
  const to = namespaceArg(cmd, 'to');
  if (ctx.store.view(from.db, from.name)) unsupported('renameCollection of a view');
  const source = ctx.store.collection(from.db, from.name);
  if (!source) fail(ErrorCode.NamespaceNotFound, `Source collection ${from.db}.${from.name} does not exist`);
  if (from.db === to.db && from.name === to.name) fail(ErrorCode.IllegalOperation, "Can't rename a collection to itself");
  if (ctx.store.collection(to.db, to.name) || ctx.store.view(to.db, to.name)) {
    if (!truthy(cmd.dropTarget)) fail(ErrorCode.NamespaceExists, 'target namespace exists');
    ctx.store.refuseView(to.db, to.name);
  }
  const target = new Collection(to.db, to.name, source.options);
  target.validator = source.validator;
  for (const index of source.indexes) target.createIndex(index.spec);
  for (const record of source.docs.values()) target.insert(record.typed, true);
  ctx.store.dropCollection(from.db, from.name);
  ctx.store.replaceCollection(target);
  return ok();
}

export function listCollections(cmd: Doc, db: string, ctx: CommandContext): ReplyBody {
  const database = ctx.store.database(db);
  let entries: Doc[] = [...(database?.collections.values() ?? [])].map((c) => ({
    name: c.name,
    type: 'collection',
    options: c.options,
    info: { readOnly: false, uuid: c.uuid },
    idIndex: { v: 2, key: { _id: 1 }, name: '_id_' },
  }));
  for (const view of database?.views.values() ?? []) {
    entries.push({ name: view.name, type: 'view', options: { viewOn: view.viewOn, pipeline: view.pipeline }, info: { readOnly: true } });
  }
  const filter = objectArg(cmd, 'listCollections', 'filter');
  if (filter) {
    checkFilter(filter);
    entries = new Aggregator([{ $match: toViewDoc(filter) }], mingoOptions()).run(entries);
  }
  if (truthy(cmd.nameOnly)) entries = entries.map((e) => ({ name: e.name, type: e.type }));
  return cursorReply(ctx, `${db}.$cmd.listCollections`, entries, (e) => e, { batchSize: cursorBatchSize(cmd, 'listCollections') });
}

export function createIndexes(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const name = collectionArg(cmd, 'createIndexes', db);
  const specs = cmd.indexes;
  if (!Array.isArray(specs) || specs.length === 0) fail(ErrorCode.BadValue, 'Must specify at least one index to create');
  if (cmd.commitQuorum !== undefined) fail(ErrorCode.BadValue, "Standalones can't specify commitQuorum");
  const { collection, created } = ctx.store.ensureCollection(db, name);
  const before = collection.indexes.length + 1;
  for (const spec of specs) {
    if (!isPlainObject(spec)) fail(ErrorCode.TypeMismatch, 'index specifications must be objects');
    const withName = spec.name === undefined && isPlainObject(spec.key) ? { ...spec, name: defaultIndexName(spec.key) } : spec;
    collection.createIndex(withName);
  }
  const after = collection.indexes.length + 1;
  return ok({
    numIndexesBefore: before,
    numIndexesAfter: after,
    createdCollectionAutomatically: created,
    ...(before === after ? { note: 'all indexes already exist' } : {}),
  });
}

export function listIndexes(cmd: Doc, db: string, ctx: CommandContext): ReplyBody {
  const name = collectionArg(cmd, 'listIndexes', db);
  ctx.store.refuseView(db, name);
  const collection = ctx.store.collection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns does not exist: ${db}.${name}`);
  return cursorReply(ctx, `${db}.${name}`, collection.indexSpecs(), (s) => s, { batchSize: cursorBatchSize(cmd, 'listIndexes') });
}

export function dropIndexes(cmd: Doc, db: string, ctx: CommandContext): Doc {
  const command = Object.keys(cmd)[0];
  const name = collectionArg(cmd, command, db);
  ctx.store.refuseView(db, name);
  const collection = ctx.store.collection(db, name);
  if (!collection) fail(ErrorCode.NamespaceNotFound, `ns not found ${db}.${name}`);
  const nIndexesWas = collection.indexes.length + 1;
  const target = cmd.index;
  const names: string[] = [];
  if (target === '*') {
    names.push(...collection.indexes.map((i) => i.name));
  } else if (typeof target === 'string') {
    names.push(target);
  } else if (Array.isArray(target)) {
    names.push(...target.map(String));
  } else if (isPlainObject(target)) {
    const found = collection.indexes.find((i) => keyOf(toView(i.keyPattern)) === keyOf(toView(target)));
    if (!found) {
      if (keyOf(toView(target)) === keyOf({ _id: 1 })) fail(72, 'cannot drop _id index');
      fail(ErrorCode.IndexNotFound, `can't find index with key: ${JSON.stringify(toView(target))}`);
    }
    names.push(found.name);
  } else {
    fail(ErrorCode.TypeMismatch, "BSON field 'dropIndexes.index' is missing but a required field");
  }
  for (const indexName of names) {
    if (indexName === '_id_') fail(72, 'cannot drop _id index');
    if (!collection.indexes.some((i) => i.name === indexName)) fail(ErrorCode.IndexNotFound, `index not found with name [${indexName}]`);
  }
  for (const indexName of names) collection.dropIndex(indexName);
  return ok({ nIndexesWas, ...(target === '*' ? { msg: 'non-_id indexes dropped for collection' } : {}) });
}
