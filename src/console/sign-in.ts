import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';
import { clientAddress, limitRequests } from '../http/security/rate-limits';
import { requireCsrf, requireSignInFormToken, signInFormToken } from './csrf';
import { unmatchableHash, verifyPassword, type PasswordHash } from './password';
import { formatTime, render } from './render';
import type { ConsoleDeps } from './routes';
import { endSession, findSession, requireSignIn, startSession } from './session';

/** Where a sign-in goes when it was not sent from a page. */
export const HOME = '/admin/campaigns';

/** SIGN_IN_MAX_FAILURES counts failed sign-ins over this long. */
const FAILURE_WINDOW_MS = 15 * 60_000;

const SignInForm = z.object({
  user: z.string().trim().max(200).default(''),
  // scrypt takes any length, but a megabyte of "password" is not one.
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
});

/**
 * The page to go to after signing in: only a path of this console on this site. Anything
 * else (`//evil.example`, `https://evil.example`, `/\evil.example`) goes HOME, so a link
 * to our sign-in page cannot bounce an admin to a look-alike site.
 */
export function safeNext(value: unknown): string {
  // Backslashes and control characters are read as slashes or dropped by browsers.
  if (typeof value !== 'string' || !value.startsWith('/') || /[\\\u0000-\u001f\u007f]/.test(value)) return HOME;
  const origin = 'http://console.invalid';
  const url = URL.canParse(value, origin) ? new URL(value, origin) : undefined;
  if (url?.origin !== origin) return HOME;
  const inConsole = url.pathname === '/admin' || url.pathname.startsWith('/admin/');
  return inConsole && !url.pathname.startsWith('/admin/sign-') ? url.pathname + url.search : HOME;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * True when both match. A wrong user name still costs a full scrypt check (against a hash
 * nothing matches), so the time taken does not tell a guesser which part was wrong.
 */
async function credentialsMatch(
  given: { user: string; password: string },
  account: { user: string; passwordHash: PasswordHash },
  decoy: PasswordHash,
): Promise<boolean> {
  const userMatches = timingSafeEqual(digest(given.user), digest(account.user));
  const passwordMatches = await verifyPassword(given.password, userMatches ? account.passwordHash : decoy);
  return userMatches && passwordMatches;
}

/** GET and POST /sign-in (open to all) and POST /sign-out. */
export function signInPages(router: Router, deps: ConsoleDeps, passwordHash: PasswordHash): void {
  const account = { user: deps.config.user, passwordHash };
  const decoy = unmatchableHash(passwordHash);

  const showForm = (req: Request, res: Response, form: { typedUser: string; next: string; error?: string; status?: number }) =>
    render(res, 'sign-in', { title: 'Sign in', csrfToken: signInFormToken(deps, req, res), error: null, ...form });

  // Counted per address and user name, so a guesser elsewhere cannot lock the admin out;
  // only failures count. Past the limit even the right password waits for the window.
  const limitFailures = limitRequests({
    name: 'console sign-in',
    windowMs: FAILURE_WINDOW_MS,
    limit: deps.config.maxFailedSignIns,
    key: (req) => `${clientAddress(req)} ${typedUserName(req)}`,
    failuresOnly: true,
    refuse: (_req, res, retryAfterSeconds) => {
      const minutes = Math.ceil(retryAfterSeconds / 60);
      const at = formatTime(new Date(Date.now() + retryAfterSeconds * 1000).toISOString());
      render(res, 'error', {
        title: 'Too many sign-in attempts',
        status: 429,
        message: `Too many failed sign-ins for this user name from your address. Try again in ${minutes} minute${minutes === 1 ? '' : 's'} (after ${at}).`,
      });
    },
    log: deps.log,
  });

  router.get('/sign-in', async (req, res) => {
    const next = safeNext(req.query.next);
    if (await findSession(deps, req)) {
      res.redirect(303, next);
      return;
    }
    showForm(req, res, { typedUser: '', next });
  });

  router.post('/sign-in', limitFailures, requireSignInFormToken(deps), async (req, res) => {
    const parsed = SignInForm.safeParse(req.body ?? {});
    const form = parsed.success ? parsed.data : { user: '', password: '', next: undefined };
    const next = safeNext(form.next);
    if (!form.user || !form.password) {
      showForm(req, res, { typedUser: form.user, next, error: 'Enter your user name and password.', status: 400 });
      return;
    }
    if (!(await credentialsMatch(form, account, decoy))) {
      deps.log.warn({ ip: req.ip }, 'console sign-in refused');
      showForm(req, res, { typedUser: form.user, next, error: 'Wrong user name or password.', status: 401 });
      return;
    }
    await startSession(deps, req, res, account.user);
    deps.log.info({ user: account.user }, 'console sign-in');
    res.redirect(303, next);
  });

  router.post('/sign-out', requireSignIn(deps), requireCsrf, async (req, res) => {
    await endSession(deps, req, res);
    deps.log.info({ user: account.user }, 'console sign-out');
    res.redirect(303, '/admin/sign-in');
  });
}

/** The user name as typed (the form's field, trimmed as SignInForm trims it). */
function typedUserName(req: Request): string {
  const user = (req.body as Record<string, unknown> | undefined)?.user;
  return typeof user === 'string' ? user.trim().slice(0, 200) : '';
}
