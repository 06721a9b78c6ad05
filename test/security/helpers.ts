/**
 * Helpers of the adversarial suite: documents built to be expensive to check, and timing of one call.
 */
export { errorOf, nextOf, rawSocket, type RawSocket } from '../reliability/helpers';

/** Prints a measured figure when SECURITY_REPORT is set (the numbers of the report). */
export function report(line: string): void {
  if (process.env.SECURITY_REPORT) process.stdout.write(`[security] ${line}\n`);
}

/**
 * `levels` fragments, each spreading the next twice (once directly, once inside an inline fragment):
 * about 57 bytes a level, and 2^levels fragment paths for a walk that does not remember results.
 */
export function fragmentChain(levels: number, leaf = '__typename'): string {
  let document = 'query Chain { ...F0 }\n';
  for (let i = 0; i < levels; i += 1) document += `fragment F${i} on Query { ...F${i + 1} ... on Query { ...F${i + 1} } }\n`;
  return `${document}fragment F${levels} on Query { ${leaf} }\n`;
}

/** Runs `action` and answers its result with the milliseconds it took. */
export async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await action();
  return { result, ms: performance.now() - started };
}
