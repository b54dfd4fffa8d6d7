import type { RequestHandler, Response } from 'express';
import type { AdminSession } from '../store/port';

/**
 * Who may do what (issue 20 part 2; README "Roles"). Each role includes the ones before it:
 * - viewer: reports, calls, masked messages, campaigns and the service switch read-only;
 * - editor: also changes campaigns, switches the service, and runs the simulator (it sends
 *   real texts);
 * - admin: also reveals whole numbers, erasure, legal holds, the opt-out list, API tokens and
 *   the audit trail. The trail is admin-only: it holds colleagues' IP addresses and what was
 *   revealed or erased about whom, which a viewer's work does not need.
 */
export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (value: unknown): value is Role => (ROLES as readonly unknown[]).includes(value);

/** Whether `held` is at least `needed`. */
export const allows = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

/** The highest of some roles; undefined for none. */
export const highestRole = (roles: Iterable<Role>): Role | undefined => {
  let best: Role | undefined;
  for (const role of roles) if (!best || !allows(best, role)) best = role;
  return best;
};

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

/** Whether the request's role is at least `needed` (false with no role at all). */
export function hasRole(res: Response, needed: Role): boolean {
  const held = roleOf(res);
  return held !== undefined && allows(held, needed);
}

/** The API's refusal: JSON naming the role needed (and the one held). */
export function refuseRole(res: Response, needed: Role): void {
  const held = roleOf(res);
  res.status(403).json({ error: `this needs the ${needed} role${held ? `; you have ${held}` : ''}` });
}

/**
 * What a route declares about who may use it: a minimum role, or `open` with the reason it
 * has no role (a sign-in page, a public document, a route with its own credential). The
 * role-matrix test (test/auth/role-matrix.test.ts) walks the routers and fails on a route
 * that declares neither, so a new route cannot slip in unchecked.
 */
export type RouteAccess = { role: Role } | { open: string };

const ACCESS = Symbol.for('ivr-deflect.route-access');

/** The declaration a route handler carries, if it is one. */
export function accessOf(handler: unknown): RouteAccess | undefined {
  return (handler as { [ACCESS]?: RouteAccess } | undefined)?.[ACCESS];
}

function declare<H extends RequestHandler<any>>(handler: H, access: RouteAccess): H {
  return Object.assign(handler, { [ACCESS]: access });
}

/**
 * A handler for any route's params: typed as express's default (ParamsDictionary) it would
 * make express infer that for the route's own handler, whose `req.params.id` would then be
 * `string | string[]` instead of the path's `string`.
 */
type AnyRouteHandler = RequestHandler<any>;

/**
 * 403 unless the request's role is at least `needed`; `refuse` answers (default: the API's
 * JSON). Put it in the route itself (router.get(path, requireRole(...), handler)), not in a
 * router.use, so the route carries its declaration.
 */
export function requireRole(needed: Role, refuse: (res: Response, needed: Role) => void = refuseRole): AnyRouteHandler {
  return declare<AnyRouteHandler>(
    (_req, res, next) => {
      if (hasRole(res, needed)) next();
      else refuse(res, needed);
    },
    { role: needed },
  );
}

/** Declares a route that needs no role, saying why (it does nothing else). */
export function openRoute(why: string): AnyRouteHandler {
  return declare<AnyRouteHandler>((_req, _res, next) => next(), { open: why });
}
