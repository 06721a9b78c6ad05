/**
 * What MongoDB 8.0 does that 7.0 did not, and results that must never be silently wrong:
 * `sort` on single-document updates, `let` variables that are expressions, `_id` field names.
 * Written from MongoDB's documentation (update command, let option, field names); runs unchanged
 * against a real 8.0 server when MONGODB_URI is set.
 */
import { MongoClientBulkWriteError } from 'mongodb';
import { driverSuite, serverError } from './driver';

const suite = driverSuite('crud8');

describe('the server is MongoDB 8.0 throughout', () => {
  it('buildInfo and hello agree on 8.0 (wire version 25)', async () => {
    const { db } = suite();
    const info = await db.admin().command({ buildInfo: 1 });
    expect(info.versionArray[0]).toBe(8);
    expect(String(info.version).startsWith(`${info.versionArray[0]}.${info.versionArray[1]}`)).toBe(true);
    const hello = await db.admin().command({ hello: 1 });
    expect(hello.maxWireVersion).toBeGreaterThanOrEqual(25);
  });
});

describe('sort on updateOne, replaceOne and their bulk forms', () => {
  const rankings = () => suite().db.collection<{ name: string; ranking: number }>('rankings');

  beforeEach(async () => {
    await rankings().deleteMany({});
    await rankings().insertMany(Array.from({ length: 11 }, (_, i) => ({ name: 'Jane', ranking: (i * 7) % 11 })));
  });

  it('updateOne changes the first document in sort order, ascending and descending', async () => {
    expect((await rankings().updateOne({ name: 'Jane' }, { $set: { ranking: 100 } }, { sort: { ranking: -1 } })).modifiedCount).toBe(1);
    expect(await rankings().countDocuments({ ranking: 10 })).toBe(0);
    expect(await rankings().countDocuments({ ranking: 100 })).toBe(1);
    await rankings().updateOne({ ranking: { $lt: 50 } }, { $set: { ranking: -1 } }, { sort: { ranking: 1 } });
    expect(await rankings().countDocuments({ ranking: 0 })).toBe(0);
    expect(await rankings().countDocuments({ ranking: -1 })).toBe(1);
  });

  it('an empty sort is no sort; upsert with sort inserts when nothing matches', async () => {
    expect((await rankings().updateOne({ name: 'Jane' }, { $inc: { ranking: 0.5 } }, { sort: {} })).matchedCount).toBe(1);
    const res = await rankings().updateOne({ name: 'Lucy' }, { $set: { ranking: 11 } }, { sort: { ranking: 1 }, upsert: true });
    expect(res.upsertedId).not.toBeNull();
    expect(await rankings().countDocuments({ name: 'Lucy', ranking: 11 })).toBe(1);
  });

  it('replaceOne with sort replaces the first document in sort order', async () => {
    await rankings().replaceOne({ name: 'Jane' }, { name: 'Top', ranking: 10 }, { sort: { ranking: -1 } });
    expect(await rankings().countDocuments({ name: 'Top' })).toBe(1);
    expect(await rankings().countDocuments({ name: 'Jane', ranking: 10 })).toBe(0);
  });

  it('bulkWrite updateOne and replaceOne (operators and pipeline) honour sort', async () => {
    const res = await rankings().bulkWrite([
      { updateOne: { filter: { name: 'Jane' }, update: [{ $set: { ranking: 100 } }], sort: { ranking: -1 } } },
      { updateOne: { filter: { name: 'Jane' }, update: { $set: { ranking: -1 } }, sort: { ranking: 1 } } },
      { replaceOne: { filter: { name: 'Jane', ranking: { $gte: 0, $lt: 100 } }, replacement: { name: 'Mid', ranking: 9 }, sort: { ranking: -1 } } },
    ]);
    expect(res.modifiedCount).toBe(3);
    const left = (
      await rankings()
        .find({}, { projection: { _id: 0 } })
        .sort({ ranking: 1 })
        .toArray()
    ).map((d) => `${d.name}:${d.ranking}`);
    expect(left).toEqual(['Jane:-1', 'Jane:1', 'Jane:2', 'Jane:3', 'Jane:4', 'Jane:5', 'Jane:6', 'Jane:7', 'Jane:8', 'Mid:9', 'Jane:100']);
  });

  it('refuses sort with multi (9), a non-object sort (14) and a bad direction (15975)', async () => {
    const { db } = suite();
    // mongod may answer a bad statement as a command error or as a write error: either counts.
    const code = async (updates: object[]) => {
      const res = await db.command({ update: 'rankings', updates }).catch((err: { code?: number }) => ({ writeErrors: [err] }));
      return (res.writeErrors as { code?: number }[] | undefined)?.[0]?.code;
    };
    expect(await code([{ q: {}, u: { $set: { a: 1 } }, multi: true, sort: { ranking: 1 } }])).toBe(9);
    expect(await code([{ q: {}, u: { $set: { a: 1 } }, sort: true }])).toBe(14);
    // The driver checks directions itself; sent raw, the server refuses them.
    expect(await code([{ q: {}, u: { $set: { a: 1 } }, sort: { ranking: 50 } }])).toBe(15975);
    expect(await rankings().countDocuments({ a: 1 })).toBe(0);
  });
});

describe('let variables are expressions, evaluated once', () => {
  const items = () => suite().db.collection<{ _id: number; n: number; label?: string }>('letvars');

  beforeEach(async () => {
    await items().deleteMany({});
    await items().insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: 2 },
      { _id: 3, n: 42 },
    ]);
  });

  it('find and aggregate see computed values and $literal', async () => {
    const found = await items()
      .find({ $expr: { $eq: ['$n', '$$target'] } }, { let: { target: { $multiply: [6, 7] } } })
      .toArray();
    expect(found.map((d) => d._id)).toEqual([3]);
    const out = await items()
      .aggregate([{ $match: { _id: 1 } }, { $project: { _id: 0, label: '$$label', sum: { $add: ['$n', '$$plus'] } } }], {
        let: { label: { $literal: '$notAFieldPath' }, plus: { $add: [10, 5] } },
      })
      .toArray();
    expect(out).toEqual([{ label: '$notAFieldPath', sum: 16 }]);
  });

  it('a pipeline update stores the value of the variable, not its expression', async () => {
    await items().updateOne({ _id: 1 }, [{ $set: { label: '$$label', n: '$$n' } }], {
      let: { label: { $literal: '$literal' }, n: { $subtract: [100, 1] } },
    });
    expect(await items().findOne({ _id: 1 })).toEqual({ _id: 1, n: 99, label: '$literal' });
    const updated = await items().findOneAndUpdate({ $expr: { $eq: ['$n', '$$two'] } }, [{ $set: { label: { $concat: ['$$prefix', 'x'] } } }], {
      let: { two: { $add: [1, 1] }, prefix: { $toUpper: 'p-' } },
      returnDocument: 'after',
    });
    expect(updated).toEqual({ _id: 2, n: 2, label: 'P-x' });
  });

  it('delete matches against computed variables', async () => {
    const res = await items().deleteMany({ $expr: { $gte: ['$n', '$$min'] } }, { let: { min: { $add: [1, 1] } } });
    expect(res.deletedCount).toBe(2);
    expect(await items().countDocuments()).toBe(1);
  });
});

describe('_id field names', () => {
  it('refuses an _id document with a $-prefixed field (52), on insert and on upsert', async () => {
    const coll = suite().db.collection('dollarids');
    const err = await serverError(coll.insertOne({ _id: { $a: 1 } } as never));
    expect(err.code).toBe(52);
    const upsert = await serverError(coll.replaceOne({ name: 'x' }, { _id: { k: 1, $b: 2 }, name: 'x' } as never, { upsert: true }));
    expect(upsert.code).toBe(52);
    expect(await coll.countDocuments()).toBe(0);
    await coll.insertOne({ _id: { a: 1 }, $price: 5 } as never);
    expect(await coll.countDocuments()).toBe(1);
  });
});

describe('upserts that name the new _id', () => {
  it('$setOnInsert or $set of _id gives the inserted document that _id; a later match leaves it', async () => {
    const coll = suite().db.collection<{ _id: string; name: string; v?: number }>('namedIds');
    const first = await coll.updateOne({ name: 'a' }, { $setOnInsert: { _id: 'fixed' }, $set: { v: 1 } }, { upsert: true });
    expect(first.upsertedId).toBe('fixed');
    await coll.updateOne({ name: 'a' }, { $setOnInsert: { _id: 'other' }, $set: { v: 2 } }, { upsert: true });
    await coll.updateOne({ name: 'b' }, { $set: { _id: 'b-id' } } as never, { upsert: true });
    expect(await coll.find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'b-id', name: 'b' },
      { _id: 'fixed', name: 'a', v: 2 },
    ]);
    const clash = await serverError(coll.updateOne({ _id: 'x', name: 'c' }, { $setOnInsert: { _id: 'y' } } as never, { upsert: true }));
    expect(clash.code).toBe(66);
  });
});

describe('client bulkWrite (new in 8.0)', () => {
  it('runs inserts, updates (with sort), replaces and deletes across collections, with verbose results', async () => {
    const { client, db } = suite();
    const a = `${db.databaseName}.bulk_a`;
    const b = `${db.databaseName}.bulk_b`;
    await db.collection('bulk_a').insertMany([{ _id: 1, n: 1 } as never, { _id: 2, n: 2 } as never]);
    const res = await client.bulkWrite(
      [
        { name: 'insertOne', namespace: b, document: { _id: 10, n: 10 } as never },
        { name: 'updateOne', namespace: a, filter: {}, update: { $set: { top: true } }, sort: { n: -1 } },
        { name: 'updateMany', namespace: a, filter: { n: { $gte: 1 } }, update: { $inc: { n: 100 } } },
        { name: 'replaceOne', namespace: b, filter: { _id: 11 } as never, replacement: { n: 11 }, upsert: true },
        { name: 'deleteOne', namespace: a, filter: { _id: 1 } as never },
      ],
      { verboseResults: true },
    );
    expect(res).toMatchObject({ insertedCount: 1, matchedCount: 3, modifiedCount: 3, upsertedCount: 1, deletedCount: 1 });
    expect(res.updateResults?.get(1)).toMatchObject({ matchedCount: 1, modifiedCount: 1, didUpsert: false });
    expect(res.updateResults?.get(3)).toMatchObject({ didUpsert: true, upsertedId: 11 });
    expect(await db.collection('bulk_a').find().toArray()).toEqual([{ _id: 2, n: 102, top: true }]);
    expect(await db.collection('bulk_b').countDocuments()).toBe(2);
  });

  it('reports write errors by operation index; unordered goes on', async () => {
    const { client, db } = suite();
    const ns = `${db.databaseName}.bulk_err`;
    const err = await client
      .bulkWrite(
        [
          { name: 'insertOne', namespace: ns, document: { _id: 1 } as never },
          { name: 'insertOne', namespace: ns, document: { _id: 1 } as never },
          { name: 'insertOne', namespace: ns, document: { _id: 2 } as never },
        ],
        { ordered: false },
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MongoClientBulkWriteError);
    expect((err as MongoClientBulkWriteError).writeErrors.get(1)?.code).toBe(11000);
    expect(await db.collection('bulk_err').countDocuments()).toBe(2);
  });
});
