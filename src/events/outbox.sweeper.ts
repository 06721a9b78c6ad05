import type { TicketService } from '../tickets/ticket.service';
import type { LeaseModel } from '../workers/lease.model';
import { leasedLoop, type Worker } from '../workers/leased-loop';

/** Changes younger than this are left to the request that wrote them (it moves them itself). */
const GRACE_MS = 2000;
const BATCH = 100;

/**
 * Finishes what a relay stopped midway left behind (a process killed between the change and its event
 * entering the log): tickets whose outbox still holds entries after the grace period.
 */
export function outboxSweeper(deps: { tickets: TicketService; leases: LeaseModel; intervalMs: number; onError?(error: unknown): void }): Worker {
  return leasedLoop({
    name: 'outbox-relay',
    leases: deps.leases,
    intervalMs: deps.intervalMs,
    onError: deps.onError,
    async work() {
      const pending = await deps.tickets.pendingChanges(GRACE_MS, BATCH);
      for (const changes of pending) await deps.tickets.moveToLog(changes);
    },
  });
}
