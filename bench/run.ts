/**
 * `npm run bench`: the gateway measured against its alternatives, on this machine.
 *
 *   npm run bench                                   every section (about 10 minutes on 2 cores)
 *   npm run bench -- --only shim,fanout             some sections
 *   npm run bench -- --duration 5 --rounds 5        longer, steadier runs
 *   npm run bench -- --only rest --cpu-prof         also write .cpuprofile files of the server processes (path printed)
 *   npm run bench -- --only fanout --server-node-args=--max-semi-space-size=32   node flags for the server processes
 *   npm run bench -- --only builds --before /tmp/before/dist   an older build against this one (see bench/sections/builds.ts)
 *
 * Sections: shim (legacy /api/v1 vs the same operation on /graphql), rest (GraphQL vs a hand-written
 * express + mongoose handler), commands (database commands per request), fanout (1,000 graphql-ws
 * subscribers), scale (1,000 vs 100,000 tickets), embedded-mongo (the embedded MongoDB's own benchmark),
 * layers (where a GraphQL read's CPU goes, in-process); builds (before/after of two builds, only with
 * --only builds --before DIR).
 *
 * Servers are real processes (`node dist/src/index.js`, `node dist/bench/baseline-rest.js`) on a
 * standalone embedded MongoDB process (`node dist/src/embedded-mongo/cli.js`); autocannon runs here.
 * Variants are interleaved (A B, B A, ...) and medians reported, because these machines are noisy.
 * Each section prints a table, writes bench/results/<section>.json and refreshes its block in
 * docs/benchmarks.md.
 */
import './production-env';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchContext, Section } from './lib/context';
import { machine } from './lib/procfs';
import { printSection, updateDocs, writeJson, type SectionResult } from './lib/report';
import { buildsSection } from './sections/builds';
import { commandsSection } from './sections/commands';
import { embeddedMongoSection } from './sections/embedded-mongo';
import { fanoutSection } from './sections/fanout';
import { layersSection } from './sections/layers';
import { restSection } from './sections/rest';
import { scaleSection } from './sections/scale';
import { shimSection } from './sections/shim';

const SECTIONS: readonly Section[] = [shimSection, restSection, layersSection, commandsSection, fanoutSection, scaleSection, embeddedMongoSection];
/** Sections that run only when named in --only. */
const ON_REQUEST: readonly Section[] = [buildsSection];
const ALL = [...SECTIONS, ...ON_REQUEST];

interface Args {
  only: string[];
  durationS: number;
  warmupS: number;
  rounds: number;
  docs: boolean;
  cpuProf: boolean;
  serverNodeArgs: string[];
  beforeDist?: string;
}

function usage(message: string): never {
  console.error(
    `${message}\nusage: npm run bench -- [--only ${ALL.map((s) => s.name).join(',')}] [--duration S] [--warmup S] [--rounds N] [--no-docs] [--cpu-prof] [--server-node-args=FLAGS] [--before DIST_DIR]`,
  );
  process.exit(2);
}

function parseArgs(argv: string[]): Args {
  const args: Args = { only: SECTIONS.map((s) => s.name), durationS: 2, warmupS: 1, rounds: 5, docs: true, cpuProf: false, serverNodeArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const at = argv[i].indexOf('=');
    const flag = at < 0 ? argv[i] : argv[i].slice(0, at);
    const inline = at < 0 ? undefined : argv[i].slice(at + 1);
    const value = () => inline ?? argv[++i] ?? usage(`${flag} needs a value`);
    const number = (min: number) => {
      const n = Number(value());
      if (!Number.isFinite(n) || n < min) usage(`${flag} must be a number >= ${min}`);
      return n;
    };
    switch (flag) {
      case '--only': {
        args.only = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        const unknown = args.only.filter((name) => !ALL.some((s) => s.name === name));
        if (unknown.length) usage(`unknown section ${unknown.join(', ')}`);
        break;
      }
      case '--duration':
        args.durationS = number(1);
        break;
      case '--warmup':
        args.warmupS = number(0);
        break;
      case '--rounds':
        args.rounds = Math.round(number(1));
        break;
      case '--no-docs':
        args.docs = false;
        break;
      case '--cpu-prof':
        args.cpuProf = true;
        break;
      case '--server-node-args':
        args.serverNodeArgs = value().split(/\s+/).filter(Boolean);
        break;
      case '--before': {
        const dir = path.resolve(value());
        if (!fs.existsSync(path.join(dir, 'src', 'index.js'))) usage(`--before ${dir}: no src/index.js there (give the dist/ of a built checkout)`);
        args.beforeDist = dir;
        break;
      }
      case '--help':
      case '-h':
        usage('');
        break;
      default:
        usage(`unknown option ${argv[i]}`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const args = parseArgs(argv);
  const m = machine();
  const started = Date.now();
  console.log(`ticket-gateway benchmarks on ${m.nproc} × ${m.cpuModel}, ${m.memoryGb} GiB, node ${m.node}, ${m.kernel}`);
  console.log(`sections: ${args.only.join(', ')}; ${args.rounds} rounds of ${args.durationS} s (+${args.warmupS} s warm-up) per variant`);
  const profileDir = path.join(os.tmpdir(), `ticket-gateway-profiles-${process.pid}`);
  if (args.cpuProf) {
    fs.mkdirSync(profileDir, { recursive: true });
    console.log(`server CPU profiles: ${profileDir}`);
  }
  const ctx: BenchContext = {
    durationS: args.durationS,
    warmupS: args.warmupS,
    rounds: args.rounds,
    machine: m,
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    serverNodeArgs: [...args.serverNodeArgs, ...(args.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
    beforeDist: args.beforeDist,
    log: (line) => console.log(line),
  };
  const results: SectionResult[] = [];
  let failed = false;
  for (const section of ALL.filter((s) => args.only.includes(s.name))) {
    const sectionStarted = Date.now();
    console.log(`\n>> ${section.title}`);
    try {
      const result = await section.run(ctx);
      results.push(result);
      printSection(result);
      console.log(`  wrote ${path.relative(process.cwd(), writeJson(result))} (${Math.round((Date.now() - sectionStarted) / 1000)} s)`);
    } catch (error) {
      failed = true;
      console.error(`  section ${section.name} FAILED: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  if (args.docs && results.length) {
    const updated = updateDocs(results, [...SECTIONS.map((s) => s.name), 'embedded-mongo-summary']);
    if (updated.length) console.log(`\nrefreshed docs/benchmarks.md: ${updated.join(', ')}`);
  }
  console.log(`\ndone in ${Math.round((Date.now() - started) / 1000)} s`);
  process.exit(failed ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
