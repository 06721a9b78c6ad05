/**
 * The embedded MongoDB against the raw driver: every command, its reply shape and error codes.
 * Runs unchanged against a real server when MONGODB_URI is set.
 */
import net from 'node:net';
import { Binary, Decimal128, Double, Int32, Long, ObjectId, serialize, type Document } from 'bson';
import { MongoClient, MongoServerError, type CommandStartedEvent, type CommandSucceededEvent, type Db, type UpdateFilter } from 'mongodb';
import { startTestMongo, type TestMongo } from '../helpers/mongo';
import { serverError } from './driver';

const embeddedOnly = process.env.MONGODB_URI ? it.skip : it;

let mongo: TestMongo;
let client: MongoClient;
let db: Db;
const started: CommandStartedEvent[] = [];
const succeeded: CommandSucceededEvent[] = [];

beforeAll(async () => {
  mongo = await startTestMongo();
  console.log(`embedded-mongo conformance suite: ${mongo.backend} backend`);
  client = new MongoClient(mongo.uri, { monitorCommands: true, serverSelectionTimeoutMS: 5000 });
  client.on('commandStarted', (e) => started.push(e));
  client.on('commandSucceeded', (e) => succeeded.push(e));
  await client.connect();
  db = client.db(mongo.dbName);
});

afterAll(async () => {
  await client?.close();
  await mongo?.stop();
});

/** The driver's typings reject some valid operators ($push modifiers) on schemaless collections. */
const raw = (update: Document) => update as UpdateFilter<Document>;

function hostPort(uri: string): { host: string; port: number } {
  const url = new URL(uri);
  return { host: url.hostname, port: Number(url.port || 27017) };
}

describe('handshake and server commands', () => {
  it('answers ping, hello and buildInfo as a standalone', async () => {
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
    const hello = await db.admin().command({ hello: 1 });
    expect(hello).toMatchObject({ isWritablePrimary: true, ok: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(9);
    expect(hello.maxBsonObjectSize).toBe(16 * 1024 * 1024);
    expect(hello.logicalSessionTimeoutMinutes).toBe(30);
    expect(typeof hello.connectionId).toBe('number');
    expect(hello.localTime).toBeInstanceOf(Date);
    const legacy = await db.admin().command({ isMaster: 1 });
    expect(legacy.ismaster).toBe(true);
    const info = await db.admin().command({ buildInfo: 1 });
    expect(typeof info.version).toBe('string');
    expect(Array.isArray(info.versionArray)).toBe(true);
  });

  it('reports unknown commands as 59 CommandNotFound', async () => {
    const err = await serverError(db.command({ noSuchThing: 1 }));
    expect(err.code).toBe(59);
    expect(err.codeName).toBe('CommandNotFound');
    expect(err.message).toContain("no such command: 'noSuchThing'");
  });

  it('rejects transactions with 20 IllegalOperation', async () => {
    const coll = db.collection('txn');
    await coll.insertOne({ a: 1 });
    const session = client.startSession();
    try {
      const err = await serverError(
        session.withTransaction(async () => {
          await coll.insertOne({ a: 2 }, { session });
        }),
      );
      // The driver wraps code 20 from a standalone into its "does not support retryable writes" error.
      const original = (err as MongoServerError & { originalError?: MongoServerError }).originalError ?? err;
      expect(original.code).toBe(20);
      expect(original.message).toContain('Transaction numbers are only allowed on a replica set member or mongos');
    } finally {
      await session.endSession();
    }
    expect(await coll.countDocuments({ a: 2 })).toBe(0);
  });

  it('rejects change streams with 40573', async () => {
    const err = await serverError(
      db
        .collection('cs')
        .aggregate([{ $changeStream: {} }])
        .toArray(),
    );
    expect(err.code).toBe(40573);
  });

  it('rejects unknown query operators with 2 BadValue', async () => {
    const err = await serverError(
      db
        .collection('text')
        .find({ a: { $bogus: 1 } })
        .toArray(),
    );
    expect(err.code).toBe(2);
    expect(err.message).toContain('$bogus');
  });

  it('rejects $text without a text index with 27', async () => {
    await db.collection('text').insertOne({ body: 'hello world' });
    const err = await serverError(
      db
        .collection('text')
        .find({ $text: { $search: 'hello' } })
        .toArray(),
    );
    expect(err.code).toBe(27);
  });
});

describe('databases and collections', () => {
  it('create, listCollections, drop; 48 for an existing collection', async () => {
    await db.createCollection('made');
    const err = await serverError(db.createCollection('made'));
    expect(err.code).toBe(48);
    expect(err.codeName).toBe('NamespaceExists');
    const names = (await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
    expect(names).toContain('made');
    const filtered = await db.listCollections({ name: 'made' }).toArray();
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toMatchObject({ name: 'made', type: 'collection' });
    expect(await db.collection('made').drop()).toBe(true);
    expect((await db.listCollections({ name: 'made' }).toArray()).length).toBe(0);
  });

  it('listDatabases and dropDatabase', async () => {
    const other = client.db(`${mongo.dbName}_x`);
    await other.collection('c').insertOne({ a: 1 });
    const { databases } = await db.admin().listDatabases();
    expect(databases.map((d) => d.name)).toContain(`${mongo.dbName}_x`);
    await other.dropDatabase();
    const after = await db.admin().listDatabases({ nameOnly: true });
    expect(after.databases.map((d) => d.name)).not.toContain(`${mongo.dbName}_x`);
  });
});

describe('insert and find', () => {
  const coll = () => db.collection('people');

  beforeAll(async () => {
    await coll().insertMany([
      { name: 'ann', age: 31, city: 'Oslo', tags: ['a', 'b'] },
      { name: 'bob', age: 25, city: 'Rome', tags: ['b'] },
      { name: 'cyd', age: 42, city: 'Oslo', tags: [] },
      { name: 'dan', age: 25, city: 'Lima' },
      { name: 'eve', age: 38, city: 'Rome', tags: ['c'] },
    ]);
  });

  it('adds an ObjectId _id and returns inserted ids', async () => {
    const res = await db.collection('ids').insertOne({ x: 1 });
    expect(res.insertedId).toBeInstanceOf(ObjectId);
    const doc = await db.collection('ids').findOne({ _id: res.insertedId });
    expect(doc?.x).toBe(1);
    expect(Object.keys(doc!)[0]).toBe('_id');
  });

  it('filters, sorts, projects, skips and limits', async () => {
    const docs = await coll()
      .find({ age: { $gte: 25 } }, { projection: { _id: 0, name: 1, age: 1 } })
      .sort({ age: -1, name: 1 })
      .skip(1)
      .limit(3)
      .toArray();
    expect(docs).toEqual([
      { name: 'eve', age: 38 },
      { name: 'ann', age: 31 },
      { name: 'bob', age: 25 },
    ]);
    const excluded = await coll().findOne({ name: 'ann' }, { projection: { tags: 0, _id: 0 } });
    expect(excluded).toEqual({ name: 'ann', age: 31, city: 'Oslo' });
  });

  it('matches array elements, $in, $or, $exists, $regex, $elemMatch and $expr', async () => {
    const names = async (filter: Document) => (await coll().find(filter).sort({ name: 1 }).toArray()).map((d) => d.name);
    expect(await names({ tags: 'b' })).toEqual(['ann', 'bob']);
    expect(await names({ city: { $in: ['Lima', 'Rome'] } })).toEqual(['bob', 'dan', 'eve']);
    expect(await names({ $or: [{ age: 42 }, { name: 'dan' }] })).toEqual(['cyd', 'dan']);
    expect(await names({ tags: { $exists: false } })).toEqual(['dan']);
    expect(await names({ name: { $regex: '^[ab]' } })).toEqual(['ann', 'bob']);
    expect(await names({ name: /^E/i })).toEqual(['eve']);
    expect(await names({ tags: { $size: 0 } })).toEqual(['cyd']);
    expect(await names({ $expr: { $gt: ['$age', 40] } })).toEqual(['cyd']);
  });

  it('spans several batches with getMore (101 first, then the rest)', async () => {
    const many = db.collection('many');
    await many.insertMany(Array.from({ length: 250 }, (_, i) => ({ i })));
    const before = started.length;
    const docs = await many.find({}).sort({ i: 1 }).toArray();
    expect(docs).toHaveLength(250);
    expect(docs[249].i).toBe(249);
    const names = started.slice(before).map((e) => e.commandName);
    expect(names).toContain('getMore');
    const replies = succeeded.filter((e) => e.commandName === 'find').map((e) => e.reply as Document);
    const first = replies.find((r) => String(r.cursor?.ns).endsWith('.many'));
    expect(first?.cursor.firstBatch).toHaveLength(101);
  });

  it('honours batchSize, singleBatch and closes cursors with killCursors', async () => {
    const many = db.collection('many');
    const before = started.length;
    expect(await many.find({}, { batchSize: 60 }).toArray()).toHaveLength(250);
    expect(started.slice(before).filter((e) => e.commandName === 'getMore')).toHaveLength(4);
    expect(await many.findOne({ i: 7 })).toMatchObject({ i: 7 });
    const cursor = many.find({}, { batchSize: 5 });
    await cursor.next();
    const killsBefore = started.filter((e) => e.commandName === 'killCursors').length;
    await cursor.close();
    expect(started.filter((e) => e.commandName === 'killCursors').length).toBe(killsBefore + 1);
    const killed = succeeded.filter((e) => e.commandName === 'killCursors').pop()?.reply as Document | undefined;
    expect(killed?.cursorsKilled).toHaveLength(1);
  });

  it('reports an unknown cursor id as 43 CursorNotFound', async () => {
    const err = await serverError(db.command({ getMore: Long.fromNumber(123456789), collection: 'many' }));
    expect(err.code).toBe(43);
  });

  it('does not alias: mutating a returned document changes nothing stored', async () => {
    const doc = await coll().findOne({ name: 'ann' });
    doc!.age = 99;
    (doc!.tags as string[]).push('zzz');
    expect(await coll().findOne({ name: 'ann' }, { projection: { _id: 0, age: 1, tags: 1 } })).toEqual({ age: 31, tags: ['a', 'b'] });
  });
});

describe('update and delete', () => {
  const coll = () => db.collection('upd');

  beforeEach(async () => {
    await coll().deleteMany({});
    await coll().insertMany([
      {
        _id: 1 as never,
        n: 1,
        items: [
          { k: 'a', v: 1 },
          { k: 'b', v: 2 },
        ],
      },
      { _id: 2 as never, n: 2, items: [] },
      { _id: 3 as never, n: 3 },
    ]);
  });

  it('updateOne, updateMany, nModified and no-op updates', async () => {
    expect(await coll().updateOne({ _id: 1 as never }, { $set: { n: 10 } })).toMatchObject({ matchedCount: 1, modifiedCount: 1 });
    expect(await coll().updateOne({ _id: 1 as never }, { $set: { n: 10 } })).toMatchObject({ matchedCount: 1, modifiedCount: 0 });
    expect(await coll().updateMany({ n: { $lt: 5 } }, { $inc: { n: 100 } })).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    expect((await coll().find().sort({ _id: 1 }).toArray()).map((d) => d.n)).toEqual([10, 102, 103]);
  });

  it('upserts with $setOnInsert and query equality seeding', async () => {
    const res = await coll().updateOne({ key: 'k1', n: 7 }, { $set: { x: 1 }, $setOnInsert: { created: true } }, { upsert: true });
    expect(res.upsertedCount).toBe(1);
    const doc = await coll().findOne({ _id: res.upsertedId! });
    expect(doc).toMatchObject({ key: 'k1', n: 7, x: 1, created: true });
    await coll().updateOne({ key: 'k1' }, { $set: { x: 2 }, $setOnInsert: { created: false } }, { upsert: true });
    expect(await coll().findOne({ key: 'k1' })).toMatchObject({ x: 2, created: true });
  });

  it('supports $push with $each/$sort/$slice, $addToSet, $pull, $unset, $rename, arrayFilters and positional $', async () => {
    await coll().updateOne(
      { _id: 2 as never },
      raw({
        $push: {
          items: {
            $each: [
              { k: 'z', v: 9 },
              { k: 'c', v: 3 },
              { k: 'a', v: 0 },
            ],
            $sort: { v: -1 },
            $slice: 2,
          },
        },
      }),
    );
    expect((await coll().findOne({ _id: 2 as never }))!.items).toEqual([
      { k: 'z', v: 9 },
      { k: 'c', v: 3 },
    ]);
    await coll().updateOne({ _id: 3 as never }, raw({ $push: { list: { $each: [3, 1, 2], $sort: 1 } } }));
    expect((await coll().findOne({ _id: 3 as never }))!.list).toEqual([1, 2, 3]);
    await coll().updateOne({ _id: 3 as never }, { $addToSet: { list: { $each: [2, 4] } }, $unset: { n: '' } });
    await coll().updateOne({ _id: 3 as never }, raw({ $pull: { list: { $lt: 2 } } }));
    await coll().updateOne({ _id: 3 as never }, { $rename: { list: 'nums' } });
    expect(await coll().findOne({ _id: 3 as never })).toEqual({ _id: 3, nums: [2, 3, 4] });
    await coll().updateOne({ _id: 1 as never }, { $set: { 'items.$[el].v': 50 } }, { arrayFilters: [{ 'el.k': 'b' }] });
    await coll().updateOne({ _id: 1 as never, 'items.k': 'a' }, { $inc: { 'items.$.v': 5 } });
    expect((await coll().findOne({ _id: 1 as never }))!.items).toEqual([
      { k: 'a', v: 6 },
      { k: 'b', v: 50 },
    ]);
  });

  it('replaces documents and runs pipeline updates', async () => {
    await coll().replaceOne({ _id: 2 as never }, { fresh: true });
    expect(await coll().findOne({ _id: 2 as never })).toEqual({ _id: 2, fresh: true });
    await coll().updateOne({ _id: 3 as never }, [{ $set: { doubled: { $multiply: ['$n', 2] } } }]);
    expect(await coll().findOne({ _id: 3 as never })).toEqual({ _id: 3, n: 3, doubled: 6 });
  });

  it('refuses to change _id (66) and bad $inc targets (14), unknown operators (9)', async () => {
    expect((await serverError(coll().updateOne({ _id: 1 as never }, { $set: { _id: 5 } }))).code).toBe(66);
    await coll().updateOne({ _id: 3 as never }, { $set: { s: 'text' } });
    expect((await serverError(coll().updateOne({ _id: 3 as never }, { $inc: { s: 1 } }))).code).toBe(14);
    expect((await serverError(coll().updateOne({ _id: 3 as never }, { $bogus: { s: 1 } } as never))).code).toBe(9);
    expect((await serverError(coll().updateOne({ _id: 3 as never }, { $set: { a: 1 }, $inc: { a: 1 } }))).code).toBe(40);
  });

  it('deleteOne and deleteMany', async () => {
    expect(await coll().deleteOne({ n: { $gte: 2 } })).toMatchObject({ deletedCount: 1 });
    expect(await coll().deleteMany({})).toMatchObject({ deletedCount: 2 });
    expect(await coll().countDocuments()).toBe(0);
  });

  it('findOneAndUpdate / Replace / Delete with sort, projection, upsert and returnDocument', async () => {
    const before = await coll().findOneAndUpdate({}, { $inc: { n: 1 } }, { sort: { n: -1 }, returnDocument: 'before' });
    expect(before).toMatchObject({ _id: 3, n: 3 });
    const after = await coll().findOneAndUpdate({ _id: 3 as never }, { $inc: { n: 1 } }, { returnDocument: 'after', projection: { n: 1, _id: 0 } });
    expect(after).toEqual({ n: 5 });
    const up = await coll().findOneAndUpdate(
      { _id: 9 as never },
      { $inc: { n: 1 }, $setOnInsert: { v: 0 } },
      { upsert: true, returnDocument: 'after', includeResultMetadata: true },
    );
    expect(up.value).toEqual({ _id: 9, n: 1, v: 0 });
    expect(up.lastErrorObject).toMatchObject({ n: 1, updatedExisting: false, upserted: 9 });
    const missing = await coll().findOneAndUpdate({ _id: 99 as never }, { $set: { n: 1 } }, { includeResultMetadata: true });
    expect(missing.value).toBeNull();
    expect(missing.lastErrorObject).toMatchObject({ n: 0, updatedExisting: false });
    const replaced = await coll().findOneAndReplace({ _id: 2 as never }, { r: 1 }, { returnDocument: 'after' });
    expect(replaced).toEqual({ _id: 2, r: 1 });
    const removed = await coll().findOneAndDelete({ n: { $exists: true } }, { sort: { n: 1, _id: -1 } });
    expect(removed).toMatchObject({ _id: 9 });
    expect(await coll().countDocuments()).toBe(3);
  });

  it('ends 100 concurrent $inc upserts on one counter at exactly 100', async () => {
    const counters = db.collection('counters');
    await Promise.all(Array.from({ length: 100 }, () => counters.findOneAndUpdate({ _id: 'c' as never }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' })));
    await Promise.all(Array.from({ length: 100 }, () => counters.updateOne({ _id: 'd' as never }, { $inc: { seq: 1 } }, { upsert: true })));
    expect(await counters.findOne({ _id: 'c' as never })).toEqual({ _id: 'c', seq: 100 });
    expect(await counters.findOne({ _id: 'd' as never })).toEqual({ _id: 'd', seq: 100 });
  });
});

describe('aggregate, count, distinct', () => {
  const orders = () => db.collection('orders');
  const customers = () => db.collection('customers');

  beforeAll(async () => {
    await customers().insertMany([
      { _id: 'c1' as never, name: 'Acme' },
      { _id: 'c2' as never, name: 'Globex' },
    ]);
    await orders().insertMany([
      { customer: 'c1', total: 10, items: ['x', 'y'], status: 'open' },
      { customer: 'c1', total: 20, items: ['y'], status: 'closed' },
      { customer: 'c2', total: 5, items: ['z'], status: 'open' },
      { customer: 'c2', total: 7, items: [], status: 'open' },
    ]);
  });

  it('$match $sort $skip $limit $project $addFields', async () => {
    const docs = await orders()
      .aggregate([
        { $match: { status: 'open' } },
        { $sort: { total: -1 } },
        { $skip: 1 },
        { $limit: 2 },
        { $project: { _id: 0, total: 1 } },
        { $addFields: { double: { $multiply: ['$total', 2] } } },
      ])
      .toArray();
    expect(docs).toEqual([
      { total: 7, double: 14 },
      { total: 5, double: 10 },
    ]);
  });

  it('$group $count $unwind $lookup $facet', async () => {
    const grouped = await orders()
      .aggregate([{ $group: { _id: '$customer', sum: { $sum: '$total' }, n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(grouped).toEqual([
      { _id: 'c1', sum: 30, n: 2 },
      { _id: 'c2', sum: 12, n: 2 },
    ]);
    expect(
      await orders()
        .aggregate([{ $match: { status: 'open' } }, { $count: 'open' }])
        .toArray(),
    ).toEqual([{ open: 3 }]);
    const unwound = await orders()
      .aggregate([{ $unwind: '$items' }, { $group: { _id: '$items', n: { $sum: 1 } } }, { $sort: { _id: 1 } }])
      .toArray();
    expect(unwound).toEqual([
      { _id: 'x', n: 1 },
      { _id: 'y', n: 2 },
      { _id: 'z', n: 1 },
    ]);
    const joined = await orders()
      .aggregate([
        { $match: { total: 20 } },
        { $lookup: { from: 'customers', localField: 'customer', foreignField: '_id', as: 'who' } },
        { $project: { _id: 0, total: 1, who: 1 } },
      ])
      .toArray();
    expect(joined).toEqual([{ total: 20, who: [{ _id: 'c1', name: 'Acme' }] }]);
    const [facets] = await orders()
      .aggregate([{ $facet: { open: [{ $match: { status: 'open' } }, { $count: 'n' }], top: [{ $sort: { total: -1 } }, { $limit: 1 }, { $project: { _id: 0, total: 1 } }] } }])
      .toArray();
    expect(facets).toEqual({ open: [{ n: 3 }], top: [{ total: 20 }] });
  });

  it('countDocuments, estimatedDocumentCount, count with skip/limit, distinct', async () => {
    expect(await orders().countDocuments({ status: 'open' })).toBe(3);
    expect(await orders().countDocuments({ status: 'nope' })).toBe(0);
    expect(await orders().countDocuments({}, { skip: 1, limit: 2 })).toBe(2);
    expect(await orders().estimatedDocumentCount()).toBe(4);
    expect((await db.command({ count: 'orders', query: { customer: 'c1' } })).n).toBe(2);
    expect((await orders().distinct('items')).sort()).toEqual(['x', 'y', 'z']);
    expect((await orders().distinct('customer', { total: { $gt: 6 } })).sort()).toEqual(['c1', 'c2']);
  });
});

describe('indexes', () => {
  it('createIndexes, listIndexes, dropIndexes', async () => {
    const coll = db.collection('ix');
    await coll.insertOne({ a: 1, b: 1 });
    expect(await coll.createIndex({ a: 1 })).toBe('a_1');
    expect(await coll.createIndex({ a: 1, b: -1 }, { name: 'ab' })).toBe('ab');
    const indexes = await coll.listIndexes().toArray();
    expect(indexes.map((i) => i.name)).toEqual(['_id_', 'a_1', 'ab']);
    expect(indexes[0]).toMatchObject({ v: 2, key: { _id: 1 }, name: '_id_' });
    expect(indexes[2].key).toEqual({ a: 1, b: -1 });
    await coll.dropIndex('a_1');
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'ab']);
    await coll.dropIndexes();
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
    expect((await serverError(coll.dropIndex('nope'))).code).toBe(27);
  });

  it('listIndexes on a missing collection is 26 NamespaceNotFound', async () => {
    const err = await serverError(db.collection('never_created').listIndexes().toArray());
    expect(err.code).toBe(26);
    expect(err.codeName).toBe('NamespaceNotFound');
  });

  it('enforces unique indexes with 11000, keyPattern and keyValue', async () => {
    const coll = db.collection('uniq');
    await coll.createIndex({ email: 1 }, { unique: true });
    await coll.insertOne({ email: 'a@x.io' });
    const err = await serverError(coll.insertOne({ email: 'a@x.io' }));
    expect(err.code).toBe(11000);
    expect(err.message).toMatch(/E11000 duplicate key error collection: .*\.uniq index: email_1 dup key: \{ email: "a@x\.io" \}/);
    expect(err.keyPattern).toEqual({ email: 1 });
    expect(err.keyValue).toEqual({ email: 'a@x.io' });
    const idErr = await serverError(coll.insertOne({ _id: (await coll.findOne())!._id, email: 'other' }));
    expect(idErr.code).toBe(11000);
    expect(idErr.message).toContain('index: _id_ dup key: { _id: ObjectId(');
  });

  it('treats a missing field as null unless sparse or partial', async () => {
    const plain = db.collection('uniq_null');
    await plain.createIndex({ code: 1 }, { unique: true });
    await plain.insertOne({ x: 1 });
    const err = await serverError(plain.insertOne({ x: 2 }));
    expect(err.code).toBe(11000);
    expect(err.keyValue).toEqual({ code: null });
    const sparse = db.collection('uniq_sparse');
    await sparse.createIndex({ code: 1 }, { unique: true, sparse: true });
    await sparse.insertMany([{ x: 1 }, { x: 2 }]);
    const partial = db.collection('uniq_partial');
    await partial.createIndex({ code: 1 }, { unique: true, partialFilterExpression: { code: { $exists: true } } });
    await partial.insertMany([{ x: 1 }, { x: 2 }, { code: 'a' }]);
    expect((await serverError(partial.insertOne({ code: 'a' }))).code).toBe(11000);
  });

  it('enforces compound unique indexes', async () => {
    const coll = db.collection('uniq_compound');
    await coll.createIndex({ accountId: 1, userId: 1 }, { unique: true });
    await coll.insertMany([
      { accountId: 'a', userId: 1 },
      { accountId: 'a', userId: 2 },
      { accountId: 'b', userId: 1 },
    ]);
    const err = await serverError(coll.insertOne({ accountId: 'a', userId: 2 }));
    expect(err.code).toBe(11000);
    expect(err.keyPattern).toEqual({ accountId: 1, userId: 1 });
    expect(err.keyValue).toEqual({ accountId: 'a', userId: 2 });
    expect(err.message).toContain('dup key: { accountId: "a", userId: 2 }');
    expect(await coll.findOne({ accountId: 'a', userId: 2 }, { projection: { _id: 0 } })).toEqual({ accountId: 'a', userId: 2 });
  });

  it('checks uniqueness on update, upsert and findAndModify, leaving the document unchanged', async () => {
    const coll = db.collection('uniq_update');
    await coll.createIndex({ name: 1 }, { unique: true });
    await coll.insertMany([
      { _id: 1 as never, name: 'x', n: 1 },
      { _id: 2 as never, name: 'y', n: 2 },
    ]);
    const err = await serverError(coll.updateOne({ _id: 2 as never }, { $set: { name: 'x', n: 99 } }));
    expect(err.code).toBe(11000);
    expect(await coll.findOne({ _id: 2 as never })).toEqual({ _id: 2, name: 'y', n: 2 });
    expect((await serverError(coll.updateOne({ name: 'zz' }, { $set: { name: 'x' } }, { upsert: true }))).code).toBe(11000);
    const fam = await serverError(coll.findOneAndUpdate({ _id: 2 as never }, { $set: { name: 'x' } }));
    expect(fam.code).toBe(11000);
    expect(fam.keyValue).toEqual({ name: 'x' });
    expect(await coll.countDocuments()).toBe(2);
  });

  it('ordered batches stop at the first duplicate; unordered go on', async () => {
    const coll = db.collection('uniq_batch');
    await coll.createIndex({ k: 1 }, { unique: true });
    const ordered = await serverError(coll.insertMany([{ k: 1 }, { k: 1 }, { k: 2 }]));
    expect(ordered.code).toBe(11000);
    expect(await coll.countDocuments()).toBe(1);
    await serverError(coll.insertMany([{ k: 3 }, { k: 1 }, { k: 4 }], { ordered: false }));
    expect(await coll.countDocuments()).toBe(3);
  });

  it('refuses a unique index over existing duplicates with 11000', async () => {
    const coll = db.collection('uniq_late');
    await coll.insertMany([{ v: 1 }, { v: 1 }]);
    const err = await serverError(coll.createIndex({ v: 1 }, { unique: true }));
    expect(err.code).toBe(11000);
    expect((await coll.listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_']);
  });
});

describe('BSON types', () => {
  it('round-trip exactly', async () => {
    const coll = db.collection('types');
    const original = {
      _id: new ObjectId(),
      int: new Int32(7),
      double: new Double(1),
      fraction: new Double(2.5),
      long: Long.fromString('9007199254740993'),
      smallLong: Long.fromNumber(5),
      decimal: Decimal128.fromString('1.10'),
      binary: new Binary(Buffer.from([1, 2, 3]), 0),
      date: new Date('2024-05-06T07:08:09.010Z'),
      nothing: null,
      nested: [[1, 2], [{ a: new Double(3) }], []],
      sub: { s: 'x', t: true },
    };
    await coll.insertOne(original);
    const back = await coll.findOne({ _id: original._id }, { promoteValues: false, promoteLongs: false });
    expect(back).not.toBeNull();
    expect(back!.int).toBeInstanceOf(Int32);
    expect(back!.double).toBeInstanceOf(Double);
    expect(back!.double.valueOf()).toBe(1);
    expect(back!.fraction).toBeInstanceOf(Double);
    expect(back!.long).toBeInstanceOf(Long);
    expect(back!.long.toString()).toBe('9007199254740993');
    expect(back!.smallLong).toBeInstanceOf(Long);
    expect(back!.decimal.toString()).toBe('1.10');
    expect(Buffer.from(back!.binary.buffer)).toEqual(Buffer.from([1, 2, 3]));
    expect(back!.date.toISOString()).toBe('2024-05-06T07:08:09.010Z');
    expect(back!.nothing).toBeNull();
    expect(back!.nested[1][0].a).toBeInstanceOf(Double);
    expect(back!.nested[2]).toEqual([]);
    expect(Object.keys(back!)).toEqual(Object.keys(original));
  });

  it('keeps types through aggregation stages that pass fields through', async () => {
    const coll = db.collection('types_agg');
    const { insertedId } = await coll.insertOne({ double: new Double(4), long: Long.fromNumber(8), int: new Int32(2) });
    const [doc] = await coll.aggregate([{ $match: { _id: insertedId } }, { $project: { double: 1, long: 1, int: 1 } }], { promoteValues: false, promoteLongs: false }).toArray();
    expect(Object.keys(doc)).toEqual(['_id', 'double', 'long', 'int']);
    expect(doc.double).toBeInstanceOf(Double);
    expect(doc.long).toBeInstanceOf(Long);
    expect(doc.int).toBeInstanceOf(Int32);
  });

  it('compares numbers across Int32, Double and Long', async () => {
    const coll = db.collection('numbers');
    await coll.insertMany([{ v: new Int32(1) }, { v: new Double(1) }, { v: Long.fromNumber(1) }, { v: new Double(1.5) }, { v: Long.fromNumber(3) }]);
    expect(await coll.countDocuments({ v: 1 })).toBe(3);
    expect(await coll.countDocuments({ v: { $gt: 1.2 } })).toBe(2);
    expect(
      (
        await coll
          .find({}, { projection: { _id: 0 } })
          .sort({ v: -1 })
          .limit(1)
          .toArray()
      )[0].v,
    ).toBe(3);
  });

  it('keeps numeric types through $inc and $set', async () => {
    const coll = db.collection('numeric_updates');
    const { insertedId } = await coll.insertOne({ d: new Double(1), l: Long.fromNumber(10), i: new Int32(1) });
    await coll.updateOne({ _id: insertedId }, { $inc: { d: 1, l: 1, i: 1 } });
    const back = await coll.findOne({ _id: insertedId }, { promoteValues: false });
    expect(back!.d).toBeInstanceOf(Double);
    expect(back!.d.valueOf()).toBe(2);
    expect(back!.l).toBeInstanceOf(Long);
    expect(back!.l.toNumber()).toBe(11);
    expect(back!.i).toBeInstanceOf(Int32);
  });
});

describe('wire robustness', () => {
  function rawExchange(bytes: Buffer): Promise<'closed' | 'open'> {
    const { host, port } = hostPort(mongo.uri);
    return new Promise((resolve) => {
      const socket = net.connect(port, host, () => socket.write(bytes));
      const timer = setTimeout(() => {
        socket.destroy();
        resolve('open');
      }, 2000);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve('closed');
      });
    });
  }

  function header(length: number, opCode: number): Buffer {
    const h = Buffer.alloc(16);
    h.writeInt32LE(length, 0);
    h.writeInt32LE(1, 4);
    h.writeInt32LE(0, 8);
    h.writeInt32LE(opCode, 12);
    return h;
  }

  it('closes only the offending socket on an impossible message length', async () => {
    expect(await rawExchange(header(-5, 2013))).toBe('closed');
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  embeddedOnly('closes the socket on an unknown opcode, bad BSON or an oversized frame, and keeps serving', async () => {
    const unknown = Buffer.concat([header(20, 9999), Buffer.alloc(4)]);
    expect(await rawExchange(unknown)).toBe('closed');
    const badBson = Buffer.concat([header(16 + 4 + 1 + 8, 2013), Buffer.alloc(4), Buffer.from([0]), Buffer.from([0x40, 0, 0, 0, 2, 0, 0, 0])]);
    expect(await rawExchange(badBson)).toBe('closed');
    expect(await rawExchange(header(64 * 1024 * 1024, 2013))).toBe('closed');
    expect(await db.command({ ping: 1 })).toMatchObject({ ok: 1 });
  });

  embeddedOnly('never replies to a moreToCome message', async () => {
    const { host, port } = hostPort(mongo.uri);
    const body = Buffer.from(serialize({ insert: 'w0', documents: [{ a: 1 }], $db: mongo.dbName }));
    const frame = Buffer.concat([header(16 + 4 + 1 + body.length, 2013), Buffer.from([2, 0, 0, 0, 0]), body]);
    // Then, on the same socket, a ping (request id 2) that does want a reply: replies come in the order
    // of the requests, so a reply to the moreToCome message would arrive before the ping's.
    const pingBody = Buffer.from(serialize({ ping: 1, $db: mongo.dbName }));
    const ping = Buffer.concat([header(16 + 4 + 1 + pingBody.length, 2013), Buffer.from([0, 0, 0, 0, 0]), pingBody]);
    ping.writeInt32LE(2, 4);
    const received = await new Promise<Buffer>((resolve, reject) => {
      let bytes = Buffer.alloc(0);
      const socket = net.connect(port, host, () => socket.write(Buffer.concat([frame, ping])));
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no reply to the ping within 5 s (received ${bytes.length} bytes)`));
      }, 5000);
      socket.on('error', reject);
      socket.on('data', (d) => {
        bytes = Buffer.concat([bytes, d]);
        if (bytes.length >= 4 && bytes.length >= bytes.readInt32LE(0)) {
          clearTimeout(timer);
          socket.destroy();
          resolve(bytes);
        }
      });
    });
    // The first reply answers the ping (responseTo 2), and it is all that came.
    expect(received.readInt32LE(8)).toBe(2);
    expect(received.length).toBe(received.readInt32LE(0));
    expect(await db.collection('w0').countDocuments()).toBe(1);
  });
});

describe('unsupported features answer with an error', () => {
  embeddedOnly('collation strength 4, $where, $type int, tailable cursors, $collStats', async () => {
    const coll = db.collection('unsupported');
    await coll.insertOne({ a: 1 });
    expect((await serverError(coll.find({ a: 1 }, { collation: { locale: 'en', strength: 4 } }).toArray())).code).toBe(115);
    expect((await serverError(coll.find({ $where: 'this.a == 1' }).toArray())).code).toBe(115);
    expect((await serverError(coll.find({ a: { $type: 'int' } }).toArray())).code).toBe(115);
    expect((await serverError(coll.aggregate([{ $collStats: { count: {} } }]).toArray())).code).toBe(115);
    expect((await serverError(db.command({ find: 'unsupported', tailable: true }))).code).toBe(115);
    expect((await serverError(db.command({ find: 'unsupported', bogusOption: 1 }))).code).toBe(40415);
  });
});
