/**
 * Collation (MongoDB manual, "Collation"): locale-aware matching and sorting of strings with
 * strengths 1-3, caseFirst and numericOrdering, on every command that takes one.
 * Runs unchanged against a real server when MONGODB_URI is set.
 */
import type { CollationOptions, Collection } from 'mongodb';
import { driverSuite, serverError } from './driver';

const suite = driverSuite('collation');

interface Word {
  _id: number;
  w: string;
}

const WORDS = ['cafe', 'Cafe', 'café', 'Café', 'b', 'B', 'a', 'A'];
const en = (strength: number) => ({ locale: 'en', strength });

async function words(): Promise<Collection<Word>> {
  const coll = suite().db.collection<Word>('words');
  await coll.deleteMany({});
  await coll.insertMany(WORDS.map((w, i) => ({ _id: i + 1, w })));
  return coll;
}

const values = (docs: Word[]) => docs.map((d) => d.w);

describe('matching', () => {
  it('strength 1 ignores case and diacritics, 2 only case, 3 neither', async () => {
    const coll = await words();
    const match = async (strength: number) =>
      values(
        await coll
          .find({ w: 'cafe' }, { collation: en(strength) })
          .sort({ _id: 1 })
          .toArray(),
      );
    expect(await match(1)).toEqual(['cafe', 'Cafe', 'café', 'Café']);
    expect(await match(2)).toEqual(['cafe', 'Cafe']);
    expect(await match(3)).toEqual(['cafe']);
    expect(values(await coll.find({ w: 'cafe' }).toArray())).toEqual(['cafe']);
  });

  it('$in, $ne and ranges compare with the collation', async () => {
    const coll = await words();
    const ids = async (filter: object) =>
      (
        await coll
          .find(filter, { collation: en(2) })
          .sort({ _id: 1 })
          .toArray()
      ).map((d) => d._id);
    expect(await ids({ w: { $in: ['A', 'CAFÉ'] } })).toEqual([3, 4, 7, 8]);
    expect(await ids({ w: { $ne: 'b' } })).toEqual([1, 2, 3, 4, 7, 8]);
    expect(await ids({ w: { $gt: 'a', $lt: 'c' } })).toEqual([5, 6]);
  });

  it('German: ß equals ss at strength 1', async () => {
    const coll = suite().db.collection<Word>('german');
    await coll.insertMany([
      { _id: 1, w: 'Straße' },
      { _id: 2, w: 'strasse' },
      { _id: 3, w: 'Strase' },
    ]);
    expect((await coll.find({ w: 'STRASSE' }, { collation: { locale: 'de', strength: 1 } }).toArray()).map((d) => d._id)).toEqual([1, 2]);
  });
});

describe('sorting', () => {
  it('sorts in the locale order, lower case first unless caseFirst upper', async () => {
    const coll = await words();
    const sorted = async (collation?: CollationOptions) =>
      values(
        await coll
          .find({ w: { $in: ['a', 'A', 'b', 'B'] } }, collation ? { collation } : {})
          .sort({ w: 1 })
          .toArray(),
      );
    expect(await sorted()).toEqual(['A', 'B', 'a', 'b']);
    expect(await sorted(en(3))).toEqual(['a', 'A', 'b', 'B']);
    expect(await sorted({ locale: 'en', caseFirst: 'upper' })).toEqual(['A', 'a', 'B', 'b']);
  });

  it('numericOrdering compares digit runs as numbers', async () => {
    const coll = suite().db.collection<Word>('numbers');
    await coll.insertMany([
      { _id: 1, w: '10' },
      { _id: 2, w: '9' },
      { _id: 3, w: '2' },
    ]);
    expect(
      values(
        await coll
          .find({}, { collation: { locale: 'en', numericOrdering: true } })
          .sort({ w: 1 })
          .toArray(),
      ),
    ).toEqual(['2', '9', '10']);
    expect(values(await coll.find({}).sort({ w: 1 }).toArray())).toEqual(['10', '2', '9']);
  });
});

describe('every command that takes a collation', () => {
  it('count, countDocuments and distinct', async () => {
    const coll = await words();
    expect(await coll.countDocuments({ w: 'CAFE' }, { collation: en(1) })).toBe(4);
    expect(await coll.count({ w: 'a' }, { collation: en(2) })).toBe(2);
    const distinct = await coll.distinct('w', {}, { collation: en(1) });
    expect(distinct.map((w) => w.toLowerCase().normalize('NFD').replace(/\p{M}/gu, '')).sort()).toEqual(['a', 'b', 'cafe']);
  });

  it('aggregate: $match and $sort at the start of the pipeline', async () => {
    const coll = await words();
    const out = await coll.aggregate([{ $match: { w: 'B' } }, { $sort: { _id: -1 } }, { $project: { _id: 1 } }], { collation: en(2) }).toArray();
    expect(out).toEqual([{ _id: 6 }, { _id: 5 }]);
  });

  it('updateOne with sort, updateMany, deleteMany, findOneAndUpdate and bulkWrite', async () => {
    const coll = await words();
    // The update's sort uses the collation too: in English 'Café' comes last of the four, in binary order 'café'.
    await coll.updateOne({ _id: { $lte: 4 } }, { $set: { hit: 1 } }, { collation: en(3), sort: { w: -1 } });
    expect((await coll.findOne({ hit: 1 }))?.w).toBe('Café');
    expect((await coll.updateMany({ w: 'a' }, { $set: { hit: 2 } }, { collation: en(2) })).modifiedCount).toBe(2);
    expect((await coll.findOneAndUpdate({ w: 'CAFE' }, { $set: { hit: 3 } }, { collation: en(2), sort: { _id: -1 } }))?._id).toBe(2);
    const bulk = await coll.bulkWrite([
      { updateMany: { filter: { w: 'B' }, update: { $set: { hit: 4 } }, collation: en(2) } },
      { deleteMany: { filter: { w: 'A' }, collation: en(2) } },
    ]);
    expect(bulk.modifiedCount).toBe(2);
    expect(bulk.deletedCount).toBe(2);
    expect((await coll.deleteMany({ w: 'cafe' }, { collation: en(1) })).deletedCount).toBe(4);
    expect(await coll.countDocuments()).toBe(2);
  });

  it('refuses a malformed collation', async () => {
    const coll = await words();
    expect((await serverError(coll.find({}, { collation: { strength: 2 } as never }).toArray())).code).toBe(40414);
  });
});

describe('collations on indexes and collections', () => {
  it('a unique index with a collation refuses keys equal by it, and lists the full collation', async () => {
    const users = suite().db.collection<Word>('users');
    await users.createIndex({ w: 1 }, { unique: true, collation: en(2), name: 'w_ci' });
    await users.insertOne({ _id: 1, w: 'Ann' });
    const err = await serverError(users.insertOne({ _id: 2, w: 'ANN' }));
    expect(err.code).toBe(11000);
    await users.insertOne({ _id: 3, w: 'Änn' }); // strength 2 tells diacritics apart
    expect((await serverError(users.updateOne({ _id: 3 }, { $set: { w: 'ann' } }))).code).toBe(11000);
    const spec = (await users.listIndexes().toArray()).find((i) => i.name === 'w_ci');
    expect(spec?.collation).toMatchObject({
      locale: 'en',
      strength: 2,
      caseLevel: false,
      caseFirst: 'off',
      numericOrdering: false,
      alternate: 'non-ignorable',
      maxVariable: 'punct',
      normalization: false,
      backwards: false,
    });
  });

  it("a collection's default collation applies to its queries and indexes unless one is given", async () => {
    const { db } = suite();
    const names = await db.createCollection<Word>('names', { collation: { locale: 'fr', strength: 1 } });
    await names.insertMany([
      { _id: 1, w: 'élan' },
      { _id: 2, w: 'Elan' },
      { _id: 3, w: 'elan' },
    ]);
    expect(await names.countDocuments({ w: 'ELAN' })).toBe(3);
    expect(await names.countDocuments({ w: 'ELAN' }, { collation: { locale: 'simple' } })).toBe(0);
    await names.createIndex({ w: 1 }, { name: 'w_1' });
    const spec = (await names.listIndexes().toArray()).find((i) => i.name === 'w_1');
    expect(spec?.collation).toMatchObject({ locale: 'fr', strength: 1 });
    const [info] = await db.listCollections({ name: 'names' }).toArray();
    expect((info as { options?: { collation?: object } }).options?.collation).toMatchObject({ locale: 'fr', strength: 1 });
  });
});
