import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * Bearer-token check for admin routes. Comparing fixed-length digests in constant time
 * leaks neither the token nor its length. Without a configured token the admin API is
 * off, and says so, rather than open.
 */
export function requireAdminToken(token: string | undefined): RequestHandler {
  const expected = token ? digest(token) : undefined;
  return (req, res, next) => {
    if (!expected) {
      res.status(503).json({ error: 'the admin API is disabled: set ADMIN_TOKEN to enable it' });
      return;
    }
    const match = /^Bearer (.+)$/i.exec(req.get('authorization') ?? '');
    if (!match?.[1] || !timingSafeEqual(digest(match[1].trim()), expected)) {
      res.set('WWW-Authenticate', 'Bearer realm="ivr-deflect"');
      res.status(401).json({ error: 'missing or invalid bearer token in the Authorization header' });
      return;
    }
    next();
  };
}
