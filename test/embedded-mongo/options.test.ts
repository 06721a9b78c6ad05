/**
 * Every option the mongodb 7.8 driver can put on each command it sends, through the driver's own
 * API: each one is either honoured (the check sees its effect, or that it changes nothing it
 * should not) or refused with code 115 naming it. Nothing is silently ignored.
 *
 * On a real server (MONGODB_URI) the options the embedded one refuses must simply work.
 */
import { MongoClient, MongoServerError, type Collection, type Db, type Document } from 'mongodb';
import { driverSuite } from './driver';

const suite = driverSuite('options');
const external = Boolean(process.env.MONGODB_URI);

interface Row {
  _id: number;
  a: number;
  s: string;
  sp?: number;
  tags?: number[];
}

const ROWS: Row[] = [
  { _id: 1, a: 1, s: 'b', sp: 1, tags: [1, 2] },
  { _id: 2, a: 2, s: 'A', tags: [3] },
  { _id: 3, a: 3, s: 'a', sp: 3 },
  { _id: 4, a: 4, s: 'c' },
  { _id: 5, a: 5, s: 'B' },
];

type Check = (result: unknown, coll: Collection<Row>) => void | Promise<void>;

interface Case {
  readonly option: string;
  readonly run: (coll: Collection<Row>) => Promise<unknown>;
  /** Asserts the option's effect; absent for options the embedded server refuses and no check is written for. */
  readonly honoured?: Check;
  /** The embedded server answers 115 naming the option (see src/embedded-mongo/limits.ts). */
  readonly refused?: true;
}

const ids = (docs: unknown) => (docs as Row[]).map((d) => d._id);
const same =
  (expected: unknown): Check =>
  (result) =>
    expect(result).toEqual(expected);
const allIds: Check = (docs) => expect(ids(docs)).toEqual([1, 2, 3, 4, 5]);
const countIs =
  (n: number): Check =>
  async (_r, coll) =>
    expect(await coll.countDocuments()).toBe(n);

/** Options every command takes that cannot change a result on a standalone (the check: they do not). */
const neutral = (run: (coll: Collection<Row>, options: Document) => Promise<unknown>, check: Check): Case[] => [
  { option: 'comment', run: (c) => run(c, { comment: 'why' }), honoured: check },
  { option: 'maxTimeMS', run: (c) => run(c, { maxTimeMS: 60_000 }), honoured: check },
];
const reads = (run: (coll: Collection<Row>, options: Document) => Promise<unknown>, check: Check): Case[] => [
  ...neutral(run, check),
  { option: 'readConcern local', run: (c) => run(c, { readConcern: { level: 'local' } }), honoured: check },
  { option: 'readConcern majority', run: (c) => run(c, { readConcern: { level: 'majority' } }), honoured: check },
  { option: 'readConcern snapshot', run: (c) => run(c, { readConcern: { level: 'snapshot' } }), refused: true },
];
const writes = (run: (coll: Collection<Row>, options: Document) => Promise<unknown>, check: Check): Case[] => [
  ...neutral(run, check),
  { option: 'writeConcern majority', run: (c) => run(c, { writeConcern: { w: 'majority', j: true, wtimeoutMS: 1000 } }), honoured: check },
];

const COMMANDS: Record<string, Case[]> = {
  find: [
    { option: 'sort', run: (c) => c.find({}).sort({ s: 1, _id: -1 }).toArray(), honoured: (d) => expect(ids(d)).toEqual([2, 5, 3, 1, 4]) },
    { option: 'projection', run: (c) => c.find({ _id: 1 }, { projection: { a: 1 } }).toArray(), honoured: same([{ _id: 1, a: 1 }]) },
    { option: 'skip', run: (c) => c.find({}, { skip: 3 }).toArray(), honoured: (d) => expect(ids(d)).toEqual([4, 5]) },
    { option: 'limit', run: (c) => c.find({}, { limit: 2 }).toArray(), honoured: (d) => expect(ids(d)).toEqual([1, 2]) },
    { option: 'batchSize', run: (c) => c.find({}, { batchSize: 2 }).toArray(), honoured: allIds },
    { option: 'hint (index name)', run: (c) => c.find({ a: { $gt: 3 } }, { hint: 'a_1' }).toArray(), honoured: (d) => expect(ids(d)).toEqual([4, 5]) },
    { option: 'hint (key pattern)', run: (c) => c.find({}, { hint: { a: 1 } }).toArray(), honoured: allIds },
    { option: 'hint (sparse index)', run: (c) => c.find({}, { hint: 'sp_1' }).toArray(), refused: true },
    { option: 'let', run: (c) => c.find({ $expr: { $eq: ['$a', '$$x'] } }, { let: { x: { $add: [1, 1] } } }).toArray(), honoured: (d) => expect(ids(d)).toEqual([2]) },
    { option: 'collation', run: (c) => c.find({ s: 'a' }, { collation: { locale: 'en', strength: 2 } }).toArray(), honoured: (d) => expect(ids(d).sort()).toEqual([2, 3]) },
    { option: 'allowDiskUse', run: (c) => c.find({}, { allowDiskUse: true }).sort({ a: -1 }).toArray(), honoured: (d) => expect(ids(d)).toEqual([5, 4, 3, 2, 1]) },
    { option: 'noCursorTimeout', run: (c) => c.find({}, { noCursorTimeout: true, batchSize: 1 }).toArray(), honoured: allIds },
    { option: 'allowPartialResults', run: (c) => c.find({}, { allowPartialResults: true }).toArray(), honoured: allIds },
    { option: 'oplogReplay', run: (c) => c.find({}, { oplogReplay: true }).toArray(), honoured: allIds },
    { option: 'tailable', run: (c) => c.find({}, { tailable: true }).toArray(), refused: true },
    { option: 'awaitData', run: (c) => c.find({}, { tailable: true, awaitData: true }).toArray(), refused: true },
    { option: 'min', run: (c) => c.find({}, { min: { a: 2 }, hint: { a: 1 } }).toArray(), refused: true },
    { option: 'max', run: (c) => c.find({}, { max: { a: 2 }, hint: { a: 1 } }).toArray(), refused: true },
    { option: 'returnKey', run: (c) => c.find({}, { returnKey: true }).toArray(), refused: true },
    { option: 'showRecordId', run: (c) => c.find({}, { showRecordId: true }).toArray(), refused: true },
    { option: 'explain', run: (c) => c.find({}).explain(), refused: true },
    ...reads((c, o) => c.find({}, o).toArray(), allIds),
  ],
  aggregate: [
    { option: 'batchSize', run: (c) => c.aggregate([{ $sort: { a: 1 } }], { batchSize: 1 }).toArray(), honoured: allIds },
    { option: 'allowDiskUse', run: (c) => c.aggregate([{ $sort: { a: 1 } }], { allowDiskUse: true }).toArray(), honoured: allIds },
    { option: 'hint', run: (c) => c.aggregate([{ $match: { a: { $lte: 2 } } }], { hint: 'a_1' }).toArray(), honoured: (d) => expect(ids(d)).toEqual([1, 2]) },
    { option: 'let', run: (c) => c.aggregate([{ $project: { _id: 0, v: '$$v' } }, { $limit: 1 }], { let: { v: { $literal: '$x' } } }).toArray(), honoured: same([{ v: '$x' }]) },
    {
      option: 'collation',
      run: (c) => c.aggregate([{ $match: { s: 'b' } }, { $sort: { _id: 1 } }], { collation: { locale: 'en', strength: 2 } }).toArray(),
      honoured: (d) => expect(ids(d)).toEqual([1, 5]),
    },
    {
      option: 'bypassDocumentValidation',
      run: (c) => c.aggregate([{ $match: { _id: 1 } }], { bypassDocumentValidation: true }).toArray(),
      honoured: (d) => expect(ids(d)).toEqual([1]),
    },
    { option: 'explain', run: (c) => c.aggregate([{ $match: {} }], { explain: true }).toArray(), refused: true },
    ...reads((c, o) => c.aggregate([{ $sort: { _id: 1 } }], o).toArray(), allIds),
  ],
  countDocuments: [
    { option: 'skip', run: (c) => c.countDocuments({}, { skip: 1 }), honoured: same(4) },
    { option: 'limit', run: (c) => c.countDocuments({}, { limit: 2 }), honoured: same(2) },
    { option: 'hint', run: (c) => c.countDocuments({ a: { $gt: 1 } }, { hint: { a: 1 } }), honoured: same(4) },
    { option: 'collation', run: (c) => c.countDocuments({ s: 'A' }, { collation: { locale: 'en', strength: 1 } }), honoured: same(2) },
    ...reads((c, o) => c.countDocuments({}, o), same(5)),
  ],
  count: [
    { option: 'estimatedDocumentCount', run: (c) => c.estimatedDocumentCount(), honoured: same(5) },
    { option: 'legacy count skip, limit, hint', run: (c) => c.count({ a: { $gt: 1 } }, { skip: 1, limit: 2, hint: 'a_1' }), honoured: same(2) },
    { option: 'legacy count collation', run: (c) => c.count({ s: 'B' }, { collation: { locale: 'en', strength: 2 } }), honoured: same(2) },
    ...reads((c, o) => c.estimatedDocumentCount(o), same(5)),
  ],
  distinct: [
    { option: 'hint', run: (c) => c.distinct('a', { a: { $lt: 3 } }, { hint: 'a_1' }), honoured: same([1, 2]) },
    {
      option: 'collation',
      run: (c) => c.distinct('s', { s: { $in: ['a', 'b'] } }, { collation: { locale: 'en', strength: 2 } }),
      honoured: (v) => expect((v as string[]).map((s) => s.toLowerCase()).sort()).toEqual(['a', 'b']),
    },
    ...reads((c, o) => c.distinct('a', {}, o), same([1, 2, 3, 4, 5])),
  ],
  findAndModify: [
    { option: 'sort', run: (c) => c.findOneAndUpdate({}, { $inc: { a: 10 } }, { sort: { a: -1 } }), honoured: (d) => expect((d as Row)._id).toBe(5) },
    { option: 'projection', run: (c) => c.findOneAndUpdate({ _id: 1 }, { $set: { x: 1 } }, { projection: { a: 1 } }), honoured: same({ _id: 1, a: 1 }) },
    {
      option: 'returnDocument',
      run: (c) => c.findOneAndUpdate({ _id: 1 }, { $set: { a: 7 } }, { returnDocument: 'after', projection: { a: 1 } }),
      honoured: same({ _id: 1, a: 7 }),
    },
    { option: 'upsert', run: (c) => c.findOneAndUpdate({ _id: 9 }, { $set: { a: 9 } }, { upsert: true, returnDocument: 'after' }), honoured: same({ _id: 9, a: 9 }) },
    {
      option: 'arrayFilters',
      run: (c) => c.findOneAndUpdate({ _id: 1 }, { $set: { 'tags.$[t]': 0 } }, { arrayFilters: [{ t: { $gt: 1 } }], returnDocument: 'after', projection: { tags: 1 } }),
      honoured: same({ _id: 1, tags: [1, 0] }),
    },
    { option: 'hint', run: (c) => c.findOneAndDelete({ a: 2 }, { hint: { a: 1 } }), honoured: countIs(4) },
    { option: 'let', run: (c) => c.findOneAndDelete({ $expr: { $eq: ['$a', '$$x'] } }, { let: { x: { $add: [2, 1] } } }), honoured: (d) => expect((d as Row)._id).toBe(3) },
    {
      option: 'collation',
      run: (c) => c.findOneAndReplace({ s: 'C' }, { a: 0, s: 'C' }, { collation: { locale: 'en', strength: 2 } }),
      honoured: (d) => expect((d as Row)._id).toBe(4),
    },
    {
      option: 'bypassDocumentValidation',
      run: (c) => c.findOneAndUpdate({ _id: 2 }, { $set: { a: 0 } }, { bypassDocumentValidation: true }),
      honoured: (d) => expect((d as Row)._id).toBe(2),
    },
    ...writes(
      (c, o) => c.findOneAndUpdate({ _id: 1 }, { $set: { a: 1 } }, o),
      (d) => expect((d as Row)._id).toBe(1),
    ),
  ],
  insert: [
    {
      option: 'ordered false',
      run: (c) =>
        c
          .insertMany(
            [
              { _id: 1, a: 0, s: '' },
              { _id: 6, a: 6, s: '' },
            ],
            { ordered: false },
          )
          .catch((e) => e),
      honoured: countIs(6),
    },
    {
      option: 'ordered true',
      run: (c) =>
        c
          .insertMany(
            [
              { _id: 1, a: 0, s: '' },
              { _id: 6, a: 6, s: '' },
            ],
            { ordered: true },
          )
          .catch((e) => e),
      honoured: countIs(5),
    },
    { option: 'forceServerObjectId', run: (c) => c.insertOne({ a: 6, s: '' } as Row, { forceServerObjectId: true }), honoured: countIs(6) },
    { option: 'bypassDocumentValidation', run: (c) => c.insertOne({ _id: 6, a: 6, s: '' }, { bypassDocumentValidation: true }), honoured: countIs(6) },
    {
      option: 'writeConcern w: 0',
      run: (c) => c.insertOne({ _id: 6, a: 6, s: '' }, { writeConcern: { w: 0 } }),
      honoured: (r) => expect((r as { acknowledged: boolean }).acknowledged).toBe(false),
    },
    ...writes((c, o) => c.insertOne({ _id: 6, a: 6, s: '' }, o), countIs(6)),
  ],
  update: [
    { option: 'upsert', run: (c) => c.updateOne({ _id: 7 }, { $set: { a: 7 } }, { upsert: true }), honoured: countIs(6) },
    {
      option: 'arrayFilters',
      run: (c) => c.updateOne({ _id: 1 }, { $inc: { 'tags.$[t]': 10 } }, { arrayFilters: [{ t: 2 }] }),
      honoured: async (_r, c) => expect((await c.findOne({ _id: 1 }))?.tags).toEqual([1, 12]),
    },
    { option: 'sort', run: (c) => c.updateOne({}, { $set: { s: 'z' } }, { sort: { a: -1 } }), honoured: async (_r, c) => expect((await c.findOne({ s: 'z' }))?._id).toBe(5) },
    {
      option: 'replaceOne sort',
      run: (c) => c.replaceOne({}, { a: 0, s: 'z' }, { sort: { s: 1 } }),
      honoured: async (_r, c) => expect((await c.findOne({ s: 'z' }))?._id).toBe(2),
    },
    {
      option: 'hint',
      run: (c) => c.updateMany({ a: { $gte: 4 } }, { $set: { s: 'z' } }, { hint: { a: 1 } }),
      honoured: (r) => expect((r as { modifiedCount: number }).modifiedCount).toBe(2),
    },
    { option: 'hint (missing index)', run: (c) => c.updateOne({}, { $set: { s: 'z' } }, { hint: 'nope' }).catch((e: MongoServerError) => e.code), honoured: same(2) },
    {
      option: 'let',
      run: (c) => c.updateMany({ $expr: { $gt: ['$a', '$$x'] } }, [{ $set: { s: '$$v' } }], { let: { x: { $add: [1, 2] }, v: { $literal: '$v' } } }),
      honoured: async (_r, c) => expect(await c.countDocuments({ s: '$v' })).toBe(2),
    },
    {
      option: 'collation',
      run: (c) => c.updateMany({ s: 'a' }, { $set: { hit: true } }, { collation: { locale: 'en', strength: 2 } }),
      honoured: (r) => expect((r as { modifiedCount: number }).modifiedCount).toBe(2),
    },
    {
      option: 'bypassDocumentValidation',
      run: (c) => c.updateOne({ _id: 1 }, { $set: { a: 0 } }, { bypassDocumentValidation: true }),
      honoured: (r) => expect((r as { modifiedCount: number }).modifiedCount).toBe(1),
    },
    { option: 'writeConcern w: 2', run: (c) => c.updateOne({ _id: 1 }, { $set: { a: 0 } }, { writeConcern: { w: 2 } }).catch((e: MongoServerError) => e.code), honoured: same(2) },
    ...writes(
      (c, o) => c.updateOne({ _id: 1 }, { $set: { a: 0 } }, o),
      (r) => expect((r as { modifiedCount: number }).modifiedCount).toBe(1),
    ),
  ],
  delete: [
    { option: 'hint', run: (c) => c.deleteMany({ a: { $lt: 3 } }, { hint: 'a_1' }), honoured: countIs(3) },
    { option: 'let', run: (c) => c.deleteMany({ $expr: { $lt: ['$a', '$$x'] } }, { let: { x: { $subtract: [5, 1] } } }), honoured: countIs(2) },
    { option: 'collation', run: (c) => c.deleteMany({ s: 'b' }, { collation: { locale: 'en', strength: 2 } }), honoured: countIs(3) },
    ...writes((c, o) => c.deleteOne({ _id: 1 }, o), countIs(4)),
  ],
  bulkWrite: [
    {
      option: 'per-operation sort, hint, collation, arrayFilters, upsert; let; ordered',
      run: (c) =>
        c.bulkWrite(
          [
            { updateOne: { filter: {}, update: { $set: { s: 'top' } }, sort: { a: -1 }, hint: { a: 1 } } },
            { updateMany: { filter: { s: 'A' }, update: { $set: { ci: true } }, collation: { locale: 'en', strength: 2 } } },
            { updateOne: { filter: { _id: 1 }, update: { $set: { 'tags.$[t]': 0 } }, arrayFilters: [{ t: 1 }] } },
            { replaceOne: { filter: { _id: 8 }, replacement: { a: 8, s: 'new' }, upsert: true } },
            { deleteOne: { filter: { $expr: { $eq: ['$a', '$$x'] } } } },
          ],
          { ordered: false, let: { x: { $add: [1, 1] } }, bypassDocumentValidation: true },
        ),
      honoured: async (r, c) => {
        expect(r).toMatchObject({ matchedCount: 4, modifiedCount: 4, upsertedCount: 1, deletedCount: 1 });
        expect((await c.findOne({ s: 'top' }))?._id).toBe(5);
        // 'A' at strength 2 matched _id 2 and 3; _id 2 (a: 2) was then deleted through let.
        expect(await c.countDocuments({ ci: true })).toBe(1);
      },
    },
  ],
  'client bulkWrite': [
    {
      option: 'let, ordered, bypassDocumentValidation, comment, verboseResults (errorsOnly), per-operation sort, collation, hint, arrayFilters',
      run: (c) =>
        suite().client.bulkWrite(
          [
            { name: 'updateOne', namespace: c.namespace, filter: {}, update: { $set: { s: 'top' } }, sort: { a: -1 }, hint: { a: 1 } },
            { name: 'updateMany', namespace: c.namespace, filter: { s: 'A' }, update: { $set: { ci: true } }, collation: { locale: 'en', strength: 2 } },
            { name: 'updateOne', namespace: c.namespace, filter: { _id: 1 } as never, update: { $set: { 'tags.$[t]': 0 } }, arrayFilters: [{ t: 1 }] },
            { name: 'deleteOne', namespace: c.namespace, filter: { $expr: { $eq: ['$a', '$$x'] } } },
          ],
          { ordered: true, let: { x: { $add: [1, 1] } }, bypassDocumentValidation: true, comment: 'why', verboseResults: false },
        ),
      honoured: async (r, c) => {
        expect(r).toMatchObject({ matchedCount: 4, modifiedCount: 4, deletedCount: 1 });
        expect((await c.findOne({ s: 'top' }))?._id).toBe(5);
        expect((await c.findOne({ _id: 1 }))?.tags).toEqual([0, 2]);
      },
    },
  ],
  createIndexes: [
    {
      option: 'unique',
      run: (c) =>
        c
          .createIndex({ s: 1 }, { unique: true })
          .then(() => c.insertOne({ _id: 6, a: 6, s: 'a' }))
          .catch((e: MongoServerError) => e.code),
      honoured: same(11000),
    },
    { option: 'sparse', run: (c) => c.createIndex({ z: 1 }, { unique: true, sparse: true }).then(() => c.insertOne({ _id: 6, a: 6, s: '' })), honoured: countIs(6) },
    {
      option: 'partialFilterExpression',
      run: (c) => c.createIndex({ s: 1 }, { unique: true, partialFilterExpression: { a: { $gt: 4 } } }).then(() => c.insertOne({ _id: 6, a: 0, s: 'a' })),
      honoured: countIs(6),
    },
    {
      option: 'expireAfterSeconds',
      run: (c) => c.createIndex({ at: 1 }, { expireAfterSeconds: 3600, name: 'ttl' }).then(() => c.listIndexes().toArray()),
      honoured: (specs) => expect((specs as Document[]).find((i) => i.name === 'ttl')?.expireAfterSeconds).toBe(3600),
    },
    {
      option: 'hidden',
      run: (c) =>
        c
          .createIndex({ s: 1 }, { hidden: true, name: 's_hidden' })
          .then(() => c.find({}, { hint: 's_hidden' }).toArray())
          .catch((e: MongoServerError) => e.code),
      honoured: same(2),
    },
    { option: 'name', run: (c) => c.createIndex({ s: -1 }, { name: 'by_s' }), honoured: same('by_s') },
    {
      option: 'collation',
      run: (c) => c.createIndex({ s: 1 }, { unique: true, collation: { locale: 'en', strength: 2 } }).catch((e: MongoServerError) => e.code),
      honoured: same(11000),
    },
    { option: 'wildcardProjection', run: (c) => c.createIndex({ '$**': 1 }, { wildcardProjection: { a: 1 } }), refused: true },
    { option: 'commitQuorum', run: (c) => c.createIndex({ s: 1 }, { commitQuorum: 'majority' }).catch((e: MongoServerError) => e.code), honoured: same(2) },
    ...writes((c, o) => c.createIndex({ s: 1 }, { name: 's_1', ...o }), same('s_1')),
  ],
  create: [
    {
      option: 'validator, validationLevel, validationAction',
      run: (c) =>
        c.db
          .createCollection('v1', { validator: { a: { $gt: 0 } }, validationLevel: 'strict', validationAction: 'error' })
          .then((v) => v.insertOne({ a: 0 }))
          .catch((e: MongoServerError) => e.code),
      honoured: same(121),
    },
    {
      option: 'viewOn, pipeline',
      run: (c) => c.db.createCollection('v2', { viewOn: 'opts', pipeline: [{ $match: { a: { $gt: 3 } } }] }).then((v) => v.countDocuments()),
      honoured: same(2),
    },
    {
      option: 'storageEngine, indexOptionDefaults',
      run: (c) => c.db.createCollection('v3', { storageEngine: {}, indexOptionDefaults: { storageEngine: {} } }).then((v) => v.countDocuments()),
      honoured: same(0),
    },
    {
      option: 'changeStreamPreAndPostImages',
      run: (c) => c.db.createCollection('v4', { changeStreamPreAndPostImages: { enabled: false } }).then((v) => v.countDocuments()),
      honoured: same(0),
    },
    {
      option: 'collation',
      run: (c) =>
        c.db
          .createCollection('v5', { collation: { locale: 'fr', strength: 1 } })
          .then((v) => v.insertMany([{ s: 'É' }, { s: 'e' }]))
          .then(() => c.db.collection('v5').countDocuments({ s: 'E' })),
      honoured: same(2),
    },
    { option: 'capped', run: (c) => c.db.createCollection('v6', { capped: true, size: 4096 }), refused: true },
    { option: 'timeseries', run: (c) => c.db.createCollection('v7', { timeseries: { timeField: 't' } }), refused: true },
    { option: 'clusteredIndex', run: (c) => c.db.createCollection('v8', { clusteredIndex: { key: { _id: 1 }, unique: true } }), refused: true },
    { option: 'expireAfterSeconds', run: (c) => c.db.createCollection('v9', { expireAfterSeconds: 60, clusteredIndex: { key: { _id: 1 }, unique: true } }), refused: true },
  ],
  listings: [
    {
      option: 'listCollections filter, nameOnly, authorizedCollections, batchSize',
      run: (c) => c.db.listCollections({ name: 'opts' }, { nameOnly: true, authorizedCollections: true, batchSize: 1 }).toArray(),
      honoured: same([{ name: 'opts', type: 'collection' }]),
    },
    {
      option: 'listDatabases filter, nameOnly, authorizedDatabases',
      run: (c) => c.db.admin().listDatabases({ nameOnly: true, authorizedDatabases: true, filter: { name: c.db.databaseName } }),
      honoured: (r) => expect((r as { databases: Document[] }).databases).toEqual([{ name: suite().db.databaseName }]),
    },
    {
      option: 'listIndexes batchSize',
      run: (c) => c.listIndexes({ batchSize: 1 }).toArray(),
      honoured: (specs) => expect((specs as Document[]).map((i) => i.name)).toEqual(['_id_', 'a_1', 'sp_1']),
    },
    ...neutral(
      (c, o) => c.indexes(o),
      (specs) => expect((specs as Document[]).length).toBe(3),
    ),
  ],
  renameCollection: [
    {
      option: 'dropTarget',
      run: (c) =>
        c.db
          .collection('other')
          .insertOne({ x: 1 })
          .then(() => c.rename('other', { dropTarget: true }))
          .then((r) => r.countDocuments()),
      honoured: same(5),
    },
    {
      option: 'without dropTarget (48 when the target exists)',
      run: (c) =>
        c.db
          .collection('other')
          .insertOne({ x: 1 })
          .then(() => c.rename('other'))
          .catch((e: MongoServerError) => e.code),
      honoured: same(48),
    },
    ...writes((c, o) => c.rename('renamed', o).then(async (r) => [await r.countDocuments(), (await r.indexes()).length]), same([5, 3])),
  ],
  drops: [
    ...writes(
      (c, o) => c.dropIndex('a_1', o),
      async (_r, c) => expect((await c.indexes()).length).toBe(2),
    ),
    ...writes((c, o) => c.drop(o), same(true)),
  ],
  'Stable API': [
    {
      option: 'apiStrict refuses commands outside version 1',
      run: () => withServerApi((db) => db.collection('opts').distinct('a')).catch((e: MongoServerError) => e.code),
      honoured: same(323),
    },
    { option: 'apiVersion 1 with apiStrict runs version 1 commands', run: () => withServerApi((db) => db.collection('opts').countDocuments()), honoured: same(5) },
  ],
};

/** A second client declaring the Stable API (apiVersion 1, strict). */
async function withServerApi<T>(run: (db: Db) => Promise<T>): Promise<T> {
  const client = new MongoClient(suite().mongo.uri, { serverApi: { version: '1', strict: true }, serverSelectionTimeoutMS: 5000 });
  try {
    await client.connect();
    return await run(client.db(suite().mongo.dbName));
  } finally {
    await client.close();
  }
}

async function fresh(): Promise<Collection<Row>> {
  const coll = suite().db.collection<Row>('opts');
  await suite().db.dropDatabase();
  await coll.insertMany(ROWS);
  await coll.createIndex({ a: 1 }, { name: 'a_1' });
  await coll.createIndex({ sp: 1 }, { name: 'sp_1', sparse: true });
  return coll;
}

describe.each(Object.entries(COMMANDS))('%s', (_command, cases) => {
  it.each(cases.map((c) => [c.option, c] as const))('%s', async (_option, testCase) => {
    const coll = await fresh();
    let result: unknown;
    try {
      result = await testCase.run(coll);
    } catch (err) {
      if (!testCase.refused || external || !(err instanceof MongoServerError)) throw err;
      expect(err.code).toBe(115);
      expect(err.message).toContain(testCase.option.split(' ')[0]);
      return;
    }
    if (testCase.refused && !external) throw new Error(`expected ${testCase.option} to be refused with 115`);
    await testCase.honoured?.(result, coll);
  });
});
