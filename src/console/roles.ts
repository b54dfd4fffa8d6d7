import { requireRole, type Role } from '../auth/roles';
import { render } from './render';

/**
 * The console's role check: requireRole answering with a page rather than JSON, which says
 * which role the page needs and shows none of its content.
 */
export function consoleRole(needed: Role) {
  return requireRole(needed, (res, role) =>
    render(res, 'error', {
      title: 'Not allowed',
      status: 403,
      message: `This needs the ${role} role. Ask an administrator if you need it.`,
    }),
  );
}
