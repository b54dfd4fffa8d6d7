import { z } from 'zod';
import { optionalText } from '../../env-values';
import { ROLES } from '../../auth/roles';
import type { RoleMapping } from './role-claim';

/**
 * Single sign-on for the console: OpenID Connect (authorization code with PKCE) beside the
 * local admin. README "Single sign-on". Unset OIDC_ISSUER: no sign-in button, nothing else changes.
 */
export interface OidcSettings {
  /** The provider's issuer URL, as its discovery document names it. */
  issuer: string;
  clientId: string;
  /** A secret: redacted in logs, never shown. Also keys the signed state cookie (state-cookie.ts). */
  clientSecret: string;
  /** Always includes openid. */
  scopes: string;
  /** Registered at the provider: PUBLIC_BASE_URL + /admin/oidc/callback unless set. */
  redirectUrl: string;
  /** Who may sign in (email domains, verified emails only; or subjects); both empty with allowAnyAccount only. */
  allowedDomains: readonly string[];
  allowedSubjects: readonly string[];
  /** Every account the provider signs in gets in: only for a provider (realm, tenant) kept for this console. */
  allowAnyAccount: boolean;
  /** "Sign in with <label>". */
  label: string;
  /** Which console role each user gets, from a claim of the provider's (role-claim.ts). */
  roles: RoleMapping;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/** https, or http only on this machine (a provider in a test, or a local Keycloak). */
export function issuerProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an absolute https URL';
  const url = new URL(value);
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return 'must be an https URL (http only for 127.0.0.1, [::1] or localhost)';
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A comma list of a provider's role or group values (group names may hold spaces). */
const roleValues = optionalText.pipe(
  z
    .string()
    .max(4000, 'must be at most 4000 characters')
    .transform(list)
    .optional(),
);

export const OidcEnvShape = {
  OIDC_ISSUER: optionalText.pipe(
    z
      .string()
      .superRefine((v, ctx) => {
        const problem = issuerProblem(v);
        if (problem) ctx.addIssue(problem);
      })
      .optional(),
  ),
  OIDC_CLIENT_ID: optionalText.pipe(z.string().max(512).optional()),
  OIDC_CLIENT_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').max(1024).optional()),
  OIDC_SCOPES: optionalText.pipe(
    z
      .string()
      .regex(/^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$/, 'must be scopes separated by single spaces')
      .refine((v) => v.split(' ').includes('openid'), 'must include openid')
      .default('openid email profile'),
  ),
  OIDC_REDIRECT_URL: optionalText.pipe(
    z
      .string()
      .refine((v) => /^https?:\/\/[^/]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
      .optional(),
  ),
  OIDC_ALLOWED_DOMAINS: optionalText.pipe(
    z
      .string()
      .transform((v) => list(v).map((d) => d.toLowerCase()))
      .refine((ds) => ds.every((d) => /^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(d)), 'must be a comma-separated list of domains (example.com)')
      .optional(),
  ),
  OIDC_ALLOWED_SUBJECTS: optionalText.pipe(z.string().transform(list).optional()),
  OIDC_ALLOW_ANY_ACCOUNT: optionalText.pipe(z.enum(['true', 'false']).default('false')),
  OIDC_LABEL: optionalText.pipe(z.string().max(60, 'must be at most 60 characters').default('single sign-on')),
  OIDC_ROLE_CLAIM: optionalText.pipe(
    z
      .string()
      .max(200, 'must be at most 200 characters')
      .regex(/^[\x21-\x7e]+$/, 'must be a claim name (no spaces)')
      .default('roles'),
  ),
  OIDC_ADMIN_VALUES: roleValues,
  OIDC_EDITOR_VALUES: roleValues,
  OIDC_VIEWER_VALUES: roleValues,
  OIDC_DEFAULT_ROLE: optionalText.pipe(z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')} (or unset: no role, no sign-in)` }).optional()),
};

type OidcEnv = z.output<z.ZodObject<typeof OidcEnvShape>>;

/** The settings, or undefined when OIDC_ISSUER is unset; adds a line per problem. */
export function oidcSettingsFrom(e: OidcEnv, publicBaseUrl: string, problems: string[]): OidcSettings | undefined {
  if (!e.OIDC_ISSUER) {
    const stray = (['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const).find((name) => e[name] !== undefined);
    if (stray) problems.push(`OIDC_ISSUER: must be set when ${stray} is`);
    return undefined;
  }
  if (!e.OIDC_CLIENT_ID) problems.push('OIDC_CLIENT_ID: must be set when OIDC_ISSUER is');
  // A confidential client: the secret authenticates the code exchange (PKCE protects the code too).
  if (!e.OIDC_CLIENT_SECRET) problems.push('OIDC_CLIENT_SECRET: must be set when OIDC_ISSUER is');
  const allowedDomains = e.OIDC_ALLOWED_DOMAINS ?? [];
  const allowedSubjects = e.OIDC_ALLOWED_SUBJECTS ?? [];
  const allowAnyAccount = e.OIDC_ALLOW_ANY_ACCOUNT === 'true';
  // A shared provider (Google, a company's whole tenant) signs in far more people than run
  // this console: saying who may come in is required, "anyone" must be said out loud.
  if (!allowAnyAccount && !allowedDomains.length && !allowedSubjects.length) {
    problems.push('OIDC_ALLOWED_DOMAINS: set it or OIDC_ALLOWED_SUBJECTS (or OIDC_ALLOW_ANY_ACCOUNT=true) to say who may sign in');
  }
  const values = { admin: e.OIDC_ADMIN_VALUES ?? [], editor: e.OIDC_EDITOR_VALUES ?? [], viewer: e.OIDC_VIEWER_VALUES ?? [] };
  // Every single sign-on user needs a role: without a mapping or a default, every sign-in
  // would be refused, so an upgrade from before roles says so at start-up instead.
  if (!values.admin.length && !values.editor.length && !values.viewer.length && !e.OIDC_DEFAULT_ROLE) {
    problems.push('OIDC_ADMIN_VALUES: set it, OIDC_EDITOR_VALUES or OIDC_VIEWER_VALUES (the OIDC_ROLE_CLAIM values of each role), or OIDC_DEFAULT_ROLE, to give single sign-on users a role');
  }
  if (!e.OIDC_CLIENT_ID || !e.OIDC_CLIENT_SECRET) return undefined;
  return {
    issuer: e.OIDC_ISSUER,
    clientId: e.OIDC_CLIENT_ID,
    clientSecret: e.OIDC_CLIENT_SECRET,
    scopes: e.OIDC_SCOPES,
    redirectUrl: e.OIDC_REDIRECT_URL ?? `${publicBaseUrl}/admin/oidc/callback`,
    allowedDomains,
    allowedSubjects,
    allowAnyAccount,
    label: e.OIDC_LABEL,
    roles: { claim: e.OIDC_ROLE_CLAIM, values, defaultRole: e.OIDC_DEFAULT_ROLE },
  };
}
