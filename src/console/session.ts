import { createHash, randomBytes } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { Request, RequestHandler, Response } from 'express';
import type { Role } from '../auth/roles';
import type { AdminSession, Store } from '../store/port';

/**
 * Console sign-in sessions. The cookie holds 32 random bytes; the store keeps only their
 * SHA-256, so a copy of the database signs nobody in. Each session also carries the
 * CSRF token its forms must send back (see csrf.ts).
 */

/** What sessions need of the console's deps (ConsoleDeps fits). */
export interface SessionDeps {
  store: Store;
  /** How long a sign-in lasts. */
  config: { sessionMs: number };
  publicBaseUrl: string;
  now: () => Date;
}

const SESSION_COOKIE = 'ivr_console';

export const randomToken = (): string => randomBytes(32).toString('base64url');
const sessionId = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * HTTPS as the browser sees it: the request itself, or a TLS proxy in front of us (which
 * PUBLIC_BASE_URL announces even when `trust proxy` is not set).
 */
export function isSecure(req: Request, publicBaseUrl: string): boolean {
  return req.secure || /^https:/i.test(publicBaseUrl);
}

/**
 * `__Host-` makes the browser refuse the cookie unless it is Secure, Path=/ and has no
 * Domain, so a sibling subdomain cannot plant one; it needs HTTPS, hence plain on HTTP.
 */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export function readCookie(req: Request, name: string): string | undefined {
  return parseCookie(req.headers.cookie ?? '')[name];
}

/**
 * Sets an HttpOnly, SameSite=Lax cookie on the whole site: for maxAgeMs, until the browser
 * closes when undefined, or cleared with 0.
 */
export function setCookie(res: Response, name: string, value: string, maxAgeMs: number | undefined, secure: boolean): void {
  res.append(
    'Set-Cookie',
    stringifySetCookie(name, value, {
      httpOnly: true,
      // Lax: the cookie comes along when an admin follows a link into the console, never
      // with a cross-site POST.
      sameSite: 'lax',
      path: '/',
      secure,
      ...(maxAgeMs === undefined ? {} : { maxAge: Math.floor(maxAgeMs / 1000) }),
    }),
  );
}

/** The session the request's cookie names, if it exists and has not expired. */
export async function findSession(deps: SessionDeps, req: Request): Promise<AdminSession | undefined> {
  const token = readCookie(req, cookieName(SESSION_COOKIE, isSecure(req, deps.publicBaseUrl)));
  if (!token) return undefined;
  return deps.store.getSession(sessionId(token), deps.now().toISOString());
}

/** Signs `user` in with `role`: a fresh token (never one the browser had before) and the cookie. */
export async function startSession(deps: SessionDeps, req: Request, res: Response, user: string, role: Role): Promise<AdminSession> {
  const now = deps.now();
  // Pruning here keeps the table small without a timer: sign-ins are rare.
  await deps.store.deleteExpiredSessions(now.toISOString());
  const previous = await findSession(deps, req);
  if (previous) await deps.store.deleteSession(previous.id);
  const token = randomToken();
  const session: AdminSession = {
    id: sessionId(token),
    user,
    role,
    csrfToken: randomToken(),
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + deps.config.sessionMs).toISOString(),
  };
  await deps.store.createSession(session);
  const secure = isSecure(req, deps.publicBaseUrl);
  setCookie(res, cookieName(SESSION_COOKIE, secure), token, deps.config.sessionMs, secure);
  return session;
}

/** Signs out: the session is deleted server-side, so a copied cookie stops working too. */
export async function endSession(deps: SessionDeps, req: Request, res: Response): Promise<void> {
  const session = await findSession(deps, req);
  if (session) await deps.store.deleteSession(session.id);
  const secure = isSecure(req, deps.publicBaseUrl);
  setCookie(res, cookieName(SESSION_COOKIE, secure), '', 0, secure);
}

/** The signed-in session of a request that passed requireSignIn. */
export function currentSession(res: Response): AdminSession {
  const session = res.locals.session as AdminSession | undefined;
  if (!session) throw new Error('currentSession: the route is not behind requireSignIn');
  return session;
}

/** The session of this request, when there is one (pages that work signed out, like the layout). */
export function optionalSession(res: Response): AdminSession | undefined {
  return res.locals.session as AdminSession | undefined;
}

/**
 * Lets signed-in requests through with their session in res.locals. Anyone else is sent
 * to the sign-in page, which brings a GET back to where it was going afterwards.
 */
export function requireSignIn(deps: SessionDeps): RequestHandler {
  return async (req, res, next) => {
    const session = await findSession(deps, req);
    if (session) {
      res.locals.session = session;
      next();
      return;
    }
    // Only a GET is worth coming back to: a form posted after the session ran out is not replayed.
    const back = req.method === 'GET' || req.method === 'HEAD' ? `?${new URLSearchParams({ next: req.originalUrl })}` : '';
    res.redirect(303, `/admin/sign-in${back}`);
  };
}
