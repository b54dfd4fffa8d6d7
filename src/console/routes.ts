import express, { type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { ConsoleSettings } from '../config';
import type { CampaignCatalog } from '../campaigns/catalog';
import type { AuditTrail } from '../audit/trail';
import type { LiveCalls } from '../simulator/live-calls';
import type { Store } from '../store/port';
import { consolePageHeaders } from '../http/security/html-headers';
import { serveAssets } from './assets';
import { requireCsrf } from './csrf';
import { consoleRole } from './roles';
import { auditPages } from './pages/audit';
import { callPages } from './pages/calls';
import { campaignPages } from './pages/campaigns';
import { messagesPages } from './pages/messages';
import { optOutPages } from './pages/opt-outs';
import { reportPages } from './pages/reports';
import { servicePages } from './pages/service';
import { simulatorPages } from './pages/simulator';
import { tokenPages } from './pages/tokens';
import type { PasswordHash } from './password';
import { consoleErrors, render } from './render';
import { requireSignIn } from './session';
import { HOME, signInPages } from './sign-in';
import { OidcProvider } from './oidc/provider';
import { oidcSignInPages } from './oidc/routes';

export interface ConsoleDeps {
  store: Store;
  catalog: CampaignCatalog;
  /** Gateways the environment configures: the choices of a campaign's gateway. */
  gatewayNames: readonly string[];
  config: ConsoleSettings;
  /** An https address makes the cookies Secure, also behind a TLS proxy without `trust proxy`. */
  publicBaseUrl: string;
  /** Interactive simulated calls of the simulator page. */
  liveCalls: LiveCalls;
  /** Lets those calls past IVR_ALLOWED_CIDRS and IVR_SHARED_SECRET (http/security/ivr-access.ts). */
  simulatorKey: string;
  log: Logger;
  now: () => Date;
  /** Where the console's changes, reveals and sign-ins are recorded. */
  audit: AuditTrail;
}

/**
 * A group of console pages: it adds its routes to the console router, where every request
 * is already signed in (res.locals.session) and every POST has passed the CSRF check.
 */
export type ConsolePages = (router: Router, deps: ConsoleDeps) => void;

/** Every page group, in no particular order: add new ones here. */
const PAGES: readonly ConsolePages[] = [campaignPages, servicePages, messagesPages, callPages, optOutPages, reportPages, simulatorPages, auditPages, tokenPages];

// Pages hold phone numbers and switches: never cached (not even a redirect to them).
const noStore: RequestHandler = (_req, res, next) => {
  res.set('Cache-Control', 'no-store');
  next();
};

/** The admin console, to mount at /admin. Without a password hash it only says how to switch it on. */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const router = express.Router();
  // Not framed, no Referer to other sites, nothing inline may run (html-headers.ts).
  router.use(consolePageHeaders({ https: /^https:/i.test(deps.publicBaseUrl) }));
  router.use('/assets', serveAssets());
  router.use(noStore);
  const hash = deps.config.passwordHash;
  const on = hash !== undefined || deps.config.oidc !== undefined;
  router.use(on ? consolePages(deps, hash) : (_req, res) => render(res, 'disabled', { title: 'The console is switched off', status: 503 }));
  router.use(consoleErrors(deps.log));
  return router;
}

/** The console: signed in with the local admin's password, single sign-on, or both. */
function consolePages(deps: ConsoleDeps, passwordHash: PasswordHash | undefined): Router {
  const router = express.Router();
  // A campaign form is a few KB; 64 KB (and body-parser's 1000 fields) bounds the rest.
  router.use(express.urlencoded({ extended: false, limit: '64kb' }), express.json({ limit: '64kb' }));
  signInPages(router, deps, passwordHash);
  const oidc = deps.config.oidc;
  if (oidc) {
    const provider = new OidcProvider(oidc, deps.log, deps.now);
    provider.warmUp();
    oidcSignInPages(router, deps, oidc, provider);
  }
  router.use(requireSignIn(deps), requireCsrf);
  router.get('/', consoleRole('viewer'), (_req, res) => res.redirect(HOME));
  for (const addPages of PAGES) addPages(router, deps);
  return router;
}
