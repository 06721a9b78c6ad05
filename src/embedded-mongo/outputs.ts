/**
 * The aggregation stages that write: `$out` (replace a collection with the results) and `$merge`
 * (fold the results into a collection), run after the rest of the pipeline.
 */

import { ErrorCode, fail, unsupported } from './errors';
import { select } from './query';
import { Collection, validateCollectionName, validateDatabaseName, type Store } from './store';
import { applyUpdate } from './update';
import { formatDocument, isPlainObject, keyOf, toView, toViewDoc, valuesAtPath, type Doc } from './values';

function target(spec: unknown, db: string, stage: string): { db: string; coll: string } {
  if (typeof spec === 'string') return { db, coll: validateCollectionName(db, spec) };
  if (isPlainObject(spec) && typeof spec.coll === 'string') {
    const targetDb = spec.db === undefined ? db : validateDatabaseName(spec.db);
    return { db: targetDb, coll: validateCollectionName(targetDb, spec.coll) };
  }
  fail(ErrorCode.FailedToParse, `${stage} stage requires a collection name or {db, coll}`);
}

/**
 * `$out`: the target's documents become the results, all or nothing; its indexes and validator
 * stay, and apply to the new documents.
 */
function out(store: Store, db: string, spec: unknown, docs: Doc[], bypass: boolean): void {
  if (isPlainObject(spec) && spec.timeseries !== undefined) unsupported("$out option 'timeseries'");
  const to = target(isPlainObject(spec) ? { db: spec.db, coll: spec.coll } : spec, db, '$out');
  store.refuseView(to.db, to.coll);
  const existing = store.collection(to.db, to.coll);
  const replacement = new Collection(to.db, to.coll, existing?.options);
  replacement.validator = existing?.validator;
  for (const index of existing?.indexes ?? []) replacement.createIndex(index.spec);
  for (const doc of docs) replacement.insert(Collection.withId(doc), bypass);
  store.replaceCollection(replacement);
}

const WHEN_MATCHED = new Set(['replace', 'keepExisting', 'merge', 'fail']);
const WHEN_NOT_MATCHED = new Set(['insert', 'discard', 'fail']);

/** `$merge`: each result is matched on `on` (a unique key) and replaced, merged, kept, failed or inserted. */
function merge(store: Store, db: string, spec: unknown, docs: Doc[], bypass: boolean): void {
  const options: Doc = typeof spec === 'string' ? { into: spec } : isPlainObject(spec) ? spec : fail(ErrorCode.FailedToParse, '$merge requires a string or an object');
  for (const field of Object.keys(options)) {
    if (!['into', 'on', 'let', 'whenMatched', 'whenNotMatched'].includes(field)) fail(ErrorCode.UnknownField, `BSON field '$merge.${field}' is an unknown field.`);
  }
  if (options.let !== undefined) unsupported("$merge option 'let'");
  const to = target(options.into, db, '$merge');
  const on = options.on === undefined ? ['_id'] : [options.on].flat().map(String);
  const whenMatched = options.whenMatched ?? 'merge';
  const whenNotMatched = options.whenNotMatched ?? 'insert';
  if (!Array.isArray(whenMatched) && !WHEN_MATCHED.has(String(whenMatched)))
    fail(ErrorCode.BadValue, `Enumeration value '${String(whenMatched)}' for field '$merge.whenMatched' is not a valid value.`);
  if (!WHEN_NOT_MATCHED.has(String(whenNotMatched)))
    fail(ErrorCode.BadValue, `Enumeration value '${String(whenNotMatched)}' for field '$merge.whenNotMatched' is not a valid value.`);
  const { collection } = store.ensureCollection(to.db, to.coll);
  if (keyOf(on) !== keyOf(['_id'])) {
    const unique = collection.indexes.some((i) => i.unique && i.usableForEquality && !i.sparse && i.fields.length === on.length && on.every((f) => i.fields.includes(f)));
    if (!unique) fail(51183, 'Cannot find index to verify that join fields will be unique');
  }
  for (const result of docs) {
    const doc = on.includes('_id') ? Collection.withId(result) : result;
    const key: Doc = {};
    for (const field of on) {
      const { values, missing } = valuesAtPath(doc, field);
      if (missing || values.length !== 1 || values[0] === null || Array.isArray(values[0])) {
        fail(51132, `$merge write error: 'on' field '${field}' cannot be missing, null, undefined or an array`);
      }
      key[field] = { $eq: values[0] };
    }
    const [match] = select(collection, key, { limit: 1 });
    if (!match) {
      if (whenNotMatched === 'fail') fail(13113, '$merge could not find a matching document in the target collection for at least one document in the source collection');
      if (whenNotMatched === 'insert') collection.insert(Collection.withId(doc), bypass);
      continue;
    }
    if (whenMatched === 'keepExisting') continue;
    if (whenMatched === 'fail') {
      fail(ErrorCode.DuplicateKey, `E11000 duplicate key error collection: ${collection.ns} index: _id_ dup key: ${formatDocument({ _id: match.typed._id })}`, {
        keyPattern: { _id: 1 },
        keyValue: { _id: match.typed._id },
      });
    }
    let next: Doc;
    if (Array.isArray(whenMatched)) {
      next = applyUpdate(match.typed, whenMatched, { variables: { new: toViewDoc(doc) }, inserting: false }).typed;
    } else if (whenMatched === 'replace') {
      const { _id: _dropped, ...rest } = doc;
      next = { _id: match.typed._id, ...rest };
    } else {
      next = { ...match.typed, ...doc, _id: match.typed._id };
    }
    if (doc._id !== undefined && keyOf(toView(doc._id)) !== match.key) {
      fail(ErrorCode.ImmutableField, '$merge failed to update the matching document, did you attempt to modify the _id or the shard key?');
    }
    collection.replace(match, next, bypass);
  }
}

/** Runs a final `$out` or `$merge` stage over the pipeline's results. */
export function runWriteStage(store: Store, db: string, stage: Doc, docs: Doc[], bypass: boolean): void {
  if ('$out' in stage) out(store, db, stage.$out, docs, bypass);
  else merge(store, db, stage.$merge, docs, bypass);
}
