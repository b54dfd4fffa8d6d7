import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { ADMIN_TOKEN_ACTOR } from '../audit/actor';
import type { ApiTokenIdentity } from '../auth/roles';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Finds the API token a bearer value is, with its name and role; undefined when it is none.
 * Named tokens (issue 20 part 2b) plug in here; the role-matrix test gives one per role.
 */
export type ApiTokenLookup = (bearer: string) => Promise<ApiTokenIdentity | undefined>;

const bearerOf = (value: string | undefined): string | undefined => /^Bearer (.+)$/i.exec(value ?? '')?.[1]?.trim() || undefined;

/**
 * Bearer-token check for admin routes: ADMIN_TOKEN (the admin role), else a token `lookup`
 * knows. It leaves the token's name and role in res.locals.apiToken for requireRole and the
 * audit trail. With neither the admin API is off, and says so, rather than open.
 */
export function requireAdminToken(token: string | undefined, lookup?: ApiTokenLookup): RequestHandler {
  if (!token && !lookup) {
    return (_req, res) => {
      res.status(503).json({ error: 'the admin API is disabled: set ADMIN_TOKEN to enable it' });
    };
  }
  const expected = token ? digest(token) : undefined;
  return async (req, res, next) => {
    const bearer = bearerOf(req.get('authorization'));
    // ADMIN_TOKEN is the operator's own key: the admin role, named as the audit trail names it.
    let identity: ApiTokenIdentity | undefined =
      bearer && expected && timingSafeEqual(digest(bearer), expected) ? { name: ADMIN_TOKEN_ACTOR, role: 'admin' } : undefined;
    if (!identity && bearer && lookup) identity = await lookup(bearer);
    if (!identity) {
      refuseBearer(res);
      return;
    }
    res.locals.apiToken = identity;
    next();
  };
}

function refuseBearer(res: Response): void {
  res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
  res.status(401).json({ error: 'missing or invalid bearer token in the Authorization header' });
}

/**
 * 401 unless the request carries `Authorization: Bearer <token>`. Comparing fixed-length
 * digests in constant time leaks neither the token nor its length.
 */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const bearer = bearerOf(req.get('authorization'));
    if (!bearer || !timingSafeEqual(digest(bearer), expected)) {
      refuseBearer(res);
      return;
    }
    next();
  };
}
