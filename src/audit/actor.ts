import type { Request } from 'express';
import type { ApiTokenIdentity } from '../auth/roles';
import type { AdminSession } from '../store/port';

/**
 * Who did something, as every part of the app names it: a console user (its session's
 * user: the local admin's name, or for a single sign-on `oidc:<issuer-host>:<sub>`), the
 * admin API's bearer token (`admin` for ADMIN_TOKEN, else the named token's name), or one of our own jobs
 * (`system`, e.g. `retention`). ip is the client's address as express gives it (req.ip),
 * which honours TRUST_PROXY: behind a proxy not named there, it is the proxy's address.
 */
export interface Actor {
  kind: 'user' | 'token' | 'system';
  name: string;
  ip?: string;
}

/** ADMIN_TOKEN's name as an actor; named API tokens may not take it (src/api-tokens/schemas.ts). */
export const ADMIN_TOKEN_ACTOR = 'admin';

/**
 * The actor of a request that passed the console's sign-in or the admin API's bearer
 * check: the console session when there is one, the bearer token otherwise.
 */
export function actorOf(req: Request): Actor {
  const session = req.res?.locals.session as AdminSession | undefined;
  const ip = req.ip ? { ip: req.ip } : {};
  if (session) return { kind: 'user', name: session.user, ...ip };
  const token = req.res?.locals.apiToken as ApiTokenIdentity | undefined;
  return { kind: 'token', name: token?.name ?? ADMIN_TOKEN_ACTOR, ...ip };
}

/** One of our own jobs (retention, the campaign loader), never a request. */
export const systemActor = (name: string): Actor => ({ kind: 'system', name });
