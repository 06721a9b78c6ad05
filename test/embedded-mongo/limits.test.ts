/**
 * The list of what the embedded MongoDB does not do is kept in one place (limits.UNSUPPORTED) and
 * shown in the README's "Embedded MongoDB" section: the two must not drift apart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UNSUPPORTED } from '../../src/embedded-mongo';

it('the README section lists every entry of UNSUPPORTED, and nothing else', () => {
  const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
  const start = readme.indexOf('## Embedded MongoDB');
  expect(start).toBeGreaterThanOrEqual(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const rows = section.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| not supported') && !line.startsWith('| ---'));
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  expect(rows).toEqual(UNSUPPORTED.map((l) => `| ${escape(l.feature)} | ${escape(l.answer)} |`));
});
