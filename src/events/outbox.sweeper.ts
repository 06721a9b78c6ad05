import type { TicketService } from '../tickets/ticket.service';
import type { LeaseModel } from '../workers/lease.model';
import { leasedLoop, type Worker } from '../workers/leased-loop';

/** Changes younger than this are left to the request that wrote them (it moves them itself). */
const GRACE_MS = 2000;
const BATCH = 100;

/**
 * Finishes every outbox after the grace period: moves into the log what a relay stopped midway left
 * out (a process killed between the change and its event), and drops what is in the log already
 * (entries whose ticket was not written again, which would have dropped them in the same update).
 */
export function outboxSweeper(deps: { tickets: TicketService; leases: LeaseModel; intervalMs: number; onError?(error: unknown): void }): Worker {
  return leasedLoop({
    name: 'outbox-relay',
    leases: deps.leases,
    intervalMs: deps.intervalMs,
    onError: deps.onError,
    async work() {
      await deps.tickets.finishPending(GRACE_MS, BATCH);
    },
  });
}
