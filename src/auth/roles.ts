import type { RequestHandler, Response } from 'express';
import type { AdminSession } from '../store/port';

/**
 * Who may do what (issue 20 part 2). Each role includes the ones before it:
 * - viewer: reports, calls, masked messages, the audit trail's reading;
 * - editor: also campaigns and the service switch;
 * - admin: also revealing numbers, erasure, legal holds, the opt-out list and API tokens.
 */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

/** Whether `held` is at least `needed`. */
export const allows = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/**
 * The API token a request authenticated with, as the admin API's bearer check leaves it in
 * res.locals.apiToken: ADMIN_TOKEN is `{ name: 'admin', role: 'admin' }`.
 */
export interface ApiTokenIdentity {
  name: string;
  role: Role;
}

/**
 * The role of a request that passed the console's sign-in or the API's bearer check;
 * undefined when it passed neither (a route outside both must not ask).
 */
export function roleOf(res: Response): Role | undefined {
  const session = res.locals.session as AdminSession | undefined;
  if (session) return session.role ?? 'admin';
  return (res.locals.apiToken as ApiTokenIdentity | undefined)?.role;
}

/** 403 unless the request's role is at least `needed`. */
export function requireRole(needed: Role): RequestHandler {
  return (_req, res, next) => {
    const held = roleOf(res);
    if (held && allows(held, needed)) {
      next();
      return;
    }
    res.status(403).json({ error: `this needs the ${needed} role${held ? `; you have ${held}` : ''}` });
  };
}
