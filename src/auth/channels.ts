import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { Viewer } from './viewer';

/**
 * The rule of a service channel (the legacy API): only an admin or an API key may call it; a user
 * token may not. The legacy contract settles it: 401 without credentials, 403 for a user.
 */
export function requireServiceViewer(viewer: Viewer | null): Viewer {
  if (!viewer) throw new UnauthenticatedError('Authentication required: send X-API-Key, Authorization: Bearer <key or admin token>, or ?api_key=');
  if (viewer.role !== 'admin') throw new ForbiddenError('The legacy API is an admin/service channel: a user token may not call it');
  return viewer;
}
