/**
 * The architecture rules of .dependency-cruiser.cjs (run on src/ by `npm run lint:deps`) reject
 * what they should: each fixture under fixtures/ breaks one rule on purpose.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = 'test/architecture/fixtures';

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: Array<{ name: string }>;
}

const CLI = path.join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const run = (args: string[]) => execFileSync(process.execPath, [CLI, '--config', '.dependency-cruiser.cjs', ...args], { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' });

/** The violations the project's config finds in `dir`. */
function violations(dir: string): Violation[] {
  return (JSON.parse(run(['--output-type', 'json', dir])) as { summary: { violations: Violation[] } }).summary.violations;
}

/** The exit code of the plain check on `dir`, as `npm run lint:deps` runs it on src/. */
function exitCode(dir: string): number {
  try {
    run([dir]);
    return 0;
  } catch (error) {
    return (error as { status: number }).status;
  }
}

test('an import cycle is a violation', () => {
  expect(exitCode(`${FIXTURES}/cycle`)).not.toBe(0);
  const cycles = violations(`${FIXTURES}/cycle`).filter((v) => v.rule.name === 'no-circular');
  expect(cycles).toEqual([expect.objectContaining({ from: `${FIXTURES}/cycle/a.ts`, to: `${FIXTURES}/cycle/b.ts`, rule: { name: 'no-circular', severity: 'error' } })]);
  expect(cycles[0].cycle?.map((step) => step.name)).toEqual([`${FIXTURES}/cycle/b.ts`, `${FIXTURES}/cycle/a.ts`]);
}, 60_000);

test('a resolver importing a model (even a type) is a violation', () => {
  expect(violations(`${FIXTURES}/layers`)).toEqual([
    expect.objectContaining({ from: `${FIXTURES}/layers/thing.resolver.ts`, to: `${FIXTURES}/layers/thing.model.ts`, rule: { name: 'resolver-no-model', severity: 'error' } }),
  ]);
}, 60_000);
