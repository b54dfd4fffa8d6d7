import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { PageError } from './render';
import { cookieName, currentSession, isSecure, randomToken, readCookie, setCookie, type SessionDeps } from './session';

/**
 * Cross-site request forgery. SameSite=Lax already keeps the session cookie off other
 * sites' POSTs; the token is the second lock (old browsers, a compromised sibling site).
 * Forms send it as `_csrf`, scripts as the X-CSRF-Token header.
 */

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SIGN_IN_COOKIE = 'ivr_console_signin';
const TOKEN_FORMAT = /^[A-Za-z0-9_-]{43}$/;
const REFUSED = 'This form has expired or did not come from this console. Go back, reload the page and try again.';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** Equal fixed-length digests compared in constant time: leaks neither the token nor its length. */
export function sameToken(given: unknown, expected: string | undefined): boolean {
  if (typeof given !== 'string' || !given || !expected) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

function sentToken(req: Request): unknown {
  return req.get('x-csrf-token') ?? (req.body as Record<string, unknown> | undefined)?._csrf;
}

/** Every POST (PUT, DELETE...) of a signed-in admin must carry the session's CSRF token; else 403. */
export const requireCsrf: RequestHandler = (req, res, next) => {
  if (SAFE_METHODS.has(req.method) || sameToken(sentToken(req), currentSession(res).csrfToken)) next();
  else next(new PageError(403, REFUSED));
};

/**
 * The sign-in form has no session yet, so it is protected by a double-submit token: a
 * cookie and the same value in the form. A forged cross-site form cannot read the cookie
 * to copy it, so it cannot sign the admin's browser into someone else's account.
 * The token lives until the browser closes; a second tab reuses it.
 */
export function signInFormToken(deps: Pick<SessionDeps, 'publicBaseUrl'>, req: Request, res: Response): string {
  const secure = isSecure(req, deps.publicBaseUrl);
  const existing = readCookie(req, cookieName(SIGN_IN_COOKIE, secure));
  if (existing && TOKEN_FORMAT.test(existing)) return existing;
  const token = randomToken();
  setCookie(res, cookieName(SIGN_IN_COOKIE, secure), token, undefined, secure);
  return token;
}

export function requireSignInFormToken(deps: Pick<SessionDeps, 'publicBaseUrl'>): RequestHandler {
  return (req, _res, next) => {
    const cookie = readCookie(req, cookieName(SIGN_IN_COOKIE, isSecure(req, deps.publicBaseUrl)));
    if (sameToken(sentToken(req), cookie)) next();
    else next(new PageError(403, REFUSED));
  };
}
