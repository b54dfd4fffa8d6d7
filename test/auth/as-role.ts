import { createHash, randomBytes } from 'node:crypto';
import type { RequestHandler } from 'express';
import pino from 'pino';
import { ApiTokens } from '../../src/api-tokens/tokens';
import { systemActor } from '../../src/audit/actor';
import { AuditTrail } from '../../src/audit/trail';
import { ROLES, type Role } from '../../src/auth/roles';
import type { Store } from '../../src/store/port';

/**
 * Credentials of each role for tests: a console session made in the store (as a sign-in
 * makes one), and a named API token per role, made as the console or POST /api/tokens
 * makes one (src/api-tokens/), so the API checks them as it checks any token.
 */

/** One named API token per role in `store`: each role's bearer secret. */
export async function apiTokensByRole(store: Store): Promise<Record<Role, string>> {
  const now = () => new Date();
  const tokens = new ApiTokens(store, new AuditTrail(store, pino({ level: 'silent' }), now), pino({ level: 'silent' }), now);
  const secrets: Partial<Record<Role, string>> = {};
  for (const role of ROLES) {
    const made = await tokens.create({ name: `test-${role}`, role }, systemActor('test'));
    if (made.kind !== 'created') throw new Error(`could not make the ${role} token: ${made.kind}`);
    secrets[role] = made.secret;
  }
  return secrets as Record<Role, string>;
}

/** A fresh session with `role`: its Cookie header (PUBLIC_BASE_URL is https: __Host-) and CSRF token. */
export async function sessionAs(store: Store, role: Role): Promise<{ cookie: string; csrf: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const now = Date.now();
  await store.createSession({
    id: createHash('sha256').update(token).digest('hex'),
    user: `test-${role}`,
    role,
    csrfToken: csrf,
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + 3_600_000).toISOString(),
  });
  return { cookie: `__Host-ivr_console=${token}`, csrf };
}

/**
 * For tests that mount one group of API routes on a bare express app, without the bearer
 * check in front: the request counts as a named token's with `role`, as after that check.
 */
export const asApiToken =
  (role: Role): RequestHandler =>
  (_req, res, next) => {
    res.locals.apiToken = { name: `test-${role}`, role };
    next();
  };
