/**
 * Views, validators and collMod (MongoDB manual: "Views", "Schema Validation", "collMod").
 * Runs unchanged against a real server when MONGODB_URI is set.
 */
import { Double, Int32, Long } from 'bson';
import { MongoServerError, type CollectionInfo } from 'mongodb';
import { driverSuite, serverError } from './driver';

const suite = driverSuite('views and validation');

/** Documents with numeric ids, as the manual's examples use. */
type Row = { _id: number; [field: string]: unknown };
const coll = (name: string) => suite().db.collection<Row>(name);

/** The write error a rejected insert or update carries (the driver throws it as a MongoServerError). */
async function validationError(promise: Promise<unknown>): Promise<MongoServerError> {
  const err = await serverError(promise);
  expect(err.code).toBe(121);
  expect(err.message).toBe('Document failed validation');
  return err;
}

describe('views', () => {
  beforeAll(async () => {
    const { db } = suite();
    await coll('orders').insertMany([
      { _id: 1, item: 'pen', qty: 5, status: 'A' },
      { _id: 2, item: 'ink', qty: 1, status: 'B' },
      { _id: 3, item: 'pad', qty: 8, status: 'A' },
      { _id: 4, item: 'cap', qty: 2, status: 'A' },
    ]);
    await db.createCollection('activeOrders', { viewOn: 'orders', pipeline: [{ $match: { status: 'A' } }, { $project: { status: 0 } }] });
    await db.createCollection('bigActiveOrders', { viewOn: 'activeOrders', pipeline: [{ $match: { qty: { $gte: 5 } } }] });
  });

  it('find, count, distinct and aggregate read through the pipeline, views on views too', async () => {
    const view = coll('activeOrders');
    expect(
      await view
        .find({ qty: { $gt: 1 } }, { projection: { item: 1 } })
        .sort({ qty: -1 })
        .skip(1)
        .limit(1)
        .toArray(),
    ).toEqual([{ _id: 1, item: 'pen' }]);
    expect(await view.countDocuments()).toBe(3);
    expect(await view.distinct('item', { qty: { $lt: 6 } })).toEqual(expect.arrayContaining(['pen', 'cap']));
    expect(await view.aggregate([{ $group: { _id: null, total: { $sum: '$qty' } } }]).toArray()).toEqual([{ _id: null, total: 15 }]);
    expect((await coll('bigActiveOrders').find().sort({ _id: 1 }).toArray()).map((d) => d._id)).toEqual([1, 3]);
    const lookedUp = await coll('orders')
      .aggregate([{ $match: { _id: 2 } }, { $lookup: { from: 'activeOrders', localField: 'qty', foreignField: 'qty', as: 'same' } }])
      .toArray();
    expect(lookedUp[0].same).toEqual([]);
  });

  it('lists views with their definition; a view reflects later writes to its source', async () => {
    const { db } = suite();
    const [info] = await db.listCollections({ name: 'activeOrders' }).toArray();
    expect(info).toMatchObject({ type: 'view', options: { viewOn: 'orders', pipeline: [{ $match: { status: 'A' } }, { $project: { status: 0 } }] }, info: { readOnly: true } });
    await coll('orders').insertOne({ _id: 5, item: 'nib', qty: 3, status: 'A' });
    expect(await coll('activeOrders').countDocuments()).toBe(4);
    await coll('orders').deleteOne({ _id: 5 });
  });

  it('refuses writes and indexes on a view with 166, and an existing name with 48', async () => {
    const { db } = suite();
    const view = coll('activeOrders');
    expect((await serverError(view.insertOne({ _id: 9, item: 'x' }))).code).toBe(166);
    expect((await serverError(view.updateOne({}, { $set: { qty: 0 } }))).code).toBe(166);
    expect((await serverError(view.deleteMany({}))).code).toBe(166);
    expect((await serverError(view.findOneAndUpdate({}, { $set: { qty: 0 } }))).code).toBe(166);
    expect((await serverError(view.createIndex({ qty: 1 }))).code).toBe(166);
    expect((await serverError(db.createCollection('activeOrders', { viewOn: 'orders', pipeline: [] }))).code).toBe(48);
    expect(await coll('orders').countDocuments()).toBe(4);
  });

  it('collMod changes a view; drop removes it and leaves the source', async () => {
    const { db } = suite();
    await db.createCollection('inkOrders', { viewOn: 'orders', pipeline: [{ $match: { item: 'ink' } }] });
    await db.command({ collMod: 'inkOrders', viewOn: 'orders', pipeline: [{ $match: { item: 'pad' } }] });
    expect((await coll('inkOrders').find().toArray()).map((d) => d._id)).toEqual([3]);
    expect(await coll('inkOrders').drop()).toBe(true);
    expect((await db.listCollections({ name: 'inkOrders' }).toArray()).length).toBe(0);
    expect(await coll('orders').countDocuments()).toBe(4);
  });
});

describe('validators', () => {
  const schema = {
    $jsonSchema: {
      bsonType: 'object',
      required: ['name', 'year'],
      properties: {
        name: { bsonType: 'string', description: 'must be a string' },
        year: { bsonType: 'int', minimum: 2017, maximum: 3017 },
        gpa: { bsonType: ['double'] },
        house: { enum: ['red', 'blue'] },
      },
    },
  };

  it("refuses a document missing required fields with 121 and mongod's errInfo", async () => {
    const { db } = suite();
    await db.createCollection('students', { validator: schema });
    const students = coll('students');
    const err = await validationError(students.insertOne({ _id: 1, name: 'Ann' } as never));
    expect(err.errInfo).toEqual({
      failingDocumentId: 1,
      details: {
        operatorName: '$jsonSchema',
        schemaRulesNotSatisfied: [{ operatorName: 'required', specifiedAs: { required: ['name', 'year'] }, missingProperties: ['year'] }],
      },
    });
  });

  it('reports type, range and enum failures per property', async () => {
    const err = await validationError(coll('students').insertOne({ _id: 2, name: 'Bo', year: new Int32(2000), gpa: new Int32(3), house: 'green' } as never));
    const [rule] = (err.errInfo as { details: { schemaRulesNotSatisfied: { propertiesNotSatisfied: unknown[] }[] } }).details.schemaRulesNotSatisfied;
    expect(rule).toEqual({
      operatorName: 'properties',
      propertiesNotSatisfied: [
        { propertyName: 'year', details: [{ operatorName: 'minimum', specifiedAs: { minimum: 2017 }, reason: 'comparison failed', consideredValue: 2000 }] },
        {
          propertyName: 'gpa',
          details: [{ operatorName: 'bsonType', specifiedAs: { bsonType: ['double'] }, reason: 'type did not match', consideredValue: 3, consideredType: 'int' }],
        },
        { propertyName: 'house', details: [{ operatorName: 'enum', specifiedAs: { enum: ['red', 'blue'] }, reason: 'value was not found in enum', consideredValue: 'green' }] },
      ],
    });
    await coll('students').insertOne({ _id: 3, name: 'Cy', year: new Int32(2020), gpa: new Double(3.5), house: 'red' } as never);
  });

  it('checks updates, upserts and findAndModify; bypassDocumentValidation skips the check', async () => {
    const students = coll('students');
    await validationError(students.updateOne({ _id: 3 }, { $unset: { name: '' } }));
    await validationError(students.updateOne({ _id: 9 }, { $set: { name: 'Up' } }, { upsert: true }));
    await validationError(students.findOneAndUpdate({ _id: 3 }, { $set: { year: 'soon' } }));
    expect((await students.findOne({ _id: 3 }))?.name).toBe('Cy');
    await students.updateOne({ _id: 3 }, { $unset: { name: '' } }, { bypassDocumentValidation: true });
    await students.insertOne({ _id: 4, name: 'Di' } as never, { bypassDocumentValidation: true });
    expect(await students.countDocuments({ _id: { $in: [3, 4] } })).toBe(2);
  });

  it('query-operator validators, and listCollections shows the options', async () => {
    const { db } = suite();
    const contacts = await db.createCollection('contacts', { validator: { phone: { $type: 'string' }, email: { $regex: /@/ } } });
    await contacts.insertOne({ phone: '555', email: 'a@x.io' });
    const err = await validationError(contacts.insertOne({ _id: 7, phone: 555, email: 'a@x.io' } as never));
    expect((err.errInfo as { failingDocumentId: unknown }).failingDocumentId).toBe(7);
    const [info] = (await db.listCollections({ name: 'contacts' }).toArray()) as CollectionInfo[];
    expect(info.options).toMatchObject({ validationLevel: 'strict', validationAction: 'error' });
    expect(info.options?.validator.phone).toEqual({ $type: 'string' });
  });

  it('collMod: moderate level keeps invalid documents updatable, warn accepts, a new validator applies', async () => {
    const { db } = suite();
    await db.createCollection('modded');
    const modded = coll('modded');
    await modded.insertMany([
      { _id: 1, n: 1 },
      { _id: 2, n: -1 },
    ]);
    await db.command({ collMod: 'modded', validator: { n: { $gte: 0 } }, validationLevel: 'moderate' });
    await modded.updateOne({ _id: 2 }, { $set: { n: -2 } }); // already invalid: not checked under moderate
    await validationError(modded.updateOne({ _id: 1 }, { $set: { n: -5 } }));
    await validationError(modded.insertOne({ _id: 3, n: -1 }));
    await db.command({ collMod: 'modded', validationAction: 'warn' });
    await modded.insertOne({ _id: 3, n: -1 });
    await db.command({ collMod: 'modded', validationAction: 'error', validationLevel: 'strict' });
    await validationError(modded.updateOne({ _id: 2 }, { $set: { n: -3 } }));
    expect(await modded.countDocuments()).toBe(3);
    expect((await serverError(db.command({ collMod: 'nonexistent', validator: {} }))).code).toBe(26);
  });

  it('collMod hides an index and changes a TTL', async () => {
    const { db } = suite();
    const modded = coll('modded');
    await modded.createIndex({ n: 1 }, { name: 'n_1' });
    await modded.createIndex({ at: 1 }, { name: 'at_1', expireAfterSeconds: 60 });
    const hidden = await db.command({ collMod: 'modded', index: { name: 'n_1', hidden: true } });
    expect(hidden).toMatchObject({ hidden_old: false, hidden_new: true });
    expect((await serverError(modded.find({}, { hint: 'n_1' }).toArray())).code).toBe(2);
    const ttl = await db.command({ collMod: 'modded', index: { keyPattern: { at: 1 }, expireAfterSeconds: 120 } });
    expect(ttl).toMatchObject({ expireAfterSeconds_old: 60, expireAfterSeconds_new: 120 });
    const specs = await modded.listIndexes().toArray();
    expect(specs.find((s) => s.name === 'n_1')?.hidden).toBe(true);
    expect(specs.find((s) => s.name === 'at_1')?.expireAfterSeconds).toBe(120);
  });
});

describe('$jsonSchema in queries', () => {
  beforeAll(async () => {
    await coll('typed').insertMany([
      { _id: 1, n: new Int32(1), name: 'a' },
      { _id: 2, n: Long.fromNumber(2), name: 'b' },
      { _id: 3, n: new Double(3.5) },
    ] as never[]);
  });

  const ids = (docs: Row[]) => docs.map((d) => d._id);

  it('matches documents by schema, telling int, long and double apart', async () => {
    expect(
      ids(
        await coll('typed')
          .find({ $jsonSchema: { properties: { n: { bsonType: 'long' } } } })
          .toArray(),
      ),
    ).toEqual([2]);
    expect(
      ids(
        await coll('typed')
          .find({ $jsonSchema: { required: ['name'], properties: { n: { bsonType: ['int', 'double'] } } } })
          .toArray(),
      ),
    ).toEqual([1]);
  });

  it('finds the documents that do not match with $nor, in find, count, aggregate and updates', async () => {
    const schema = { $jsonSchema: { required: ['name'] } };
    expect(
      ids(
        await coll('typed')
          .find({ $nor: [schema] })
          .toArray(),
      ),
    ).toEqual([3]);
    expect(await coll('typed').countDocuments({ $or: [schema, { _id: 3 }] })).toBe(3);
    expect(
      ids(
        await coll('typed')
          .aggregate<Row>([{ $match: schema }, { $sort: { _id: -1 } }])
          .toArray(),
      ),
    ).toEqual([2, 1]);
    expect((await coll('typed').updateMany({ $nor: [schema] }, { $set: { name: 'fixed' } })).modifiedCount).toBe(1);
  });

  it('after other stages: the right answer, or (embedded) 115 rather than a guess at the types', async () => {
    const run = coll('typed')
      .aggregate<Row>([{ $project: { n: 1 } }, { $match: { $jsonSchema: { properties: { n: { bsonType: 'long' } } } } }])
      .toArray();
    const outcome = await run.then(
      (docs) => ids(docs),
      (err: MongoServerError) => err.code,
    );
    expect(outcome).toEqual(process.env.MONGODB_URI ? [2] : 115);
  });
});
