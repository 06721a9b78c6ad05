import type { Machine } from './procfs';
import type { SectionResult } from './report';

/** What every section gets from the runner (see bench/run.ts for the flags). */
export interface BenchContext {
  /** Seconds per measured run. */
  durationS: number;
  /** Seconds of the unrecorded warm-up run of each variant. */
  warmupS: number;
  /** Interleaved rounds; medians are reported. */
  rounds: number;
  machine: Machine;
  /** The command line that reproduces this run. */
  command: string;
  /** Extra node flags for the measured server processes (e.g. --cpu-prof). */
  serverNodeArgs: string[];
  /** `--before DIR`: the dist/ of an older build, for the `builds` section. */
  beforeDist?: string;
  log(line: string): void;
}

export interface Section {
  name: string;
  title: string;
  run(ctx: BenchContext): Promise<SectionResult>;
}

/** What every result starts with: which section, when, by which command, on which machine. */
export function resultHeader(ctx: BenchContext, section: Pick<Section, 'name' | 'title'>): Pick<SectionResult, 'section' | 'title' | 'date' | 'command' | 'machine'> {
  return { section: section.name, title: section.title, date: new Date().toISOString(), command: ctx.command, machine: ctx.machine };
}
