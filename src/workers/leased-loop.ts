import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { trusted } from 'mongoose';
import type { LeaseModel } from './lease.model';

/** Background work the server starts and stops with itself. */
export interface Worker {
  readonly name: string;
  start(): void;
  /** One round now (after the current one, if any), as the loop would run it: lease, then work. */
  runOnce(): Promise<void>;
  /** Stops taking new rounds and waits for the current one. */
  stop(): Promise<void>;
}

export interface LeasedLoopOptions {
  name: string;
  leases: LeaseModel;
  intervalMs: number;
  /** How long a lease lasts without renewal; another instance takes over after it (a holder that died). */
  leaseMs?: number;
  /** One bounded batch of work; runs only while this instance holds the lease. */
  work(): Promise<void>;
  onError?(error: unknown): void;
}

const DUPLICATE_KEY = 11000;

/**
 * The one shape of background work: every `intervalMs`, take (or renew) a lease in MongoDB, so that one
 * instance at a time does the work, do one bounded batch, and stop cleanly on shutdown.
 */
export function leasedLoop({ name, leases, intervalMs, leaseMs = Math.max(5 * intervalMs, 5000), work, onError }: LeasedLoopOptions): Worker {
  const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;

  const takeLease = async (): Promise<boolean> => {
    const now = new Date();
    try {
      await leases.updateOne({ _id: name, $or: [{ until: trusted({ $lt: now }) }, { holder }] }, { $set: { holder, until: new Date(now.getTime() + leaseMs) } }, { upsert: true });
      return true;
    } catch (error) {
      // Held by another instance: the upsert collides with its lease.
      if ((error as { code?: number }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  };

  const round = async () => {
    try {
      if (await takeLease()) await work();
    } catch (error) {
      onError?.(error);
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = round().finally(schedule);
    }, intervalMs);
    timer.unref();
  };

  return {
    name,
    start() {
      if (!stopped) return;
      stopped = false;
      running = round().finally(schedule);
    },
    async runOnce() {
      await running;
      running = round();
      await running;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
