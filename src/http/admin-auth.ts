import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { ADMIN_TOKEN_ACTOR } from '../audit/actor';
import type { ApiTokenIdentity } from '../auth/roles';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

const UNAUTHORISED = 'missing or invalid bearer token in the Authorization header';

/** Who may present a bearer token: ADMIN_TOKEN's holder, and named tokens when given. */
interface TokenCheck {
  authenticate(secret: string): Promise<ApiTokenIdentity | undefined>;
  anyActive(): Promise<boolean>;
}

/**
 * Bearer-token check for admin routes: ADMIN_TOKEN (the admin role, named `admin` in the
 * audit trail) or a named API token (src/api-tokens/, its own name and role). Either way
 * res.locals.apiToken says who it is. Unknown, revoked and expired tokens get the same
 * 401, so a caller learns nothing of which. With no ADMIN_TOKEN and no active named
 * token the API is off, and says so (503), rather than open.
 */
export function requireAdminToken(token: string | undefined, named?: TokenCheck): RequestHandler {
  const expected = token === undefined ? undefined : digest(token);
  return async (req, res, next) => {
    const presented = bearerOf(req.get('authorization'));
    let identity: ApiTokenIdentity | undefined;
    if (presented !== undefined && expected && timingSafeEqual(digest(presented), expected)) {
      identity = { name: ADMIN_TOKEN_ACTOR, role: 'admin' };
    } else if (presented !== undefined && named) {
      identity = await named.authenticate(presented);
    }
    if (identity) {
      res.locals.apiToken = identity;
      next();
      return;
    }
    // Only on a refusal: the off state costs a look at the token list, never a good request.
    if (!expected && !(await named?.anyActive())) {
      res.status(503).json({ error: 'the admin API is disabled: set ADMIN_TOKEN, or create an API token in the console, to enable it' });
      return;
    }
    res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
    res.status(401).json({ error: UNAUTHORISED });
  };
}

const bearerOf = (header: string | undefined): string | undefined => {
  const value = /^Bearer (.+)$/i.exec(header ?? '')?.[1]?.trim();
  return value || undefined;
};

/**
 * 401 unless the request carries `Authorization: Bearer <token>`. Comparing fixed-length
 * digests in constant time leaks neither the token nor its length.
 */
export function requireBearer(token: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const presented = bearerOf(req.get('authorization'));
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
      res.status(401).json({ error: UNAUTHORISED });
      return;
    }
    next();
  };
}
