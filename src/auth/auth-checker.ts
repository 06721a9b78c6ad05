import type { AuthChecker } from 'type-graphql';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { AppContext } from '../context';

/**
 * `@Authorized()` needs a viewer; `@Authorized('admin')` needs an admin. Anything finer (own tickets,
 * visible messages) is a rule of the services, so it holds for every transport.
 */
export const authChecker: AuthChecker<AppContext, 'admin'> = ({ context }, roles) => {
  const viewer = context.viewer;
  if (!viewer) throw new UnauthenticatedError();
  if (roles.includes('admin') && viewer.role !== 'admin') throw new ForbiddenError('Only an admin may do this');
  return true;
};
