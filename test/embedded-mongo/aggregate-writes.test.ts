/**
 * $out, $merge and the database-level aggregate ({aggregate: 1} with $documents), from the
 * MongoDB manual's pages on those stages. Runs unchanged against a real server when MONGODB_URI is set.
 */
import { driverSuite, serverError } from './driver';

const suite = driverSuite('aggregate writes');

type Row = { _id: number; [field: string]: unknown };
const coll = (name: string) => suite().db.collection<Row>(name);

beforeAll(async () => {
  await coll('sales').insertMany([
    { _id: 1, item: 'abc', qty: 2, price: 10 },
    { _id: 2, item: 'jkl', qty: 1, price: 20 },
    { _id: 3, item: 'abc', qty: 5, price: 10 },
    { _id: 4, item: 'xyz', qty: 10, price: 5 },
  ]);
});

const totals = [{ $group: { _id: '$item', qty: { $sum: '$qty' } } }, { $sort: { _id: 1 } }];

describe('$out', () => {
  it('replaces the target with the results and returns an empty cursor; the target keeps its indexes', async () => {
    await coll('totals').insertOne({ _id: 99, stale: true });
    await coll('totals').createIndex({ qty: 1 }, { name: 'qty_1' });
    expect(
      await coll('sales')
        .aggregate([...totals, { $out: 'totals' }])
        .toArray(),
    ).toEqual([]);
    expect(await coll('totals').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'abc', qty: 7 },
      { _id: 'jkl', qty: 1 },
      { _id: 'xyz', qty: 10 },
    ]);
    expect((await coll('totals').listIndexes().toArray()).map((i) => i.name)).toEqual(['_id_', 'qty_1']);
  });

  it('writes to another database; a unique violation leaves the target as it was', async () => {
    const other = suite().client.db(`${suite().mongo.dbName}_out`);
    try {
      await coll('sales')
        .aggregate([{ $project: { item: 1 } }, { $out: { db: other.databaseName, coll: 'items' } }])
        .toArray();
      expect(await other.collection('items').countDocuments()).toBe(4);
      await coll('uniq').insertOne({ _id: 1, item: 'only' });
      await coll('uniq').createIndex({ item: 1 }, { unique: true });
      const err = await serverError(
        coll('sales')
          .aggregate([{ $project: { item: 1 } }, { $out: 'uniq' }])
          .toArray(),
      );
      expect(err.code).toBe(11000);
      expect(await coll('uniq').find().toArray()).toEqual([{ _id: 1, item: 'only' }]);
    } finally {
      await other.dropDatabase();
    }
  });

  it('must be the last stage (40601)', async () => {
    const err = await serverError(
      coll('sales')
        .aggregate([{ $out: 'x' }, { $match: {} }])
        .toArray(),
    );
    expect(err.code).toBe(40601);
  });
});

describe('$merge', () => {
  beforeEach(async () => {
    await coll('summary').deleteMany({});
    await coll('summary').insertMany([{ _id: 'abc' as never, qty: 0, note: 'kept' }]);
  });

  it('merges matched documents and inserts the others by default', async () => {
    await coll('sales')
      .aggregate([...totals, { $merge: 'summary' }])
      .toArray();
    expect(await coll('summary').find().sort({ _id: 1 }).toArray()).toEqual([
      { _id: 'abc', qty: 7, note: 'kept' },
      { _id: 'jkl', qty: 1 },
      { _id: 'xyz', qty: 10 },
    ]);
  });

  it('whenMatched replace / keepExisting / pipeline, whenNotMatched discard', async () => {
    await coll('sales')
      .aggregate([...totals, { $merge: { into: 'summary', whenMatched: 'replace', whenNotMatched: 'discard' } }])
      .toArray();
    expect(await coll('summary').find().toArray()).toEqual([{ _id: 'abc', qty: 7 }]);
    await coll('sales')
      .aggregate([...totals, { $merge: { into: 'summary', whenMatched: 'keepExisting' } }])
      .toArray();
    expect(await coll('summary').countDocuments()).toBe(3);
    expect((await coll('summary').findOne({ _id: 'abc' as never }))?.qty).toBe(7);
    await coll('sales')
      .aggregate([...totals, { $merge: { into: 'summary', whenMatched: [{ $set: { qty: { $add: ['$qty', '$$new.qty'] } } }] } }])
      .toArray();
    expect((await coll('summary').findOne({ _id: 'abc' as never }))?.qty).toBe(14);
  });

  it('whenMatched fail (11000), whenNotMatched fail (13113), on without a unique index (51183)', async () => {
    expect(
      (
        await serverError(
          coll('sales')
            .aggregate([...totals, { $merge: { into: 'summary', whenMatched: 'fail' } }])
            .toArray(),
        )
      ).code,
    ).toBe(11000);
    expect(
      (
        await serverError(
          coll('sales')
            .aggregate([...totals, { $merge: { into: 'summary', whenMatched: 'merge', whenNotMatched: 'fail' } }])
            .toArray(),
        )
      ).code,
    ).toBe(13113);
    expect(
      (
        await serverError(
          coll('sales')
            .aggregate([{ $project: { _id: 0, item: 1 } }, { $merge: { into: 'summary', on: 'item' } }])
            .toArray(),
        )
      ).code,
    ).toBe(51183);
  });

  it('on a field with a unique index', async () => {
    await coll('byItem').createIndex({ item: 1 }, { unique: true });
    await coll('byItem').insertOne({ _id: 1, item: 'abc', seen: true });
    await coll('sales')
      .aggregate([{ $group: { _id: null, item: { $first: 'abc' }, n: { $sum: 1 } } }, { $project: { _id: 0 } }, { $merge: { into: 'byItem', on: 'item' } }])
      .toArray();
    expect(await coll('byItem').find().toArray()).toEqual([{ _id: 1, item: 'abc', seen: true, n: 4 }]);
  });
});

describe('aggregate: 1', () => {
  it('$documents feeds literal documents into the pipeline', async () => {
    const out = await suite()
      .db.aggregate([{ $documents: [{ x: 10 }, { x: 2 }, { x: 5 }] }, { $match: { x: { $gt: 3 } } }, { $sort: { x: 1 } }])
      .toArray();
    expect(out).toEqual([{ x: 5 }, { x: 10 }]);
    const grouped = await suite()
      .db.aggregate([{ $documents: { $map: { input: { $range: [0, 4] }, in: { n: '$$this' } } } }, { $group: { _id: null, sum: { $sum: '$n' } } }])
      .toArray();
    expect(grouped).toEqual([{ _id: null, sum: 6 }]);
  });

  it('$documents then $lookup into a collection, or $merge into one', async () => {
    const out = await suite()
      .db.aggregate([
        { $documents: [{ item: 'jkl' }] },
        { $lookup: { from: 'sales', localField: 'item', foreignField: 'item', as: 'sales' } },
        { $project: { n: { $size: '$sales' } } },
      ])
      .toArray();
    expect(out).toEqual([{ n: 1 }]);
    await suite()
      .db.aggregate([{ $documents: [{ _id: 1, a: 1 }] }, { $merge: 'fromDocuments' }])
      .toArray();
    expect(await coll('fromDocuments').find().toArray()).toEqual([{ _id: 1, a: 1 }]);
  });

  it('$listLocalSessions lists the sessions commands came with', async () => {
    const { client } = suite();
    const session = client.startSession();
    try {
      await coll('sales').findOne({}, { session });
      const hex = (id: unknown) => Buffer.from((id as { buffer: Uint8Array }).buffer).toString('hex');
      const sessions = await client
        .db('admin')
        .aggregate([{ $listLocalSessions: {} }, { $project: { _id: 1, lastUse: 1 } }])
        .toArray();
      const mine = sessions.find((s) => hex(s._id.id) === hex(session.id?.id));
      expect(mine?.lastUse).toBeInstanceOf(Date);
      expect(hex(mine?._id.uid)).toHaveLength(64);
    } finally {
      await session.endSession();
    }
  });

  it('needs a collection for any other first stage (73)', async () => {
    expect(
      (
        await serverError(
          suite()
            .db.aggregate([{ $match: {} }])
            .toArray(),
        )
      ).code,
    ).toBe(73);
  });
});
