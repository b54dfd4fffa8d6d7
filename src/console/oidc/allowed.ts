import type { IdTokenClaims } from 'openid-client';
import type { OidcSettings } from './settings';

/**
 * Whether the person the provider signed in may use this console, and if not why (logged,
 * not shown). A subject listed in OIDC_ALLOWED_SUBJECTS gets in; otherwise an email whose
 * domain is in OIDC_ALLOWED_DOMAINS, and only one the provider says it verified: an
 * unverified address is whatever the account holder typed.
 */
export function refusalOf(claims: IdTokenClaims, settings: Pick<OidcSettings, 'allowedDomains' | 'allowedSubjects' | 'allowAnyAccount'>): string | undefined {
  if (settings.allowAnyAccount) return undefined;
  if (settings.allowedSubjects.includes(claims.sub)) return undefined;
  if (!settings.allowedDomains.length) return 'subject not in OIDC_ALLOWED_SUBJECTS';
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : undefined;
  if (!email) return 'no email claim (is the email scope granted?)';
  if (claims.email_verified !== true) return 'email not verified by the provider';
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return settings.allowedDomains.includes(domain) ? undefined : `email domain ${domain} not in OIDC_ALLOWED_DOMAINS`;
}

/**
 * The console user name of a provider's account: the issuer's host and the subject, which the
 * provider promises never to reuse (an email can change hands). `oidc:` cannot be a local
 * ADMIN_USER (letters, digits and . _ @ - only), so the two never mix in logs.
 */
export function userNameOf(issuer: string, claims: IdTokenClaims): string {
  return `oidc:${new URL(issuer).host}:${claims.sub}`;
}
