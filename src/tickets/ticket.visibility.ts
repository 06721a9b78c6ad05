import type { Viewer } from '../auth/viewer';

/** The tickets a viewer may see: its account's; for a user, only its own. */
export function ticketScope(viewer: Viewer): { accountId: string; userId?: number } {
  return viewer.role === 'admin' ? { accountId: viewer.accountId } : { accountId: viewer.accountId, userId: viewer.userId };
}

export function canSeeTicket(viewer: Viewer, ticket: { accountId: string; userId: number }): boolean {
  return ticket.accountId === viewer.accountId && (viewer.role === 'admin' || ticket.userId === viewer.userId);
}
