import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ADMIN_TOKEN_ACTOR } from '../audit/actor';
import type { ApiTokenIdentity } from '../auth/roles';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Bearer-token check for admin routes. Without a configured token the admin API is off,
 * and says so, rather than open.
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  if (!token) {
    return (_req, res) => {
      res.status(503).json({ error: 'the admin API is disabled: set ADMIN_TOKEN to enable it' });
    };
  }
  const check = requireBearer(token);
  return (req, res, next) =>
    check(req, res, () => {
      // ADMIN_TOKEN is the operator's own key: the admin role, named as the audit trail names it.
      res.locals.apiToken = { name: ADMIN_TOKEN_ACTOR, role: 'admin' } satisfies ApiTokenIdentity;
      next();
    });
}

/**
 * 401 unless the request carries `Authorization: Bearer <token>`. Comparing fixed-length
 * digests in constant time leaks neither the token nor its length.
 */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
      res.status(401).json({ error: 'missing or invalid bearer token in the Authorization header' });
      return;
    }
    next();
  };
}
