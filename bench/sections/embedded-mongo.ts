/**
 * The embedded MongoDB's own benchmark (bench/embedded-mongo.bench.ts, by its owners), run as a
 * section: it writes bench/results/embedded-mongo.json itself; this adds it to the summary.
 */
import { main as embeddedMongoBench } from '../embedded-mongo.bench';
import type { BenchContext, Section } from '../lib/context';
import type { SectionResult } from '../lib/report';

export const embeddedMongoSection: Section = {
  name: 'embedded-mongo',
  title: 'Embedded MongoDB: driver operations at 1k vs 100k documents (bench/embedded-mongo.bench.ts)',
  async run(ctx: BenchContext): Promise<SectionResult> {
    const r = await embeddedMongoBench();
    const rows = [
      ['findOne {_id}', r.findOneById.at1k, r.findOneById.at100k, r.findOneById.ratio],
      ['findOne {email} (unique index)', r.findOneByUniqueIndex.at1k, r.findOneByUniqueIndex.at100k, r.findOneByUniqueIndex.ratio],
      ['findOne {accountId, userId} (compound index)', r.findOneByCompoundIndex.at1k, r.findOneByCompoundIndex.at100k, r.findOneByCompoundIndex.ratio],
    ];
    return {
      section: 'embedded-mongo-summary',
      title: this.title,
      date: r.date,
      command: ctx.command,
      machine: ctx.machine,
      settings: { connection: 'one (maxPoolSize 1), sequential awaits' },
      tables: [
        { title: "ops/s, best of 3 interleaved rounds (the benchmark's own method)", columns: ['operation', '1k docs', '100k docs', 'ratio 1k/100k'], rows },
        { title: 'insertOne', columns: ['operation', 'ops/s'], rows: [['insertOne', r.insertOne]] },
      ],
      goals: [{ goal: r.goal, value: `worst ${Math.max(...rows.map((row) => Number(row[3])))}`, met: r.withinGoal }],
      notes: [],
      data: r,
    };
  },
};
