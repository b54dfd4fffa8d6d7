import { z } from 'zod';
import { ROLES } from '../auth/roles';
import { ADMIN_TOKEN_ACTOR } from '../audit/actor';

/**
 * A token's name: what the audit trail calls its actor, so short and plain. `admin` is
 * ADMIN_TOKEN's name in the trail: a named token may not take it.
 */
export const TokenName = z
  .string('give the token a name')
  .trim()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'use 1 to 40 lower-case letters, digits and -, starting with a letter or digit')
  .refine((name) => name !== ADMIN_TOKEN_ACTOR, `"${ADMIN_TOKEN_ACTOR}" is ADMIN_TOKEN's name: choose another`);

export const TokenRole = z.enum(ROLES, `choose one of ${ROLES.join(', ')}`);

/** A new token's fields, the same from the API (JSON) and the console (a form). */
export const NewTokenFields = z.object({
  name: TokenName,
  role: TokenRole,
  expiresAt: z.iso.datetime({ offset: true, message: 'an ISO 8601 time, e.g. 2027-01-31T00:00:00Z' }).optional(),
});
export type NewTokenFields = z.infer<typeof NewTokenFields>;

/** A token as listed and answered (the OpenAPI document's view of TokenView). */
export const TokenViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: TokenRole,
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable().describe('coarse: written at most about once a minute'),
  revokedAt: z.string().nullable(),
  revokedBy: z.string().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
