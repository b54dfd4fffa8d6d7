import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { CampaignCatalog } from '../campaigns/catalog';
import { DEFAULT_RECONTACT_DAYS } from '../deflection/recontact';
import { actorOf } from '../audit/actor';
import { auditTokenUse } from '../audit/token-use';
import { AuditTrail } from '../audit/trail';
import type { NumberKey, Store } from '../store/port';
import { auditRoutes } from './admin/audit-routes';
import { dataRoutes } from './admin/data-routes';
import { campaignRoutes } from './admin/campaign-routes';
import { adminOpenApi } from './admin/openapi';
import { recordRoutes } from './admin/record-routes';
import { eventExportRoutes } from './admin/event-export';
import { ServiceSwitchBody } from './admin/schemas';
import { requireAdminToken } from './admin-auth';
import { tokenRoutes } from './admin/token-routes';
import { ApiTokens } from '../api-tokens/tokens';
import { reportRoutes } from './report-routes';
import { parseOr400 } from './validation';
import { openRoute, requireRole } from '../auth/roles';

export interface AdminDeps {
  store: Store;
  catalog: CampaignCatalog;
  adminToken: string | undefined;
  log: Logger;
  now: () => Date;
  /** Where changes and reveals are recorded (default: a trail on `store` with no metrics). */
  audit?: AuditTrail;
  /** Erasure's key for the opt-out list (ERASURE_KEY); undefined: erasure answers 503. */
  numberKey?: NumberKey | undefined;
  /** Named API tokens (default: on `store`, recorded in `audit`). */
  apiTokens?: ApiTokens;
}

/** Admin JSON API under /api: the OpenAPI document is public, every other route needs the bearer token. */
export function adminRoutes(deps: AdminDeps): Router {
  const { store, log, now } = deps;
  const audit = deps.audit ?? new AuditTrail(store, log, now);
  const router = express.Router();
  // Built on first request: generating it costs more than the rest of start-up's routing.
  let openApi: string | undefined;
  router.get('/openapi.json', openRoute('the API\'s public description'), (_req, res) => {
    openApi ??= JSON.stringify(adminOpenApi());
    res.type('application/json').send(openApi);
  });

  const tokens = deps.apiTokens ?? new ApiTokens(store, audit, log, now);
  router.use(requireAdminToken(deps.adminToken, tokens));
  router.use(auditTokenUse(audit, now));
  router.use(express.json({ limit: '256kb' }));

  router.use(tokenRoutes(tokens));
  router.use(campaignRoutes(deps.catalog, audit));
  router.use(eventExportRoutes(store, log));
  router.use(recordRoutes(store, log, audit));
  router.use(auditRoutes(store));
  router.use(dataRoutes({ store, log, now, numberKey: deps.numberKey, audit }));
  router.use(
    reportRoutes(store, now, {
      variantOrder: (id) => deps.catalog.entry(id)?.campaign.variants.map((v) => v.id) ?? [],
      recontactDaysOf: (id) => deps.catalog.get(id)?.recontactDays ?? DEFAULT_RECONTACT_DAYS,
    }),
  );

  // The global switch: off means no call is offered anything, from the next call on.
  router.get('/service', requireRole('viewer'), async (_req, res) => {
    res.set('Cache-Control', 'no-store').json(await store.getServiceSwitch());
  });
  router.put('/service', requireRole('editor'), async (req, res) => {
    const body = parseOr400(ServiceSwitchBody, req.body, 'body', res);
    if (!body) return;
    const before = await store.getServiceSwitch();
    const result = await store.setServiceSwitch(body.enabled, 'admin-api', now().toISOString());
    log.warn({ enabled: result.enabled }, 'service switched by the admin API');
    await audit.record(actorOf(req), 'service.switch', 'service', { was: before.enabled, enabled: result.enabled });
    res.json(result);
  });

  router.use((_req, res) => {
    res.status(404).json({ error: 'no such admin route' });
  });
  return router;
}
