/**
 * In-memory storage: databases, collections, documents and their indexes.
 *
 * A collection keeps its documents in a Map keyed by the canonical encoding of `_id` (values.keyOf),
 * which is also the `_id_` index. Every other index is a set of hash maps, one per key prefix
 * (`{a: 1, b: 1}` has a map for `a` and one for `a, b`), from encoded key values to record keys.
 * The full-length map enforces `unique`; the prefix maps let an equality on leading fields
 * (`{accountId, userId}`) narrow candidates without a scan. Range queries and sorts scan.
 *
 * Methods either complete or throw before touching anything, so a write that violates a unique
 * index leaves the collection as it was.
 */
import { Query } from 'mingo';
import { createHash } from 'node:crypto';
import { Binary, ObjectId, UUID, type Document } from 'bson';
import { ErrorCode, fail, unsupported } from './errors';
import { collatedEqual, normalizeCollation, parseCollation } from './collation';
import { bsonType, formatDocument, isPlainObject, keyOf, scalarKind, scalarValue, toNumber, toView, toViewDoc, valuesAtPath, type Doc, type ScalarKind } from './values';

/** A collection's validator, as the store uses it (validation.Validator; declared here so the store depends on nothing above it). */
export interface DocumentValidator {
  /** validator, validationLevel, validationAction as given to create or collMod. */
  readonly options: Doc;
  /** Throws 121 DocumentValidationFailure; `before` is the document an update replaces. */
  check(typed: Doc, before: Doc | undefined): void;
}

/** One stored document. Immutable: an update replaces the record. */
export interface DocRecord {
  /** keyOf(_id): the key in Collection.docs and in every index set. */
  readonly key: string;
  /** Insertion sequence, kept across updates: the collection's natural order. */
  readonly seq: number;
  /** As received, exact BSON types. What replies are encoded from. */
  readonly typed: Doc;
  /** Plain-number form that mingo evaluates queries and updates on. */
  readonly view: Doc;
}

type IndexDirection = number | string;

const SPECIAL_INDEX_TYPES = new Set(['text', '2dsphere', '2d', 'hashed', 'geoHaystack']);

/** Index options that are stored and listed back; anything else in a spec is rejected. */
const KNOWN_INDEX_OPTIONS = new Set([
  'key',
  'name',
  'v',
  'unique',
  'sparse',
  'partialFilterExpression',
  'expireAfterSeconds',
  'background',
  'collation',
  'hidden',
  'weights',
  'default_language',
  'language_override',
  'textIndexVersion',
  '2dsphereIndexVersion',
  'bits',
  'min',
  'max',
  'storageEngine',
  'ns',
]);

/** Index options mongod knows that are not implemented here (wildcard and clustered indexes, unique conversion). */
const REFUSED_INDEX_OPTIONS = new Set(['wildcardProjection', 'prepareUnique', 'clustered']);

/** Options that make two specs with the same key different indexes (compared on conflicts). */
const SIGNIFICANT_INDEX_OPTIONS = ['unique', 'sparse', 'partialFilterExpression', 'expireAfterSeconds', 'collation'];

function tupleKey(parts: string[]): string {
  return parts.length === 1 ? parts[0] : JSON.stringify(parts);
}

interface IndexEntries {
  /** entries[i]: encoded keys of the first i+1 fields, deduplicated. */
  readonly byPrefix: string[][];
  /** Full-length key values (view form) for each full-length encoded key, for error messages. */
  readonly tuples: Map<string, unknown[]>;
}

export class Index {
  readonly name: string;
  readonly fields: string[];
  readonly keyPattern: Doc;
  readonly unique: boolean;
  readonly sparse: boolean;
  readonly expireAfterSeconds: number | undefined;
  /** False for text/geo/hashed indexes and partial ones: those never narrow a query. */
  readonly usableForEquality: boolean;
  private readonly partial: Query | undefined;
  private readonly maps: Map<string, Set<string>>[];
  /**
   * A unique index with a collation compares keys with it: its hash maps stay binary (they serve
   * equality lookups of queries without collation, whose answers they give exactly), and
   * uniqueness is checked against every held key tuple (a scan: collated unique indexes are rare).
   */
  private readonly collator: Intl.Collator | undefined;
  private readonly heldTuples = new Map<string, unknown[][]>();

  constructor(readonly spec: Doc) {
    this.name = String(spec.name);
    this.keyPattern = spec.key as Doc;
    this.fields = Object.keys(this.keyPattern);
    this.unique = spec.unique === true || (spec.unique !== undefined && toNumber(spec.unique) === 1);
    this.sparse = spec.sparse === true || (spec.sparse !== undefined && toNumber(spec.sparse) === 1);
    this.expireAfterSeconds = toNumber(spec.expireAfterSeconds);
    this.partial = spec.partialFilterExpression ? new Query(toViewDoc(spec.partialFilterExpression as Doc), {}) : undefined;
    const special = Object.values(this.keyPattern).some((d) => typeof d === 'string');
    this.usableForEquality = !special && !this.partial;
    this.maps = this.fields.map(() => new Map());
    this.collator = this.unique ? parseCollation(spec.collation) : undefined;
  }

  /** Keys a document contributes, or null when sparse/partial leave it out. */
  entries(view: Doc): IndexEntries | null {
    if (this.partial && !this.partial.test(view)) return null;
    const perField: unknown[][] = [];
    let allMissing = true;
    let arrayField: string | undefined;
    for (const field of this.fields) {
      const { values, missing } = valuesAtPath(view, field);
      if (!missing) allMissing = false;
      if (values.length > 1) {
        if (arrayField !== undefined) {
          fail(ErrorCode.CannotIndexParallelArrays, `cannot index parallel arrays [${field}] [${arrayField}]`);
        }
        arrayField = field;
      }
      perField.push(missing ? [null] : values.map((v) => (v === undefined ? null : v)));
    }
    if (this.sparse && allMissing) return null;
    const byPrefix: string[][] = [];
    const tuples = new Map<string, unknown[]>();
    let combos: { keys: string[]; values: unknown[] }[] = [{ keys: [], values: [] }];
    for (let i = 0; i < perField.length; i++) {
      const next: { keys: string[]; values: unknown[] }[] = [];
      for (const combo of combos) {
        for (const value of perField[i]) next.push({ keys: [...combo.keys, keyOf(value)], values: [...combo.values, value] });
      }
      combos = next;
      const encoded = new Set<string>();
      for (const combo of combos) {
        const key = tupleKey(combo.keys);
        encoded.add(key);
        if (i === perField.length - 1 && !tuples.has(key)) tuples.set(key, combo.values);
      }
      byPrefix.push([...encoded]);
    }
    return { byPrefix, tuples };
  }

  /** The full-length key (and its values) that another record already holds, if unique. */
  conflict(entries: IndexEntries | null, selfKey: string): unknown[] | undefined {
    if (!this.unique || !entries) return undefined;
    if (this.collator) {
      const collator = this.collator;
      for (const tuple of entries.tuples.values()) {
        for (const [holder, held] of this.heldTuples) {
          if (holder !== selfKey && held.some((other) => collatedEqual(collator, tuple, other))) return tuple;
        }
      }
      return undefined;
    }
    const full = this.maps[this.maps.length - 1];
    for (const key of entries.byPrefix[entries.byPrefix.length - 1]) {
      const holders = full.get(key);
      if (!holders) continue;
      for (const holder of holders) if (holder !== selfKey) return entries.tuples.get(key);
    }
    return undefined;
  }

  add(recordKey: string, entries: IndexEntries | null): void {
    if (!entries) return;
    if (this.collator) this.heldTuples.set(recordKey, [...entries.tuples.values()]);
    entries.byPrefix.forEach((keys, i) => {
      const map = this.maps[i];
      for (const key of keys) {
        let set = map.get(key);
        if (!set) map.set(key, (set = new Set()));
        set.add(recordKey);
      }
    });
  }

  remove(recordKey: string, entries: IndexEntries | null): void {
    if (!entries) return;
    this.heldTuples.delete(recordKey);
    entries.byPrefix.forEach((keys, i) => {
      const map = this.maps[i];
      for (const key of keys) {
        const set = map.get(key);
        if (!set) continue;
        set.delete(recordKey);
        if (set.size === 0) map.delete(key);
      }
    });
  }

  /** Record keys whose first `values.length` fields equal `values` (view form). */
  lookup(values: unknown[]): ReadonlySet<string> | undefined {
    return this.maps[values.length - 1].get(tupleKey(values.map(keyOf)));
  }

  clear(): void {
    for (const map of this.maps) map.clear();
    this.heldTuples.clear();
  }
}

export const ID_INDEX_SPEC: Doc = Object.freeze({ v: 2, key: { _id: 1 }, name: '_id_' });

/** mongod's default index name: `a_1_b_-1`. */
export function defaultIndexName(key: Doc): string {
  return Object.entries(key)
    .map(([k, v]) => `${k}_${String(toView(v))}`)
    .join('_');
}

function sameValue(a: unknown, b: unknown): boolean {
  return keyOf(toView(a)) === keyOf(toView(b));
}

/** mongod's storage validation: `$`-prefixed names are allowed in documents, never inside `_id`. */
function checkIdFieldNames(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) checkIdFieldNames(item);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [field, inner] of Object.entries(value)) {
    if (field.startsWith('$')) {
      fail(ErrorCode.DollarPrefixedFieldName, `_id fields may not contain '$'-prefixed fields: ${field} is not valid for storage.`);
    }
    checkIdFieldNames(inner);
  }
}

export class Collection {
  readonly docs = new Map<string, DocRecord>();
  readonly indexes: Index[] = [];
  readonly uuid = new UUID();
  private seq = 0;
  /**
   * True while every `_id` was inserted in ascending order and of one sortable type (sequential
   * numeric ids, ObjectIds from one generator): natural order is then also `_id` order, so a
   * `{_id: 1}` sort with a limit can stop at the first matches instead of sorting every match.
   */
  private ascending = true;
  private lastId: { kind: ScalarKind; value: number | string } | undefined;

  /** Natural (insertion) order is ascending `_id` order. */
  get naturalOrderIsIdOrder(): boolean {
    return this.ascending;
  }

  private trackIdOrder(id: unknown): void {
    if (!this.ascending) return;
    const kind = scalarKind(id);
    const last = this.lastId;
    if (kind === undefined || (last !== undefined && kind !== last.kind)) {
      this.ascending = false;
      return;
    }
    const value = scalarValue(id, kind);
    if (last !== undefined && !(value > last.value)) {
      this.ascending = false;
      return;
    }
    this.lastId = { kind, value };
  }

  /** The collection's validator (create / collMod), checked by insert and replace. */
  validator: DocumentValidator | undefined;

  constructor(
    readonly db: string,
    readonly name: string,
    /** As listCollections shows them. */
    public options: Doc = {},
  ) {}

  get ns(): string {
    return `${this.db}.${this.name}`;
  }

  indexSpecs(): Doc[] {
    return [ID_INDEX_SPEC, ...this.indexes.map((i) => i.spec)];
  }

  private duplicate(indexName: string, keyPattern: Doc, values: unknown[]): never {
    const keyValue: Doc = {};
    Object.keys(keyPattern).forEach((field, i) => {
      keyValue[field] = values[i] ?? null;
    });
    fail(ErrorCode.DuplicateKey, `E11000 duplicate key error collection: ${this.ns} index: ${indexName} dup key: ${formatDocument(keyValue)}`, { keyPattern, keyValue });
  }

  private checkId(typed: Doc): void {
    const id = typed._id;
    if (Array.isArray(id)) fail(ErrorCode.BadValue, "The '_id' value cannot be of type array");
    if (id instanceof RegExp || bsonType(id) === 'BSONRegExp') fail(ErrorCode.BadValue, "can't use a regex for _id");
    checkIdFieldNames(id);
  }

  /** Puts `_id` first, adding an ObjectId when absent, as mongod stores it. */
  static withId(typed: Doc): Doc {
    if (typed._id === undefined) return { _id: new ObjectId(), ...typed };
    if (Object.keys(typed)[0] === '_id') return typed;
    const { _id, ...rest } = typed;
    return { _id, ...rest };
  }

  /** Inserts a document that already has an `_id`. Throws 121 (validator) or 11000 without side effects. */
  insert(typed: Doc, bypassValidation = false): DocRecord {
    this.checkId(typed);
    if (!bypassValidation) this.validator?.check(typed, undefined);
    const view = toViewDoc(typed);
    const key = keyOf(view._id);
    if (this.docs.has(key)) this.duplicate('_id_', { _id: 1 }, [typed._id]);
    const entries = this.indexes.map((index) => index.entries(view));
    this.indexes.forEach((index, i) => {
      const clash = index.conflict(entries[i], key);
      if (clash) this.duplicate(index.name, index.keyPattern, clash);
    });
    const record: DocRecord = { key, seq: this.seq++, typed, view };
    this.docs.set(key, record);
    this.indexes.forEach((index, i) => index.add(key, entries[i]));
    this.trackIdOrder(view._id);
    return record;
  }

  /** Replaces a stored record with a new version of the same `_id`. Throws 11000 without side effects. */
  replace(old: DocRecord, typed: Doc, bypassValidation = false): DocRecord {
    if (!bypassValidation) this.validator?.check(typed, old.typed);
    const view = toViewDoc(typed);
    const entries = this.indexes.map((index) => index.entries(view));
    this.indexes.forEach((index, i) => {
      const clash = index.conflict(entries[i], old.key);
      if (clash) this.duplicate(index.name, index.keyPattern, clash);
    });
    const record: DocRecord = { key: old.key, seq: old.seq, typed, view };
    this.indexes.forEach((index, i) => {
      index.remove(old.key, index.entries(old.view));
      index.add(old.key, entries[i]);
    });
    this.docs.set(old.key, record);
    return record;
  }

  remove(record: DocRecord): void {
    const current = this.docs.get(record.key);
    if (!current) return;
    for (const index of this.indexes) index.remove(current.key, index.entries(current.view));
    this.docs.delete(record.key);
    if (this.docs.size === 0) {
      this.ascending = true;
      this.lastId = undefined;
    }
  }

  /** Validates a createIndexes spec and adds it; returns false when an identical index exists. */
  createIndex(spec: Doc): boolean {
    for (const option of Object.keys(spec)) if (REFUSED_INDEX_OPTIONS.has(option)) unsupported(`index option '${option}'`);
    const key = spec.key;
    if (!isPlainObject(key) || Object.keys(key).length === 0) {
      fail(ErrorCode.BadValue, "Index key pattern must be a non-empty object ('key' field)");
    }
    for (const [field, direction] of Object.entries(key)) {
      if (field.includes('$**')) unsupported(`wildcard index '${field}'`);
      const d = toView(direction) as IndexDirection;
      const valid = (typeof d === 'number' && d !== 0 && Number.isFinite(d)) || (typeof d === 'string' && SPECIAL_INDEX_TYPES.has(d));
      if (!valid) fail(67, `Values in index key pattern must be numbers or supported index types; found ${field}: ${String(d)}`);
    }
    if (typeof spec.name !== 'string' || !spec.name) fail(ErrorCode.BadValue, "The 'name' field is a required property of an index specification");
    for (const option of Object.keys(spec)) {
      if (!KNOWN_INDEX_OPTIONS.has(option)) fail(ErrorCode.BadValue, `The field '${option}' is not valid for an index specification. Specification: ${formatDocument(spec)}`);
    }
    // An index takes the collection's default collation unless it names its own, as in mongod.
    const collation = normalizeCollation(spec.collation ?? this.options.collation);
    if (spec.name === '_id_') {
      if (Object.keys(key).length === 1 && key._id !== undefined) return false;
      fail(ErrorCode.BadValue, "The index name '_id_' is reserved for the _id index");
    }
    const stored: Doc = { v: 2, key, name: spec.name };
    for (const [option, value] of Object.entries(spec)) {
      if (option === 'key' || option === 'name' || option === 'v' || option === 'background' || option === 'ns' || option === 'collation') continue;
      stored[option] = value;
    }
    if (collation) stored.collation = collation;
    if (sameValue(key, { _id: 1 })) fail(ErrorCode.IndexOptionsConflict, 'Index already exists with a different name: _id_');
    const sameName = this.indexes.find((i) => i.name === spec.name);
    const sameKey = this.indexes.find((i) => sameValue(i.keyPattern, key));
    const sameOptions = (existing: Index) => SIGNIFICANT_INDEX_OPTIONS.every((o) => sameValue(existing.spec[o] ?? false, stored[o] ?? false));
    if (sameName) {
      if (sameValue(sameName.keyPattern, key) && sameOptions(sameName)) return false;
      fail(
        ErrorCode.IndexKeySpecsConflict,
        sameValue(sameName.keyPattern, key)
          ? `An equivalent index already exists with the same name but different options. Requested index: ${formatDocument(stored)}, existing index: ${formatDocument(sameName.spec)}`
          : `An existing index has the same name as the requested index. When index names are not specified, they are auto generated and can cause conflicts. Please refer to our documentation. Requested index: ${formatDocument(stored)}, existing index: ${formatDocument(sameName.spec)}`,
      );
    }
    if (sameKey && sameOptions(sameKey)) {
      fail(ErrorCode.IndexOptionsConflict, `Index already exists with a different name: ${sameKey.name}`);
    }
    const index = new Index(stored);
    for (const record of this.docs.values()) {
      const entries = index.entries(record.view);
      const clash = index.conflict(entries, record.key);
      if (clash) {
        index.clear();
        this.duplicate(index.name, index.keyPattern, clash);
      }
      index.add(record.key, entries);
    }
    this.indexes.push(index);
    return true;
  }

  /** collMod: an index's `hidden` or `expireAfterSeconds`, rebuilt from its new spec. */
  modifyIndex(name: string, changes: { hidden?: unknown; expireAfterSeconds?: unknown }): void {
    const at = this.indexes.findIndex((i) => i.name === name);
    const spec: Doc = { ...this.indexes[at].spec };
    if (changes.hidden !== undefined) {
      if (changes.hidden === true) spec.hidden = true;
      else delete spec.hidden;
    }
    if (changes.expireAfterSeconds !== undefined) spec.expireAfterSeconds = changes.expireAfterSeconds;
    const index = new Index(spec);
    for (const record of this.docs.values()) index.add(record.key, index.entries(record.view));
    this.indexes[at] = index;
  }

  dropIndex(name: string): void {
    const at = this.indexes.findIndex((i) => i.name === name);
    if (at >= 0) this.indexes.splice(at, 1);
  }

  /** Documents whose TTL index date is older than expireAfterSeconds (mongod's TTL monitor). */
  expired(now: number): DocRecord[] {
    const out: DocRecord[] = [];
    for (const index of this.indexes) {
      if (index.expireAfterSeconds === undefined || index.fields.length !== 1) continue;
      const limit = now - index.expireAfterSeconds * 1000;
      for (const record of this.docs.values()) {
        const { values } = valuesAtPath(record.view, index.fields[0]);
        const dates = values.filter((v): v is Date => v instanceof Date);
        if (dates.length && Math.min(...dates.map((d) => d.getTime())) <= limit) out.push(record);
      }
    }
    return out;
  }
}

/** A view: a read-only namespace answering with `pipeline` run over `viewOn` (a collection or another view). */
export interface View {
  readonly name: string;
  viewOn: string;
  pipeline: Doc[];
}

export class Database {
  readonly collections = new Map<string, Collection>();
  readonly views = new Map<string, View>();

  constructor(readonly name: string) {}
}

/** SHA-256 of the empty user name: the `uid` of every session when there is no authentication. */
const ANONYMOUS_UID = new Binary(createHash('sha256').update('').digest());

/** Logical sessions seen in commands (`lsid`), until endSessions: what $listLocalSessions lists. */
export class Sessions {
  private readonly byId = new Map<string, { id: unknown; lastUse: number }>();
  /** Consecutive commands mostly carry the same session: its bytes skip the key and the lookup. */
  private last: { bytes: Uint8Array; session: { lastUse: number } } | undefined;

  touch(id: unknown): void {
    const bytes = bsonType(id) === 'Binary' ? (id as Binary).buffer : undefined;
    if (bytes && this.last && Buffer.compare(this.last.bytes, bytes) === 0) {
      this.last.session.lastUse = Date.now();
      return;
    }
    const key = keyOf(toView(id));
    let session = this.byId.get(key);
    if (session) session.lastUse = Date.now();
    else this.byId.set(key, (session = { id, lastUse: Date.now() }));
    this.last = bytes ? { bytes, session } : undefined;
  }

  end(id: unknown): void {
    this.byId.delete(keyOf(toView(id)));
    this.last = undefined;
  }

  list(): Doc[] {
    return [...this.byId.values()].map((s) => ({ _id: { id: s.id, uid: ANONYMOUS_UID }, lastUse: new Date(s.lastUse) }));
  }
}

/** Every database of one server. */
export class Store {
  readonly databases = new Map<string, Database>();
  readonly sessions = new Sessions();

  database(name: string): Database | undefined {
    return this.databases.get(name);
  }

  collection(db: string, name: string): Collection | undefined {
    return this.databases.get(db)?.collections.get(name);
  }

  view(db: string, name: string): View | undefined {
    return this.databases.get(db)?.views.get(name);
  }

  /** 166 CommandNotSupportedOnView for a write (or index change) addressed to a view. */
  refuseView(db: string, name: string): void {
    if (this.view(db, name)) fail(ErrorCode.CommandNotSupportedOnView, `Namespace ${db}.${name} is a view, not a collection`);
  }

  createView(db: string, view: View): void {
    let database = this.databases.get(db);
    if (!database) this.databases.set(db, (database = new Database(db)));
    database.views.set(view.name, view);
  }

  /** Collections are created implicitly by inserts, upserts and createIndexes, as in mongod. */
  ensureCollection(db: string, name: string, options?: Document): { collection: Collection; created: boolean } {
    validateCollectionName(db, name);
    this.refuseView(db, name);
    let database = this.databases.get(db);
    if (!database) this.databases.set(db, (database = new Database(db)));
    const existing = database.collections.get(name);
    if (existing) return { collection: existing, created: false };
    const collection = new Collection(db, name, options);
    database.collections.set(name, collection);
    return { collection, created: true };
  }

  /** Puts `collection` in place of any collection of its name ($out). */
  replaceCollection(collection: Collection): void {
    let database = this.databases.get(collection.db);
    if (!database) this.databases.set(collection.db, (database = new Database(collection.db)));
    database.collections.set(collection.name, collection);
  }

  dropCollection(db: string, name: string): Collection | undefined {
    const database = this.databases.get(db);
    const collection = database?.collections.get(name);
    if (database?.views.delete(name)) {
      if (database.collections.size === 0 && database.views.size === 0) this.databases.delete(db);
      return undefined;
    }
    if (!database || !collection) return undefined;
    database.collections.delete(name);
    if (database.collections.size === 0 && database.views.size === 0) this.databases.delete(db);
    return collection;
  }

  dropDatabase(db: string): void {
    this.databases.delete(db);
  }

  /** Deletes TTL-expired documents; returns how many went. */
  sweepExpired(now = Date.now()): number {
    let removed = 0;
    for (const database of this.databases.values()) {
      for (const collection of database.collections.values()) {
        for (const record of collection.expired(now)) {
          collection.remove(record);
          removed++;
        }
      }
    }
    return removed;
  }
}

export function validateDatabaseName(db: unknown): string {
  if (typeof db !== 'string' || db.length === 0) fail(ErrorCode.InvalidNamespace, `Invalid database name: '${String(db)}'`);
  if (/[/\\. "$\0]/.test(db) || db.length > 63) fail(ErrorCode.InvalidNamespace, `Invalid database name: '${db}'`);
  return db;
}

export function validateCollectionName(db: string, name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0') || name.includes('$')) {
    fail(ErrorCode.InvalidNamespace, `Invalid namespace specified '${db}.${String(name)}'`);
  }
  return name;
}
