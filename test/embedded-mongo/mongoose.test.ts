/**
 * mongoose 9 against the embedded MongoDB (or MONGODB_URI): the model operations the gateway uses.
 */
import mongoose, { Schema, type Connection } from 'mongoose';
import { MongoServerError } from 'mongodb';
import { startTestMongo, type TestMongo } from '../helpers/mongo';

interface User {
  email: string;
  name: string;
  accountId: string;
  handle: string;
  age: number;
  tags: string[];
}

interface Post {
  title: string;
  author: mongoose.Types.ObjectId;
  likes: number;
}

const userSchema = new Schema<User>({
  email: { type: String, required: true, unique: true },
  name: { type: String, required: true },
  accountId: { type: String, required: true },
  handle: { type: String, required: true },
  age: Number,
  tags: [String],
});
userSchema.index({ accountId: 1, handle: 1 }, { unique: true });

const postSchema = new Schema<Post>({
  title: String,
  author: { type: Schema.Types.ObjectId, ref: 'User' },
  likes: { type: Number, default: 0 },
});

const counterSchema = new Schema<{ _id: string; seq: number }>({ _id: String, seq: Number });

let mongo: TestMongo;
let conn: Connection;
let Users: mongoose.Model<User>;
let Posts: mongoose.Model<Post>;
let Counters: mongoose.Model<{ _id: string; seq: number }>;

beforeAll(async () => {
  mongo = await startTestMongo();
  console.log(`embedded-mongo mongoose suite: ${mongo.backend} backend`);
  conn = await mongoose.createConnection(mongo.uri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  Users = conn.model<User>('User', userSchema);
  Posts = conn.model<Post>('Post', postSchema);
  Counters = conn.model('Counter', counterSchema);
  await Promise.all([Users.init(), Posts.init(), Counters.init()]);
  await Users.create([
    { email: 'ann@x.io', name: 'Ann', accountId: 'a', handle: 'ann', age: 31, tags: ['admin'] },
    { email: 'bob@x.io', name: 'Bob', accountId: 'a', handle: 'bob', age: 25 },
    { email: 'cyd@x.io', name: 'Cyd', accountId: 'b', handle: 'ann', age: 42 },
    { email: 'dan@x.io', name: 'Dan', accountId: 'b', handle: 'dan', age: 19 },
  ]);
});

afterAll(async () => {
  await conn?.close();
  await mongo?.stop();
});

it('creates the declared indexes', async () => {
  const indexes = await Users.collection.indexes();
  expect(indexes.map((i) => i.name).sort()).toEqual(['_id_', 'accountId_1_handle_1', 'email_1']);
  expect(indexes.find((i) => i.name === 'email_1')?.unique).toBe(true);
});

it('finds with sort, skip, limit and select', async () => {
  const users = await Users.find({ age: { $gte: 20 } })
    .sort({ age: -1 })
    .skip(1)
    .limit(2)
    .select('name -_id')
    .lean();
  expect(users).toEqual([{ name: 'Ann' }, { name: 'Bob' }]);
  const one = await Users.findOne({ accountId: 'b', handle: 'ann' });
  expect(one?.name).toBe('Cyd');
  expect(one?._id).toBeInstanceOf(mongoose.Types.ObjectId);
  const byId = await Users.findById(one!._id).lean();
  expect(byId?.email).toBe('cyd@x.io');
});

it('findOneAndUpdate with upsert counts from one', async () => {
  const first = await Counters.findOneAndUpdate({ _id: 'tickets' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' }).lean();
  expect(first).toMatchObject({ _id: 'tickets', seq: 1 });
  await Promise.all(Array.from({ length: 20 }, () => Counters.findOneAndUpdate({ _id: 'tickets' }, { $inc: { seq: 1 } }, { upsert: true, returnDocument: 'after' })));
  expect((await Counters.findById('tickets').lean())?.seq).toBe(21);
});

it('updateMany with $push, updateOne and countDocuments', async () => {
  const res = await Users.updateMany({ accountId: 'a' }, { $push: { tags: 'team-a' } });
  expect(res.matchedCount).toBe(2);
  expect(res.modifiedCount).toBe(2);
  const bob = await Users.findOne({ handle: 'bob' }).lean();
  expect(bob?.tags).toEqual(['team-a']);
  await Users.updateOne({ handle: 'bob' }, { $set: { age: 26 } });
  expect(await Users.countDocuments({ age: { $gt: 25 } })).toBe(3);
  expect(await Users.countDocuments({ tags: 'team-a' })).toBe(2);
  expect(await Users.estimatedDocumentCount()).toBe(4);
});

it('aggregates with $group and $lookup, and populates', async () => {
  const ann = await Users.findOne({ email: 'ann@x.io' });
  const bob = await Users.findOne({ email: 'bob@x.io' });
  await Posts.create([
    { title: 'one', author: ann!._id, likes: 3 },
    { title: 'two', author: ann!._id, likes: 5 },
    { title: 'three', author: bob!._id },
  ]);
  const perAuthor = await Posts.aggregate<{ _id: mongoose.Types.ObjectId; likes: number; posts: number; author: { name: string }[] }>([
    { $group: { _id: '$author', likes: { $sum: '$likes' }, posts: { $sum: 1 } } },
    { $lookup: { from: 'users', localField: '_id', foreignField: '_id', as: 'author' } },
    { $sort: { likes: -1 } },
  ]);
  expect(perAuthor.map((r) => [r.author[0].name, r.likes, r.posts])).toEqual([
    ['Ann', 8, 2],
    ['Bob', 0, 1],
  ]);
  const posts = await Posts.find().sort({ title: 1 }).populate<{ author: User }>('author', 'name');
  expect(posts.map((p) => `${p.title}:${p.author.name}`)).toEqual(['one:Ann', 'three:Bob', 'two:Ann']);
});

it('raises MongoServerError 11000 for duplicate keys, single and compound', async () => {
  const dupEmail = await Users.create({ email: 'ann@x.io', name: 'X', accountId: 'c', handle: 'x' }).catch((e: unknown) => e);
  expect(dupEmail).toBeInstanceOf(MongoServerError);
  expect((dupEmail as MongoServerError).code).toBe(11000);
  expect((dupEmail as MongoServerError).keyValue).toEqual({ email: 'ann@x.io' });
  const dupHandle = await Users.create({ email: 'new@x.io', name: 'Y', accountId: 'a', handle: 'ann' }).catch((e: unknown) => e);
  expect((dupHandle as MongoServerError).code).toBe(11000);
  expect((dupHandle as MongoServerError).keyPattern).toEqual({ accountId: 1, handle: 1 });
  const dupUpdate = await Users.updateOne({ handle: 'dan' }, { $set: { email: 'bob@x.io' } }).catch((e: unknown) => e);
  expect((dupUpdate as MongoServerError).code).toBe(11000);
  expect((await Users.findOne({ handle: 'dan' }).lean())?.email).toBe('dan@x.io');
});

it('deletes and reads back nothing', async () => {
  await Users.deleteOne({ handle: 'dan' });
  expect(await Users.findOne({ handle: 'dan' })).toBeNull();
  expect(await Users.exists({ handle: 'bob' })).not.toBeNull();
});
