import { trusted } from 'mongoose';
import type { Clock } from '../shared/time';
import type { LeaseModel } from '../workers/lease.model';
import { leasedLoop, type Worker } from '../workers/leased-loop';
import type { EventModels } from './event.model';

/**
 * The log's retention (EVENT_RETENTION_DAYS): removes older events, but never an account's newest one,
 * so an idle account's numbering goes on from where it was (sequence numbers only ever grow).
 */
export function eventRetention(deps: { models: EventModels; leases: LeaseModel; clock: Clock; retentionDays: number; intervalMs: number; onError?(error: unknown): void }): Worker {
  return leasedLoop({
    name: 'event-retention',
    leases: deps.leases,
    intervalMs: deps.intervalMs,
    onError: deps.onError,
    async work() {
      const cutoff = new Date(deps.clock().getTime() - deps.retentionDays * 86_400_000);
      // Both reads run on the {accountId, seq} index: the accounts, then each one's newest number.
      for (const accountId of (await deps.models.Event.distinct('accountId')) as string[]) {
        const [newest] = await deps.models.Event.find({ accountId }, { seq: 1 }).sort({ seq: -1 }).limit(1).lean<Array<{ seq: number }>>();
        if (newest) await deps.models.Event.deleteMany({ accountId, createdAt: trusted({ $lt: cutoff }), seq: trusted({ $lt: newest.seq }) });
      }
    },
  });
}
