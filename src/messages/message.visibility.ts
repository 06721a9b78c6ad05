import type { Viewer } from '../auth/viewer';

/**
 * The one rule of which messages a viewer may see, of the tickets it may see: an admin sees the whole
 * conversation; a user never sees an internal note (`showToUser: false`). As a query condition for
 * reads, and as a test for events.
 */
export function messageScope(viewer: Viewer): { accountId: string; showToUser?: true } {
  return viewer.role === 'admin' ? { accountId: viewer.accountId } : { accountId: viewer.accountId, showToUser: true };
}

export function showsMessageTo(viewer: Viewer, message: { showToUser: boolean }): boolean {
  return viewer.role === 'admin' || message.showToUser;
}
