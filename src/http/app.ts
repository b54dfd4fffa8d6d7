import { randomBytes } from 'node:crypto';
import path from 'node:path';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { CampaignCatalog } from '../campaigns/catalog';
import type { ConsoleSettings } from '../config';
import type { SecuritySettings } from './security/settings';
import { consoleRoutes } from '../console/routes';
import type { LiveCalls } from '../simulator/live-calls';
import type { DeflectionService } from '../deflection/service';
import { callContext } from '../observability/call-context';
import { healthRoutes, type Readiness } from '../observability/health-routes';
import type { Metrics } from '../observability/metrics';
import { metricsRoutes } from '../observability/metrics-routes';
import type { SmsGateway } from '../sms/port';
import type { NumberKey, Store } from '../store/port';
import { adminRoutes } from './admin-routes';
import { AuditTrail } from '../audit/trail';
import type { HoldAudioEncoding } from '../vxml/hold-tone';
import { ivrRoutes } from './ivr-routes';
import { contextRoutes } from './context-routes';
import { shortLinkRoutes } from './short-link-routes';
import { webhookRoutes } from './webhook-routes';
import { conversationRoutes } from './conversation-routes';
import type { ConversationSettings } from '../conversations/settings';
import type { OutcomeTokens } from '../conversations/record';

export interface AppDeps {
  /** Erasure's key for the opt-out list (ERASURE_KEY): POST /api/erasure needs it. */
  numberKey?: NumberKey | undefined;
  service: DeflectionService;
  store: Store;
  campaigns: CampaignCatalog;
  gateways: ReadonlyMap<string, SmsGateway>;
  publicBaseUrl: string;
  adminToken: string | undefined;
  console: ConsoleSettings;
  security: SecuritySettings;
  /** The console's interactive simulated calls (ended at shutdown by compose). */
  liveCalls: LiveCalls;
  log: Logger;
  now: () => Date;
  metrics: Metrics;
  /** When set, GET /metrics asks for it as a bearer token. */
  metricsToken: string | undefined;
  readiness: Readiness;
  /** Verifies link context tokens (undefined: CONTEXT_TOKEN_SECRET is unset). */
  contextTokens?: { verify(token: string): Promise<string | undefined> } & OutcomeTokens;
  /** Conversation outcomes' endpoints (absent: both answer 404). */
  conversations?: ConversationSettings;
  /** The chat platform's bearer token for GET /api/context/:token. */
  contextApiToken?: string | undefined;
  /** The G.711 law of the built-in hold tone. */
  holdAudioEncoding?: HoldAudioEncoding;
  /** The audit trail (default: one on `store`, counting failed writes in `metrics`). */
  audit?: AuditTrail;
}

const TEMPLATES_DIR = path.resolve(__dirname, '../../templates');

/**
 * One small query per request on PostgreSQL (nothing on the file catalog). When the
 * database does not answer, the campaigns in memory serve: a call is better served by the
 * version of a minute ago than handed back.
 */
function syncCampaigns(sync: () => Promise<void>, log: Logger): RequestHandler {
  return (_req, _res, next) => {
    sync().then(
      () => next(),
      (err: Error) => {
        log.warn({ err: err.message }, 'could not check the campaigns for changes; serving the ones in memory');
        next();
      },
    );
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  const audit = deps.audit ?? new AuditTrail(deps.store, deps.log, deps.now, deps.metrics.audit);
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // req.ip is the client's address only behind the proxies named here (TRUST_PROXY).
  app.set('trust proxy', deps.security.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', TEMPLATES_DIR);

  // First, so the lines logged for a call carry its id and every request is timed.
  app.use(callContext);
  app.use(deps.metrics.requests);

  // Paths only: query strings carry callers' numbers, which never go into logs.
  // Mounted only when LOG_LEVEL is debug (the level is set once, at start-up): otherwise
  // no clock read, listener or object per request, and no layer for every request to walk.
  if (deps.log.isLevelEnabled('debug')) app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // A context token is a credential until it expires: its path is logged without it.
      const logged = (req.baseUrl + req.path).replace(/^\/api\/context\/.*/, '/api/context/:token');
      deps.log.debug({ method: req.method, path: logged, status: res.statusCode, ms }, 'request');
    });
    next();
  });

  // Campaigns other instances may have changed (PostgreSQL) are brought up to date before
  // every request that reads them: any step of a call, readiness, the admin API and console.
  // Not /healthz or /metrics: a database outage must not make the process look dead.
  // A catalog that cannot change under us (files: SIGHUP reloads them) has no sync: no layer.
  const { campaigns } = deps;
  if (campaigns.sync) app.use(['/vxml', '/api', '/admin', '/readyz'], syncCampaigns(() => campaigns.sync!(), deps.log));
  // The console's simulated calls fetch /vxml/ with this key, past the IVR access checks;
  // it never leaves this process.
  const simulatorKey = randomBytes(32).toString('base64url');
  // First of the routers: the IVR's requests are the hot path, and the routers below
  // answer other paths only, so each IVR request skips walking their routes.
  app.use('/vxml', ivrRoutes(deps.service, deps.log, deps.security.ivrAccess, simulatorKey, deps.holdAudioEncoding));
  app.use(healthRoutes(deps.readiness));
  app.use(metricsRoutes(deps.metrics, deps.metricsToken));
  // Before the admin API: the chat platform's own token opens this one path, nothing else.
  app.use('/api/context', contextRoutes({ store: deps.store, tokens: deps.contextTokens, adminToken: deps.adminToken, apiToken: deps.contextApiToken, log: deps.log }));
  app.use('/api', adminRoutes({ store: deps.store, catalog: deps.campaigns, adminToken: deps.adminToken, log: deps.log, now: deps.now, audit, numberKey: deps.numberKey }));
  app.use('/admin', consoleRoutes({ store: deps.store, catalog: deps.campaigns, gatewayNames: [...deps.gateways.keys()], config: deps.console, publicBaseUrl: deps.publicBaseUrl, liveCalls: deps.liveCalls, simulatorKey, log: deps.log, now: deps.now, audit }));
  app.use('/s', shortLinkRoutes({ ...deps, rateLimit: deps.security.shortLinkRateLimit }));
  // Before the vendor callbacks, whose /webhooks/:gateway would take the path otherwise.
  app.use(
    '/webhooks/conversations',
    conversationRoutes({
      store: deps.store,
      tokens: deps.contextTokens,
      settings: deps.conversations ?? { webhookSecrets: [], livePersonSecrets: [], tokenGraceSeconds: 0 },
      log: deps.log,
      now: deps.now,
    }),
  );
  app.use('/webhooks', webhookRoutes(deps));

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found');
  });
  const internalError: ErrorRequestHandler = (err, req, res, _next) => {
    const status = (err as { status?: number }).status ?? 500;
    if (status >= 500) deps.log.error({ path: req.path, err }, 'request failed');
    if (res.headersSent) return;
    // Never a stack trace: the message for client errors, a plain sentence otherwise.
    res.status(status).json({ error: status < 500 ? (err as Error).message : 'internal error' });
  };
  app.use(internalError);
  return app;
}
