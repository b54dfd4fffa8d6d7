import { createHash, randomBytes } from 'node:crypto';
import { ROLES, type ApiTokenIdentity, type Role } from '../../src/auth/roles';
import type { Store } from '../../src/store/port';

/**
 * Credentials of each role for tests: a console session made in the store (as a sign-in
 * makes one), and an API token per role through requireAdminToken's lookup (named tokens,
 * issue 20 part 2b, will be real ones).
 */

export const API_TOKENS: Record<string, ApiTokenIdentity> = Object.fromEntries(ROLES.map((role) => [`test-${role}-token`, { name: `test-${role}`, role }]));
export const apiTokenOf = (role: Role): string => `test-${role}-token`;
export const lookupTestToken = async (bearer: string): Promise<ApiTokenIdentity | undefined> => API_TOKENS[bearer];

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
