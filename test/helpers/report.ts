/** Prints a measured figure when RELIABILITY_REPORT is set (the numbers of the reliability report). */
export function report(line: string): void {
  if (process.env.RELIABILITY_REPORT) process.stdout.write(`[reliability] ${line}\n`);
}
