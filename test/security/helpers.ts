/**
 * Helpers of the adversarial suite: documents built to be expensive to check, and timing of one call.
 */
import type { RawSocket } from '../helpers/websocket';

export { errorOf, nextOf, rawSocket, type RawSocket } from '../helpers/websocket';

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

/**
 * Counts the live subscriptions to the app's event pub/sub: one from its first `next()` (when it
 * starts listening) until it is returned or ends. What each WebSocket execution holds on the server.
 */
export function countLiveSubscriptions(pubSub: { subscribe: (...args: any[]) => AsyncIterable<unknown> }): () => number {
  const original = pubSub.subscribe.bind(pubSub);
  let live = 0;
  pubSub.subscribe = (...args: any[]) => {
    const source = original(...args)[Symbol.asyncIterator]();
    let state: 'new' | 'live' | 'ended' = 'new';
    const end = () => {
      if (state === 'live') live -= 1;
      state = 'ended';
    };
    const iterator: AsyncIterableIterator<unknown> = {
      [Symbol.asyncIterator]: () => iterator,
      next: async () => {
        if (state === 'new') {
          state = 'live';
          live += 1;
        }
        const result = await source.next();
        if (result.done) end();
        return result;
      },
      return: async (value?: unknown) => {
        end();
        return source.return ? source.return(value) : { done: true, value };
      },
    };
    return iterator;
  };
  return () => live;
}

/** Sends `messages` as one write, so that the server reads them in one chunk (no event in between). */
export function sendTogether(socket: RawSocket, messages: unknown[]): void {
  const tcp = (socket.ws as unknown as { _socket: import('node:net').Socket })._socket;
  tcp.cork();
  for (const message of messages) socket.send(message);
  process.nextTick(() => tcp.uncork());
}
