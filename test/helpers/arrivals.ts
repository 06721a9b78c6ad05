/**
 * Things that arrive over time (a child process's stdout lines, a socket's messages), and waiting for
 * the first one that matches, seen already or still to come. A wait fails on its timeout, or as soon
 * as the source has ended (the process exited, the socket closed) without a match.
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
