/**
 * Embedded MongoDB throughput through the real driver on one connection (maxPoolSize 1):
 * insertOne, and findOne by _id / by an indexed equality at 1,000 and at 100,000 documents.
 * The goal is a lookup at 100k within 2x of the same lookup at 1k (hash maps, not scans).
 *
 *   npx tsc -p tsconfig.build.json && node dist/bench/embedded-mongo.bench.js
 *
 * Prints a table and writes bench/results/embedded-mongo.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MongoClient, ObjectId, type Collection } from 'mongodb';
import { startEmbeddedMongo } from '../src/embedded-mongo';

export interface EmbeddedMongoBenchResult {
  readonly name: 'embedded-mongo';
  readonly date: string;
  readonly node: string;
  /** ops/s, one connection, sequential awaits. */
  readonly insertOne: number;
  readonly findOneById: { readonly at1k: number; readonly at100k: number; readonly ratio: number };
  readonly findOneByUniqueIndex: { readonly at1k: number; readonly at100k: number; readonly ratio: number };
  readonly findOneByCompoundIndex: { readonly at1k: number; readonly at100k: number; readonly ratio: number };
  readonly goal: string;
  readonly withinGoal: boolean;
}

const MEASURE_MS = 700;
const ROUNDS = 3;
const WARMUP_OPS = 300;
/** The driver and V8 need a few thousand operations before timings settle. */
const GLOBAL_WARMUP_MS = 1500;

interface Row {
  _id: ObjectId;
  email: string;
  accountId: string;
  userId: number;
  name: string;
  score: number;
}

function row(i: number): Row {
  return { _id: new ObjectId(), email: `user${i}@example.com`, accountId: `acct${i % 100}`, userId: i, name: `User ${i}`, score: i % 1000 };
}

/** Sequential operations for MEASURE_MS; returns ops/s. */
async function opsPerSecond(op: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < WARMUP_OPS; i++) await op(i);
  let count = 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(MEASURE_MS) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    await op(count);
    count++;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return Math.round(count / seconds);
}

async function fill(coll: Collection<Row>, n: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - i) }, (_, j) => row(i + j));
    await coll.insertMany(batch);
    rows.push(...batch);
  }
  return rows;
}

type LookupKind = 'byId' | 'byUnique' | 'byCompound';

function lookup(coll: Collection<Row>, rows: Row[], kind: LookupKind): (i: number) => Promise<void> {
  const pick = (i: number) => rows[(i * 7919) % rows.length];
  const filters: Record<LookupKind, (r: Row) => Partial<Row>> = {
    byId: (r) => ({ _id: r._id }),
    byUnique: (r) => ({ email: r.email }),
    byCompound: (r) => ({ accountId: r.accountId, userId: r.userId }),
  };
  return async (i) => {
    const doc = await coll.findOne(filters[kind](pick(i)));
    if (!doc) throw new Error('lost a document');
  };
}

/** The directory holding package.json above this file (src or dist), else the working directory. */
function repoRoot(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

export async function main(): Promise<EmbeddedMongoBenchResult> {
  const mongo = await startEmbeddedMongo();
  const client = await new MongoClient(mongo.uri, { maxPoolSize: 1, minPoolSize: 1 }).connect();
  try {
    const db = client.db('bench');

    const warm = db.collection<Row>('warmup');
    const warmRows = await fill(warm, 1000);
    await warm.createIndex({ email: 1 }, { unique: true });
    const warmUntil = Date.now() + GLOBAL_WARMUP_MS;
    for (let i = 0; Date.now() < warmUntil; i++) await warm.findOne({ email: warmRows[i % warmRows.length].email });

    const inserts = db.collection<Row>('inserts');
    let next = 0;
    let insertOne = 0;
    for (let round = 0; round < ROUNDS; round++) insertOne = Math.max(insertOne, await opsPerSecond(() => inserts.insertOne(row(next++))));

    const small = db.collection<Row>('rows_1k');
    const large = db.collection<Row>('rows_100k');
    const sets: [Collection<Row>, Row[]][] = [];
    for (const [coll, n] of [
      [small, 1_000],
      [large, 100_000],
    ] as const) {
      await coll.createIndex({ email: 1 }, { unique: true });
      await coll.createIndex({ accountId: 1, userId: 1 });
      sets.push([coll, await fill(coll, n)]);
    }
    // Interleaved rounds, best of each: other processes on the machine add noise, never speed.
    const best = { small: { byId: 0, byUnique: 0, byCompound: 0 }, large: { byId: 0, byUnique: 0, byCompound: 0 } };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of ['byId', 'byUnique', 'byCompound'] as const) {
        best.small[kind] = Math.max(best.small[kind], await opsPerSecond(lookup(sets[0][0], sets[0][1], kind)));
        best.large[kind] = Math.max(best.large[kind], await opsPerSecond(lookup(sets[1][0], sets[1][1], kind)));
      }
    }
    const [lo, hi] = [best.small, best.large];

    const pair = (a: number, b: number) => ({ at1k: a, at100k: b, ratio: Math.round((a / b) * 100) / 100 });
    const result: EmbeddedMongoBenchResult = {
      name: 'embedded-mongo',
      date: new Date().toISOString(),
      node: process.version,
      insertOne,
      findOneById: pair(lo.byId, hi.byId),
      findOneByUniqueIndex: pair(lo.byUnique, hi.byUnique),
      findOneByCompoundIndex: pair(lo.byCompound, hi.byCompound),
      goal: 'ops/s at 1k / ops/s at 100k <= 2',
      withinGoal: false,
    };
    const withinGoal = [result.findOneById, result.findOneByUniqueIndex, result.findOneByCompoundIndex].every((p) => p.ratio <= 2);
    const final = { ...result, withinGoal };

    console.log('embedded MongoDB, mongodb driver, one connection (ops/s)');
    console.table({
      insertOne: { '1k docs': insertOne, '100k docs': '', 'ratio 1k/100k': '' },
      'findOne {_id}': { '1k docs': lo.byId, '100k docs': hi.byId, 'ratio 1k/100k': final.findOneById.ratio },
      'findOne {email} (unique index)': { '1k docs': lo.byUnique, '100k docs': hi.byUnique, 'ratio 1k/100k': final.findOneByUniqueIndex.ratio },
      'findOne {accountId, userId} (compound index)': { '1k docs': lo.byCompound, '100k docs': hi.byCompound, 'ratio 1k/100k': final.findOneByCompoundIndex.ratio },
    });
    console.log(`goal (ratio <= 2): ${withinGoal ? 'met' : 'NOT met'}`);

    const out = path.join(repoRoot(), 'bench', 'results', 'embedded-mongo.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(final, null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    return final;
  } finally {
    await client.close();
    await mongo.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
