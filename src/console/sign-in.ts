import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { auditSignIn, auditSignInFailure, auditSignOut } from '../audit/sign-in-audit';
import { clientAddress, limitRequests } from '../http/security/rate-limits';
import { requireCsrf, requireSignInFormToken, signInFormToken } from './csrf';
import { unmatchableHash, type PasswordHash } from './password';
import { PasswordChecks, PasswordChecksBusy } from './password-checks';
import { formatTime, render } from './render';
import type { ConsoleDeps } from './routes';
import { openRoute } from '../auth/roles';
import { consoleRole } from './roles';
import { currentSession, endSession, findSession, requireSignIn, startSession } from './session';

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
 * Throws PasswordChecksBusy when every password-check thread is busy.
 */
async function credentialsMatch(
  given: { user: string; password: string },
  account: { user: string; passwordHash: PasswordHash },
  decoy: PasswordHash,
  checks: PasswordChecks,
): Promise<boolean> {
  const userMatches = timingSafeEqual(digest(given.user), digest(account.user));
  const passwordMatches = await checks.matches(given.password, userMatches ? account.passwordHash : decoy);
  return userMatches && passwordMatches;
}

/** Addresses and address-plus-name pairs each limiter remembers at most (bounded-memory-store.ts). */
const MAX_COUNTED_CLIENTS = 10_000;

/**
 * Failed sign-ins are limited three ways, each over 15 minutes, in this order:
 * per address whatever the name (a new name per attempt gains nothing), per address and
 * name (the admin's own typos), and overall (many addresses). A request refused by one
 * is not counted by the next, so one address cannot use up the overall budget.
 */
function failureLimits(deps: ConsoleDeps): RequestHandler[] {
  const refuseWith = (why: string) => (_req: Request, res: Response, retryAfterSeconds: number) => {
    const minutes = Math.ceil(retryAfterSeconds / 60);
    const at = formatTime(new Date(Date.now() + retryAfterSeconds * 1000).toISOString());
    render(res, 'error', {
      title: 'Too many sign-in attempts',
      status: 429,
      message: `${why} Try again in ${minutes} minute${minutes === 1 ? '' : 's'} (after ${at}).`,
    });
  };
  const common = { windowMs: FAILURE_WINDOW_MS, failuresOnly: true, maxKeys: MAX_COUNTED_CLIENTS, log: deps.log };
  return [
    limitRequests({
      ...common,
      name: 'console sign-in per address',
      limit: deps.config.maxFailedSignInsPerAddress,
      refuse: refuseWith('Too many failed sign-ins from your address.'),
    }),
    limitRequests({
      ...common,
      name: 'console sign-in',
      limit: deps.config.maxFailedSignIns,
      key: (req) => `${clientAddress(req)} ${typedUserName(req)}`,
      refuse: refuseWith('Too many failed sign-ins for this user name from your address.'),
    }),
    limitRequests({
      ...common,
      name: 'console sign-in overall',
      limit: deps.config.maxFailedSignInsTotal,
      key: () => 'all',
      refuse: refuseWith('Too many failed sign-ins on this console from everywhere; signed-in sessions are not affected.'),
    }),
  ];
}

/**
 * GET /sign-in (open to all), POST /sign-in when there is a local admin (ADMIN_PASSWORD_HASH),
 * and POST /sign-out. With single sign-on the page also has its button (oidc/routes.ts).
 */
export function signInPages(router: Router, deps: ConsoleDeps, passwordHash: PasswordHash | undefined): void {
  const oidcLabel = deps.config.oidc?.label ?? null;
  const showForm = (req: Request, res: Response, form: { typedUser: string; next: string; error?: string; status?: number }) =>
    render(res, 'sign-in', {
      title: 'Sign in',
      csrfToken: signInFormToken(deps, req, res),
      error: null,
      localSignIn: passwordHash !== undefined,
      oidcLabel,
      oidcStart: `/admin/oidc/start?${new URLSearchParams({ next: form.next })}`,
      ...form,
    });

  router.get('/sign-in', openRoute('the sign-in page'), async (req, res) => {
    const next = safeNext(req.query.next);
    if (await findSession(deps, req)) {
      res.redirect(303, next);
      return;
    }
    showForm(req, res, { typedUser: '', next });
  });

  router.post('/sign-out', requireSignIn(deps), requireCsrf, consoleRole('viewer'), async (req, res) => {
    const { user } = currentSession(res);
    await endSession(deps, req, res);
    deps.log.info({ user }, 'console sign-out');
    await auditSignOut(deps.audit, req, user);
    res.redirect(303, '/admin/sign-in');
  });

  if (passwordHash) localSignIn(router, deps, passwordHash, showForm);
}

type ShowForm = (req: Request, res: Response, form: { typedUser: string; next: string; error?: string; status?: number }) => void;

/** POST /sign-in: the local admin's user name and password. */
function localSignIn(router: Router, deps: ConsoleDeps, passwordHash: PasswordHash, showForm: ShowForm): void {
  const account = { user: deps.config.user, passwordHash };
  const decoy = unmatchableHash(passwordHash);
  const checks = new PasswordChecks(deps.config.concurrentPasswordChecks);

  // The form token is checked before anything costly: no password check without it.
  router.post('/sign-in', openRoute('signs in with the local admin\'s password'), ...failureLimits(deps), requireSignInFormToken(deps), async (req, res) => {
    const parsed = SignInForm.safeParse(req.body ?? {});
    const form = parsed.success ? parsed.data : { user: '', password: '', next: undefined };
    const next = safeNext(form.next);
    if (!form.user || !form.password) {
      showForm(req, res, { typedUser: form.user, next, error: 'Enter your user name and password.', status: 400 });
      return;
    }
    let matches: boolean;
    try {
      matches = await credentialsMatch(form, account, decoy, checks);
    } catch (err) {
      if (!(err instanceof PasswordChecksBusy)) throw err;
      // Answered at once, not queued: a flood of attempts cannot build a backlog of checks.
      deps.log.warn({ ip: req.ip }, 'console sign-in refused: every password check busy');
      res.set('Retry-After', '1');
      render(res, 'error', { title: 'Too many sign-in attempts', status: 429, message: 'The console is checking other sign-ins right now. Try again in a second.' });
      return;
    }
    if (!matches) {
      deps.log.warn({ ip: req.ip }, 'console sign-in refused');
      await auditSignInFailure(deps.audit, req, form.user, 'password', 'wrong user name or password');
      showForm(req, res, { typedUser: form.user, next, error: 'Wrong user name or password.', status: 401 });
      return;
    }
    // The local admin (ADMIN_USER) is the operator's own account: always the admin role.
    await startSession(deps, req, res, account.user, 'admin');
    deps.log.info({ user: account.user, role: 'admin' }, 'console sign-in');
    await auditSignIn(deps.audit, req, account.user, 'password', { role: 'admin' });
    res.redirect(303, next);
  });
}

/** The user name as typed (the form's field, trimmed as SignInForm trims it). */
function typedUserName(req: Request): string {
  const user = (req.body as Record<string, unknown> | undefined)?.user;
  return typeof user === 'string' ? user.trim().slice(0, 200) : '';
}
