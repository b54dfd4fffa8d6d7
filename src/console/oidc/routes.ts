import type { Request, Response, Router } from 'express';
import { render } from '../render';
import type { ConsoleDeps } from '../routes';
import { auditSignIn, auditSignInFailure } from '../../audit/sign-in-audit';
import { openRoute } from '../../auth/roles';
import { startSession } from '../session';
import { safeNext } from '../sign-in';
import { refusalOf, userNameOf } from './allowed';
import { claimValues, roleFromClaim } from './role-claim';
import { ProviderUnavailable, openidClient, type OidcProvider } from './provider';
import type { OidcSettings } from './settings';
import { clearPending, readPending, savePending, stateKey } from './state-cookie';

/**
 * GET /admin/oidc/start and /admin/oidc/callback: the authorization code flow with PKCE
 * (RFC 7636, S256) and a nonce. openid-client checks the ID token (signature against the
 * provider's keys, iss, aud, nonce, exp); we check the state cookie and who may come in,
 * then start a session exactly as the local sign-in does.
 *
 * Every failure is a page with one sentence saying what to do, and a log line (the reason,
 * never a token or a code) for the audit trail to pick up.
 */

/** openid-client's error classes (the library is loaded on first use, ./provider.ts). */
type OpenidErrors = Awaited<ReturnType<typeof openidClient>>['errors'];

/** Bounds what the callback reads: a code and a state are well under a kilobyte. */
const MAX_CALLBACK_URL = 4096;

export function oidcSignInPages(router: Router, deps: ConsoleDeps, settings: OidcSettings, provider: OidcProvider): void {
  const key = stateKey(settings.clientSecret);

  const refuse = (req: Request, res: Response, status: number, message: string, reason: string, error?: string, user = '(none)') => {
    deps.log.warn({ ip: req.ip, issuer: settings.issuer, reason, ...(error ? { error } : {}) }, 'console sign-in refused (single sign-on)');
    // The audit trail's record never throws; it is not awaited so the page is not held up.
    void auditSignInFailure(deps.audit, req, user, 'oidc', error ?? reason);
    render(res, 'error', { title: 'Sign-in did not work', status, message });
  };
  const unavailable = (req: Request, res: Response, err: unknown) => {
    if (!(err instanceof ProviderUnavailable)) throw err;
    refuse(req, res, 503, `Sign-in with ${settings.label} is not available right now: the identity provider cannot be reached. Try again in a minute.`, err.message);
  };

  /** The provider's client, or undefined once the 503 page has answered (it cannot be reached). */
  const clientOrUnavailable = async (req: Request, res: Response) => {
    try {
      return await provider.getClient();
    } catch (err) {
      unavailable(req, res, err);
      return undefined;
    }
  };

  router.get('/oidc/start', openRoute('starts single sign-on'), async (req, res) => {
    const client = await clientOrUnavailable(req, res);
    if (!client) return;
    // Loaded by the client's discovery: no wait here.
    const { generators } = await openidClient();
    const pending = {
      state: generators.state(),
      nonce: generators.nonce(),
      codeVerifier: generators.codeVerifier(),
      next: safeNext(req.query.next),
    };
    savePending(res, req, deps.publicBaseUrl, key, pending, deps.now());
    const url = client.authorizationUrl({
      scope: settings.scopes,
      redirect_uri: settings.redirectUrl,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: generators.codeChallenge(pending.codeVerifier),
      code_challenge_method: 'S256',
    });
    res.redirect(303, url);
  });

  router.get('/oidc/callback', openRoute('finishes single sign-on'), async (req, res) => {
    // One attempt per started sign-in, whatever happens next.
    const pending = readPending(req, deps.publicBaseUrl, key, deps.now());
    clearPending(res, req, deps.publicBaseUrl);
    if (req.originalUrl.length > MAX_CALLBACK_URL) {
      refuse(req, res, 400, 'The answer from the identity provider was too long. Start the sign-in again.', 'callback URL too long');
      return;
    }
    if ('problem' in pending) {
      refuse(req, res, 400, 'This sign-in expired or was not started in this browser. Start it again from the sign-in page.', pending.problem);
      return;
    }
    const client = await clientOrUnavailable(req, res);
    if (!client) return;
    const { errors } = await openidClient();
    let claims;
    let roleValues: string[] | undefined;
    try {
      const params = client.callbackParams(req.originalUrl);
      const tokens = await client.callback(settings.redirectUrl, params, {
        state: pending.state,
        nonce: pending.nonce,
        code_verifier: pending.codeVerifier,
        response_type: 'code',
      });
      claims = tokens.claims();
      roleValues = claimValues(claims, settings.roles.claim);
      // Providers that follow the spec to the letter (oidc-provider, some Keycloak set-ups) put
      // the scopes' claims in the userinfo answer rather than the ID token. openid-client
      // checks that its subject is the ID token's.
      const needsEmail = claims.email === undefined && settings.allowedDomains.length > 0;
      if ((needsEmail || roleValues === undefined) && client.issuer.metadata.userinfo_endpoint) {
        const info = await client.userinfo(tokens);
        claims = { ...claims, email: claims.email ?? info.email, email_verified: claims.email_verified ?? info.email_verified, name: claims.name ?? info.name };
        roleValues ??= claimValues(info, settings.roles.claim);
      }
    } catch (err) {
      const [status, message] = explain(err, settings.label, errors);
      // Messages of both error classes name checks and claims, never the code or a token.
      const error = err instanceof errors.OPError ? err.error : undefined;
      refuse(req, res, status, message, (err as Error).message, error);
      return;
    }
    const refusal = refusalOf(claims, settings);
    const user = userNameOf(settings.issuer, claims);
    if (refusal) {
      refuse(req, res, 403, `Your ${settings.label} account is not allowed to use this console. Ask an administrator to add it.`, `${user}: ${refusal}`, undefined, user);
      return;
    }
    const role = roleFromClaim(roleValues, settings.roles);
    if (!role) {
      // No role is no access (README "Roles"): the person is told what to ask for, the log
      // and the audit trail say which claim and values came (group names, not secrets).
      const got = roleValues === undefined ? `no ${settings.roles.claim} claim` : `${settings.roles.claim} claim [${roleValues.slice(0, 20).join(', ')}] matches no role`;
      refuse(req, res, 403, `Your ${settings.label} account has no role in this console. Ask an administrator to give you one.`, `${user}: ${got}`, undefined, user);
      return;
    }
    await startSession(deps, req, res, user, role);
    deps.log.info({ user, role, email: claims.email, name: claims.name }, 'console sign-in (single sign-on)');
    await auditSignIn(deps.audit, req, user, 'oidc', { role, ...(claims.email ? { email: claims.email } : {}) });
    res.redirect(303, pending.next);
  });
}

/** The status and sentence for a failed callback. */
function explain(err: unknown, label: string, errors: OpenidErrors): [number, string] {
  if (err instanceof errors.OPError) {
    if (err.error === 'access_denied') return [401, `Sign-in with ${label} was cancelled or refused at the identity provider.`];
    // invalid_grant: a code used twice, expired, or issued for another client or verifier.
    if (err.error === 'invalid_grant') return [400, 'This sign-in was already used or has expired. Start it again from the sign-in page.'];
    return [502, `The identity provider refused the sign-in (${err.error}). Try again, or ask an administrator.`];
  }
  if (err instanceof errors.RPError) {
    if (/state mismatch/i.test(err.message)) return [400, 'This sign-in does not match the one started in this browser. Start it again from the sign-in page.'];
    return [401, 'The identity provider\'s answer could not be verified, so you are not signed in. Ask an administrator to check the single sign-on settings.'];
  }
  return [502, 'The identity provider could not be reached to finish the sign-in. Try again in a minute.'];
}
