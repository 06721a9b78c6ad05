/**
 * Section results: a text table on stdout, JSON in bench/results/<section>.json, and the same
 * tables rendered into docs/benchmarks.md between `<!-- bench:<section> -->` markers.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Machine } from './procfs';
import { ROOT } from './processes';

export type Cell = string | number | boolean | null;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
}

export interface Goal {
  goal: string;
  /** The measured figure, as the goal states it (a ratio, a latency...). */
  value: string;
  met: boolean;
}

export interface SectionResult {
  section: string;
  title: string;
  date: string;
  /** The command that produced these numbers. */
  command: string;
  machine: Machine;
  settings: Record<string, unknown>;
  tables: Table[];
  goals: Goal[];
  notes: string[];
  /** Everything measured, per round. */
  data: unknown;
}

export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const DOCS_FILE = path.join(ROOT, 'docs', 'benchmarks.md');

function text(cell: Cell): string {
  if (cell === null) return '';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'NO';
  return String(cell);
}

export function printTable(table: Table): void {
  const cells = [table.columns, ...table.rows.map((row) => row.map(text))];
  const widths = table.columns.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(`\n  ${table.title}`);
  console.log(`  ${line(table.columns)}`);
  console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of cells.slice(1)) console.log(`  ${line(row)}`);
}

export function printSection(result: SectionResult): void {
  console.log(`\n== ${result.title} ==`);
  for (const table of result.tables) printTable(table);
  if (result.goals.length) {
    console.log('');
    for (const goal of result.goals) console.log(`  [${goal.met ? 'met' : 'NOT met'}] ${goal.goal}: ${goal.value}`);
  }
  for (const note of result.notes) console.log(`  note: ${note}`);
}

export function writeJson(result: SectionResult): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${result.section}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `**${table.title}**`,
    '',
    `| ${table.columns.map(escape).join(' | ')} |`,
    `| ${table.columns.map((_, c) => (c === 0 ? '---' : '---:')).join(' | ')} |`,
    ...table.rows.map((row) => `| ${row.map((cell) => escape(text(cell))).join(' | ')} |`),
  ].join('\n');
}

export function markdownSection(result: SectionResult): string {
  const m = result.machine;
  const parts = [
    `_Measured ${result.date.slice(0, 16).replace('T', ' ')} UTC with \`${result.command}\` on ${m.nproc} × ${m.cpuModel}, node ${m.node}; ` +
      `settings: ${Object.entries(result.settings)
        .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(', ')}. ` +
      `Raw numbers: \`bench/results/${result.section}.json\`._`,
    ...result.tables.map(markdownTable),
  ];
  if (result.goals.length) {
    parts.push(result.goals.map((g) => `- ${g.met ? '**met**' : '**not met**'}: ${g.goal}: ${g.value}`).join('\n'));
  }
  if (result.notes.length) parts.push(result.notes.map((n) => `- ${n}`).join('\n'));
  return parts.join('\n\n');
}

/** Every section result in bench/results (the latest run of each section). */
export function readResults(order: readonly string[]): SectionResult[] {
  if (!fs.existsSync(RESULTS_DIR)) return [];
  const results = fs
    .readdirSync(RESULTS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => JSON.parse(fs.readFileSync(path.join(RESULTS_DIR, file), 'utf8')) as Partial<SectionResult>)
    .filter((r): r is SectionResult => typeof r.section === 'string' && Array.isArray(r.goals) && Array.isArray(r.tables));
  const rank = (r: SectionResult) => (order.indexOf(r.section) + order.length + 1) % (order.length + 1);
  return results.sort((a, b) => rank(a) - rank(b));
}

/** Every goal of every section, as the summary table of docs/benchmarks.md. */
export function summaryMarkdown(results: readonly SectionResult[]): string {
  const rows = results.flatMap((r) =>
    r.goals.map(
      (g) =>
        `| ${r.title.replace(/\|/g, '\\|')} | ${g.goal.replace(/\|/g, '\\|')} | ${g.value.replace(/\|/g, '\\|')} | ${g.met ? 'met' : '**not met**'} | ${r.date.slice(0, 10)} |`,
    ),
  );
  return ['| section | goal | measured | | run |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function replaceBlock(doc: string, name: string, content: string): string | undefined {
  const open = `<!-- bench:${name} -->`;
  const close = `<!-- /bench:${name} -->`;
  const start = doc.indexOf(open);
  const end = doc.indexOf(close);
  if (start < 0 || end < start) return undefined;
  return `${doc.slice(0, start + open.length)}\n${content}\n${doc.slice(end)}`;
}

/**
 * Replaces the generated block of each section in docs/benchmarks.md (blocks not present are left
 * alone), and the summary block from every result in bench/results.
 */
export function updateDocs(results: readonly SectionResult[], order: readonly string[]): string[] {
  if (!fs.existsSync(DOCS_FILE)) return [];
  let doc = fs.readFileSync(DOCS_FILE, 'utf8');
  const updated: string[] = [];
  for (const result of results) {
    const next = replaceBlock(doc, result.section, markdownSection(result));
    if (next === undefined) continue;
    doc = next;
    updated.push(result.section);
  }
  const summary = replaceBlock(doc, 'summary', summaryMarkdown(readResults(order)));
  if (summary !== undefined) {
    doc = summary;
    updated.push('summary');
  }
  fs.writeFileSync(DOCS_FILE, doc);
  return updated;
}
