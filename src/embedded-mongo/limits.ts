/**
 * What the embedded MongoDB knowingly does not do, and how it says so.
 *
 * The rule: an unsupported feature is a clear error naming it, never a silently different result.
 * mingo (the query engine underneath) covers most of the query, update and aggregation language;
 * this list is where it or the in-memory design falls short of mongod.
 */
import { ErrorCode, fail, unsupported } from './errors';
import { checkSchema } from './schema';
import { bsonType, isPlainObject, toView, type Doc } from './values';

export interface Limitation {
  readonly feature: string;
  readonly answer: string;
}

/** Every known gap, with the reply it gets. Kept in sync with the checks below and in commands.ts. */
export const UNSUPPORTED: readonly Limitation[] = [
  {
    feature: 'multi-document transactions (startTransaction, autocommit: false, commitTransaction, abortTransaction)',
    answer: 'code 20 IllegalOperation, as a real standalone: "Transaction numbers are only allowed on a replica set member or mongos"',
  },
  { feature: 'change streams ($changeStream, watch())', answer: 'code 40573, as a real standalone: "The $changeStream stage is only supported on replica sets"' },
  { feature: '$text queries and text search', answer: 'code 27 IndexNotFound "text index required for $text query" (text indexes can be created, never used)' },
  { feature: 'geospatial query operators ($near, $nearSphere, $geoWithin, $geoIntersects) and $geoNear', answer: 'code 115 CommandNotSupported' },
  { feature: '$where, $function, $accumulator (server-side JavaScript)', answer: 'code 115 CommandNotSupported' },
  {
    feature:
      '$jsonSchema where it would see documents that are not stored ones (a $match after other stages, a view, $pull, arrayFilters), inside a field condition, or below the top level of a validator; $jsonSchema keywords $ref, definitions, format (as mongod: code 9)',
    answer: 'code 115 CommandNotSupported',
  },
  {
    feature:
      "errInfo.details of a validator's query operators: one entry per failing top-level field condition (operatorName, specifiedAs, reason, consideredValue); nested $and/$or/$nor get {operatorName, specifiedAs} only",
    answer: 'the failure itself (121) is exact; only these details are coarser than mongod',
  },
  { feature: "validationAction 'errorAndLog'", answer: 'code 115 CommandNotSupported' },
  { feature: 'collations on views', answer: 'code 115 CommandNotSupported (create); a query collation on a view is 167 as in mongod' },
  {
    feature:
      'collation version: listIndexes and listCollections report ICU 57.1 as mongod 8.0 does, but strings are compared by the platform ICU (Intl.Collator), which can order a few rare characters differently',
    answer: 'a documented difference, not an error',
  },
  {
    feature: '$type for int, long, double, decimal, objectId, binData, timestamp, minKey, maxKey, javascript (numbers are compared as plain numbers)',
    answer: 'code 115 CommandNotSupported',
  },
  {
    feature: 'collation strengths 4 and 5, alternate "shifted", maxVariable, backwards, normalization, caseLevel above strength 1, locale variants ("de@collation=phonebook")',
    answer: 'code 115 CommandNotSupported',
  },
  {
    feature:
      'under a non-simple collation: $regex, $expr, and aggregation stages after the leading $match/$sort other than $project/$addFields/$set/$unset/$replaceRoot/$replaceWith/$limit/$skip/$count without comparison operators',
    answer: 'code 115 CommandNotSupported',
  },
  {
    feature:
      '$search, $vectorSearch, $collStats, $indexStats, $currentOp, $listSessions, $planCacheStats (no statistics or operations are tracked, no config.system.sessions); $documents and $listLocalSessions other than as the first stage of aggregate: 1',
    answer: 'code 115 CommandNotSupported',
  },
  { feature: "$out to a time-series collection (option timeseries); $merge with a custom 'let'", answer: 'code 115 CommandNotSupported' },
  { feature: 'explain (find, aggregate, count, ...)', answer: 'code 115 CommandNotSupported' },
  { feature: 'tailable / awaitData cursors, min, max, returnKey, showRecordId in find', answer: 'code 115 CommandNotSupported' },
  { feature: 'positional projection (`field.$`) in find and findAndModify', answer: 'code 115 CommandNotSupported' },
  {
    feature: 'capped, time-series, clustered and encrypted collections (create options capped, timeseries, clusteredIndex, expireAfterSeconds, encryptedFields)',
    answer: 'code 115 CommandNotSupported',
  },
  {
    feature:
      "collMod other than validator, validationLevel, validationAction, a view's viewOn/pipeline, an index's hidden/expireAfterSeconds (timeseries, cappedSize, cappedMax, expireAfterSeconds, dryRun, changeStreamPreAndPostImages, index prepareUnique/unique)",
    answer: 'code 115 CommandNotSupported',
  },
  { feature: 'hints on a sparse, partial, text, geospatial or hashed index (the answer would leave documents out), hint {$natural: -1}', answer: 'code 115 CommandNotSupported' },
  { feature: "readConcern levels 'snapshot' and 'linearizable', afterClusterTime, atClusterTime (a standalone cannot give them)", answer: 'code 115 CommandNotSupported' },
  { feature: 'writeConcern w > 1 or a tag set (a standalone cannot give them)', answer: 'code 2 BadValue, as a standalone: "cannot use \'w\' > 1 on a standalone"' },
  { feature: "update statement field 'upsertSupplied' (internal to mongod)", answer: 'code 115 CommandNotSupported' },
  { feature: 'wildcard indexes ($**) and the index options wildcardProjection, prepareUnique, clustered', answer: 'code 115 CommandNotSupported' },
  { feature: "create options autoIndexId: false and an idIndex other than {key: {_id: 1}, name: '_id_'}", answer: 'code 115 CommandNotSupported' },
  { feature: 'createIndexes commitQuorum (a standalone has no replicas)', answer: 'code 2 BadValue, as a standalone: "Standalones can\'t specify commitQuorum"' },
  {
    feature: 'Stable API: apiVersion other than "1"; apiStrict with a command outside version 1 (distinct, listDatabases, buildInfo, ...)',
    answer: 'codes 322 and 323, as mongod',
  },
  { feature: '$currentDate with {$type: "timestamp"}', answer: 'code 115 CommandNotSupported' },
  { feature: 'regular expression options x and l (BSON regex or $options)', answer: 'code 115 CommandNotSupported' },
  { feature: 'commands not in the command table (dbStats, collStats, serverStatus, ...); renameCollection of a view (115)', answer: 'code 59 CommandNotFound' },
  { feature: 'unknown fields in a command', answer: 'code 40415, as mongod: "BSON field \'find.x\' is an unknown field."' },
  { feature: 'other query, update or aggregation operators mingo does not implement', answer: "code 2 BadValue with mingo's message naming the operator" },
  { feature: 'Decimal128 arithmetic and comparisons', answer: 'supported at double precision (about 15 significant digits); stored values keep their exact bytes until changed' },
  { feature: 'Long values beyond 2^53 in comparisons and arithmetic', answer: 'compared at double precision; stored values keep their exact bytes until changed' },
  {
    feature: 'numeric types in aggregation output and in array elements added by $push/$addToSet',
    answer: 'integral values come back as Int32 (or Double when out of range) unless they pass through unchanged from a stored field',
  },
  { feature: 'client bulkWrite nsInfo options collectionUUID, encryptionInformation, isTimeseriesNamespace', answer: 'code 115 CommandNotSupported' },
  {
    feature: 'authentication (saslStart, ...), replication, sharding, OP_COMPRESSED',
    answer: 'not advertised; the commands answer code 59 CommandNotFound; unknown opcodes close the connection',
  },
];

const GEO_OPERATORS = new Set(['$near', '$nearSphere', '$geoWithin', '$geoIntersects', '$within', '$box', '$center', '$centerSphere', '$polygon']);
/** $type aliases and codes whose answer mingo gets right on plain numbers and objects. */
const TYPE_ALIASES_OK = new Set<unknown>(['string', 'object', 'array', 'bool', 'boolean', 'date', 'null', 'regex', 'number', 'undefined', 2, 3, 4, 6, 8, 9, 10, 11]);

function checkRegex(v: unknown): void {
  if (bsonType(v) === 'BSONRegExp') {
    const options = (v as { options: string }).options;
    if (/[xl]/.test(options)) unsupported(`regular expression option '${options.replace(/[^xl]/g, '')}'`);
  }
}

/**
 * Throws for query operators listed in UNSUPPORTED. Walks the typed filter. `$jsonSchema` is
 * allowed where it applies to whole documents (the top level and logical operators), unless
 * `schemaAllowed` is false (inside a validator, which evaluates its top-level one itself).
 */
export function checkFilter(filter: unknown, depth = 0, schemaAllowed = true): void {
  if (depth > 100) fail(ErrorCode.BadValue, 'filter nested too deeply');
  if (Array.isArray(filter)) {
    for (const item of filter) checkFilter(item, depth + 1, schemaAllowed);
    return;
  }
  checkRegex(filter);
  if (!isPlainObject(filter)) return;
  for (const [key, value] of Object.entries(filter)) {
    if (key === '$text') fail(ErrorCode.IndexNotFound, 'text index required for $text query');
    if (key === '$where') unsupported('$where');
    if (key === '$jsonSchema') {
      if (!schemaAllowed) unsupported('$jsonSchema below the top level of a validator');
      checkSchema(value);
      continue;
    }
    if (key === '$options' && typeof value === 'string' && /[xl]/.test(value)) unsupported(`$regex $options '${value}'`);
    if (GEO_OPERATORS.has(key)) unsupported(`geospatial operator ${key}`);
    if (key === '$type') {
      for (const t of Array.isArray(value) ? value : [value]) {
        const alias = toView(t);
        if (!TYPE_ALIASES_OK.has(alias)) unsupported(`$type ${JSON.stringify(alias)}`);
      }
    }
    if (key === '$expr') checkExpression(value);
    else checkFilter(value, depth + 1, schemaAllowed && (key === '$and' || key === '$or' || key === '$nor'));
  }
}

/** Aggregation expressions: only server-side JavaScript is refused. */
export function checkExpression(expr: unknown, depth = 0): void {
  if (depth > 100) return;
  if (Array.isArray(expr)) {
    for (const item of expr) checkExpression(item, depth + 1);
    return;
  }
  if (!isPlainObject(expr)) return;
  for (const [key, value] of Object.entries(expr)) {
    if (key === '$function' || key === '$accumulator') unsupported(key);
    checkExpression(value, depth + 1);
  }
}

const UNSUPPORTED_STAGES = new Set([
  '$search',
  '$searchMeta',
  '$vectorSearch',
  '$collStats',
  '$indexStats',
  '$currentOp',
  '$listSessions',
  '$listLocalSessions',
  '$planCacheStats',
  '$documents',
  '$geoNear',
  '$listSearchIndexes',
  '$changeStreamSplitLargeEvent',
  '$shardedDataDistribution',
]);

const WRITE_STAGES = new Set(['$out', '$merge']);

/**
 * Throws for pipeline stages listed in UNSUPPORTED. `$out` and `$merge` are allowed as the last
 * stage of a top-level pipeline only, as in mongod.
 */
export function checkPipeline(pipeline: unknown, nestedIn?: string): Doc[] {
  if (!Array.isArray(pipeline)) fail(ErrorCode.TypeMismatch, "'pipeline' option must be specified as an array");
  pipeline.forEach((stage: unknown, i: number) => {
    if (!isPlainObject(stage) || Object.keys(stage).length !== 1) {
      fail(40323, 'A pipeline stage specification object must contain exactly one field.');
    }
    const [name] = Object.keys(stage);
    const body = stage[name];
    if (name === '$changeStream') fail(ErrorCode.ChangeStreamNotSupported, 'The $changeStream stage is only supported on replica sets');
    if (WRITE_STAGES.has(name)) {
      if (nestedIn) fail(51047, `${name} is not allowed to be used within a ${nestedIn} stage`);
      if (i !== pipeline.length - 1) fail(40601, `${name} can only be the final stage in the pipeline`);
    }
    if (UNSUPPORTED_STAGES.has(name)) unsupported(`aggregation stage ${name}`);
    if (name === '$match') checkFilter(body);
    else if (name === '$lookup' || name === '$facet' || name === '$unionWith') checkNested(body, name);
    else checkExpression(body);
  });
  return pipeline as Doc[];
}

function checkNested(body: unknown, stage: string): void {
  if (!isPlainObject(body)) return;
  for (const value of Object.values(body)) {
    if (Array.isArray(value) && value.every((s) => isPlainObject(s) && Object.keys(s)[0]?.startsWith('$'))) checkPipeline(value, stage);
    else if (isPlainObject(value)) checkNested(value, stage);
  }
}
