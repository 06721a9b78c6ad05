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
      const heads = await deps.models.Event.aggregate<{ _id: string; seq: number }>([{ $group: { _id: '$accountId', seq: { $max: '$seq' } } }]);
      for (const head of heads) {
        await deps.models.Event.deleteMany({ accountId: head._id, createdAt: trusted({ $lt: cutoff }), seq: trusted({ $lt: head.seq }) });
      }
    },
  });
}
