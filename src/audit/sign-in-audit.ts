import type { Request } from 'express';
import type { Actor } from './actor';
import type { AuditTrail } from './trail';

/**
 * Sign-ins to the console, for every way of signing in: the local password form calls
 * these, and single sign-on (OpenID Connect) calls them with method "oidc" and the
 * provider's identity (oidc:<issuer-host>:<sub>) as the user.
 */

const userActor = (req: Request, name: string): Actor => ({ kind: 'user', name, ...(req.ip ? { ip: req.ip } : {}) });

export function auditSignIn(trail: AuditTrail, req: Request, user: string, method: string, detail: Record<string, unknown> = {}): Promise<unknown> {
  return trail.record(userActor(req, user), 'sign-in', `user:${user}`, { method, ...detail });
}

/**
 * A refused sign-in. The actor is the name as typed (cut to 100 characters), or "(none)":
 * a guesser's names are part of the evidence. Never the password.
 */
export function auditSignInFailure(trail: AuditTrail, req: Request, typedUser: string, method: string, why: string): Promise<unknown> {
  const name = typedUser.trim().slice(0, 100) || '(none)';
  return trail.record(userActor(req, name), 'sign-in.failed', `user:${name}`, { method, why });
}

export function auditSignOut(trail: AuditTrail, req: Request, user: string): Promise<unknown> {
  return trail.record(userActor(req, user), 'sign-out', `user:${user}`);
}
