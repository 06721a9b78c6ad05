/**
 * Behaviour specific to the embedded server (always embedded, whatever MONGODB_URI says):
 * lifecycle, cursor expiry, many connections, and that equality lookups use the hash indexes.
 */
import { MongoClient, MongoServerError } from 'mongodb';
import { ObjectId } from 'bson';
import { startEmbeddedMongo, UNSUPPORTED } from '../../src/embedded-mongo';
import { candidates } from '../../src/embedded-mongo/query';
import { Collection } from '../../src/embedded-mongo/store';

describe('lifecycle', () => {
  it('picks a free port, and stop() returns promptly with clients still connected', async () => {
    const mongo = await startEmbeddedMongo({ port: 0 });
    expect(mongo.port).toBeGreaterThan(0);
    expect(mongo.uri).toBe(`mongodb://127.0.0.1:${mongo.port}/`);
    const client = await new MongoClient(mongo.uri, { serverSelectionTimeoutMS: 2000 }).connect();
    await client.db('x').collection('c').insertOne({ a: 1 });
    const started = Date.now();
    await mongo.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await client.close(true);
  });

  it('serves many connections at once, each command atomic', async () => {
    const mongo = await startEmbeddedMongo();
    const clients = await Promise.all(Array.from({ length: 8 }, () => new MongoClient(mongo.uri, { maxPoolSize: 5 }).connect()));
    try {
      await Promise.all(
        clients.flatMap((client) =>
          Array.from({ length: 25 }, () =>
            client
              .db('x')
              .collection('counters')
              .updateOne({ _id: 'n' as never }, { $inc: { v: 1 } }, { upsert: true }),
          ),
        ),
      );
      expect(
        await clients[0]
          .db('x')
          .collection('counters')
          .findOne({ _id: 'n' as never }),
      ).toEqual({ _id: 'n', v: 200 });
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await mongo.stop();
    }
  });

  it('expires idle cursors after cursorTimeoutMs', async () => {
    const mongo = await startEmbeddedMongo({ cursorTimeoutMs: 100 });
    const client = await new MongoClient(mongo.uri).connect();
    try {
      const coll = client.db('x').collection('c');
      await coll.insertMany(Array.from({ length: 10 }, (_, i) => ({ i })));
      const first = await client.db('x').command({ find: 'c', batchSize: 2 });
      await new Promise((r) => setTimeout(r, 250));
      const err = await client
        .db('x')
        .command({ getMore: first.cursor.id, collection: 'c' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MongoServerError);
      expect((err as MongoServerError).code).toBe(43);
    } finally {
      await client.close();
      await mongo.stop();
    }
  });

  it('lists what it does not support', () => {
    expect(UNSUPPORTED.length).toBeGreaterThan(5);
    expect(UNSUPPORTED.every((l) => l.feature && l.answer)).toBe(true);
  });
});

describe('equality lookups use the hash indexes', () => {
  const coll = new Collection('db', 'c');
  const ids: ObjectId[] = [];

  beforeAll(() => {
    coll.createIndex({ key: { email: 1 }, name: 'email_1', unique: true });
    coll.createIndex({ key: { accountId: 1, userId: 1, at: -1 }, name: 'compound' });
    coll.createIndex({ key: { tags: 1 }, name: 'tags_1' });
    for (let i = 0; i < 5000; i++) {
      const _id = new ObjectId();
      ids.push(_id);
      coll.insert({ _id, email: `u${i}@x.io`, accountId: `a${i % 50}`, userId: i % 100, at: new Date(i), tags: [`t${i % 10}`, 'all'] });
    }
  });

  const size = (filter: Record<string, unknown>) => [...candidates(coll, filter)].length;

  it('narrows by _id, unique fields and $in', () => {
    expect(size({ _id: ids[42] })).toBe(1);
    expect(size({ _id: { $in: [ids[1], ids[2], new ObjectId()] } })).toBe(2);
    expect(size({ email: 'u7@x.io', junk: { $gt: 1 } })).toBe(1);
    expect(size({ $and: [{ email: { $eq: 'u8@x.io' } }] })).toBe(1);
  });

  it('narrows by the leading fields of a compound index, and by multikey elements', () => {
    expect(size({ accountId: 'a3' })).toBe(100);
    expect(size({ accountId: 'a3', userId: 3 })).toBe(50);
    expect(size({ tags: 't4' })).toBe(500);
  });

  it('scans for ranges, non-leading fields and regular expressions', () => {
    expect(size({ userId: 3 })).toBe(5000);
    expect(size({ email: /u7/ })).toBe(5000);
    expect(size({ at: { $gt: new Date(10) } })).toBe(5000);
  });

  it('keeps natural order among candidates', () => {
    const found = [...candidates(coll, { accountId: 'a1' })].map((r) => r.seq);
    expect(found).toEqual([...found].sort((a, b) => a - b));
  });
});
