/**
 * Waiting for things that arrive over time: items of a source (a child process's stdout lines, a
 * socket's messages), the first one that matches, seen already or still to come; a condition polled
 * until it holds; a promise with a deadline. A wait fails on its timeout, or as soon as the source has
 * ended (the process exited, the socket closed) without a match.
 */
export class Arrivals<T> {
  /** Everything that has arrived, in order. */
  readonly items: T[] = [];
  private readonly listeners = new Set<() => void>();
  private ended = false;

  push(...items: T[]): void {
    this.items.push(...items);
    this.notify();
  }

  /** Nothing more will arrive: pending waits without a match fail now. */
  end(): void {
    this.ended = true;
    this.notify();
  }

  /**
   * The first item that matches. `failure` words the error: `timeout` says whether the wait timed out
   * (rather than the source ending).
   */
  waitFor(match: (item: T) => boolean, ms: number, failure: (timeout: boolean) => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let checked = 0;
      const check = () => {
        for (; checked < this.items.length; checked += 1) {
          if (match(this.items[checked])) {
            done();
            resolve(this.items[checked]);
            return;
          }
        }
        if (this.ended) {
          done();
          reject(new Error(failure(false)));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(failure(true)));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  private notify(): void {
    this.listeners.forEach((listener) => listener());
  }
}

/** Polls `probe` until it returns a value other than undefined/false, or rejects after `ms`. */
export async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, ms: number, what: string | (() => string), everyMs = 50): Promise<T> {
  const deadline = Date.now() + ms;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** `promise`, or a rejection naming `what` after `ms` (the timer is cleared either way). */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what())), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
