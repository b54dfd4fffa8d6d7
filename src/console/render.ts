import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { allows, type Role } from '../auth/roles';
import { assetUrl } from './assets';
import { label } from './labels';
import { optionalSession } from './session';

/**
 * How console pages are drawn: every page is a template under templates/console/ that
 * includes layout/header and layout/footer, and is rendered through render(), which hands
 * the layout what it needs (who is signed in, the CSRF token for its forms, the nav).
 */

export type NavItem = 'campaigns' | 'messages' | 'opt-outs' | 'reports' | 'simulator' | 'service' | 'audit' | 'tokens';

/** The nav, each entry with the role its page needs (the page's route checks it too). */
export const NAV: ReadonlyArray<{ id: NavItem; label: string; href: string; role: Role }> = [
  { id: 'campaigns', label: 'Campaigns', href: '/admin/campaigns', role: 'viewer' },
  { id: 'messages', label: 'Messages', href: '/admin/messages', role: 'viewer' },
  { id: 'opt-outs', label: 'Opt-outs', href: '/admin/opt-outs', role: 'admin' },
  { id: 'reports', label: 'Reports', href: '/admin/reports', role: 'viewer' },
  { id: 'simulator', label: 'Simulator', href: '/admin/simulator', role: 'editor' },
  { id: 'service', label: 'Service', href: '/admin/service', role: 'viewer' },
  { id: 'audit', label: 'Audit', href: '/admin/audit', role: 'admin' },
  { id: 'tokens', label: 'Tokens', href: '/admin/tokens', role: 'admin' },
];

export interface PageLocals {
  /** The page's heading and the first part of the window title. */
  title: string;
  /** The nav entry to highlight; none for pages outside the nav. */
  nav?: NavItem;
  /** HTTP status; 200 unless given. */
  status?: number;
  /** Only for forms shown signed out (sign-in); signed in, the session's token is used. */
  csrfToken?: string;
  [name: string]: unknown;
}

/** "2026-11-21 10:00:05 UTC"; console.js shows it in the browser's own zone. */
export function formatTime(iso: string): string {
  return `${iso.slice(0, 19).replace('T', ' ')} UTC`;
}

/** Renders templates/console/<view>.ejs with the layout's locals; never cached by browsers or proxies. */
export function render(res: Response, view: string, locals: PageLocals): void {
  const { status, ...rest } = locals;
  const session = optionalSession(res);
  const role = session ? (session.role ?? 'admin') : undefined;
  // Templates hide what the role cannot do (a viewer sees no Edit button); the routes refuse it.
  const can = (needed: Role): boolean => role !== undefined && allows(role, needed);
  res.set('Cache-Control', 'no-store');
  if (status) res.status(status);
  // The layout's own locals come last: a page's data can never pass for the signed-in user.
  res.render(`console/${view}`, {
    nav: null,
    ...rest,
    user: session?.user ?? null,
    role: role ?? null,
    can,
    csrfToken: session?.csrfToken ?? locals.csrfToken ?? '',
    navItems: NAV.filter((item) => can(item.role)),
    asset: assetUrl,
    formatTime,
    // Human labels of codes (labels.ts), for every template.
    label,
  });
}

/** Thrown (or passed to next) to answer with the console's error page. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The console's errors as pages: a PageError says what is wrong; other client errors (a
 * body over 64 KB) give their status; anything else is logged and shown as one sentence.
 */
export function consoleErrors(log: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) log.error({ path: req.path, err }, 'console request failed');
    // Only our own messages are shown: others (fs, body parsers) may name server paths.
    const message =
      err instanceof PageError
        ? err.message
        : status < 500
          ? `The request could not be handled: ${STATUS_CODES[status] ?? status}.`
          : 'Something went wrong on our side. It has been logged; please try again.';
    render(res, 'error', { title: STATUS_CODES[status] ?? 'Error', status, message });
  };
}
