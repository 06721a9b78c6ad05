/**
 * What a child process used, read from /proc (Linux): nothing is exposed by the gateway itself.
 */
import fs from 'node:fs';
import os from 'node:os';

/** USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on Linux). */
const CLOCK_TICKS = 100;

/** utime + stime of a process so far, in milliseconds (10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS;
}

function statusKb(pid: number, key: string): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : NaN;
}

/** Peak resident set size (VmHWM), MiB. */
export function peakRssMb(pid: number): number {
  return Math.round(statusKb(pid, 'VmHWM') / 102.4) / 10;
}

/** Current resident set size (VmRSS), MiB. */
export function rssMb(pid: number): number {
  return Math.round(statusKb(pid, 'VmRSS') / 102.4) / 10;
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  node: string;
  memoryGb: number;
  kernel: string;
}

export function machine(): Machine {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match) cpuModel = match[1].trim();
  } catch {
    // not Linux
  }
  return {
    nproc: os.availableParallelism(),
    cpuModel,
    node: process.version,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: `${os.type()} ${os.release()}`,
  };
}
