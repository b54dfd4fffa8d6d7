import express, { type Request, type Response, type Router } from 'express';
import type { CampaignCatalog, CampaignEntry, ChangeOptions, SaveResult } from '../../campaigns/catalog';
import { actorOf } from '../../audit/actor';
import { auditCampaignChange } from '../../audit/campaign-audit';
import type { AuditTrail } from '../../audit/trail';
import { CampaignIdParam } from './schemas';
import { requireRole } from '../../auth/roles';

/**
 * Campaigns through the API: every change is validated like a file at start-up, written
 * back to campaigns/ atomically by the catalog, and in service from the next call on.
 * Versions travel as ETags; a client that sends If-Match never overwrites a change it
 * has not seen. Every saved change is in the audit trail, with its diff.
 */
export function campaignRoutes(catalog: CampaignCatalog, audit: AuditTrail): Router {
  const router = express.Router();

  router.get('/campaigns', requireRole('viewer'), (_req, res) => {
    res.set('Cache-Control', 'no-store').json({
      campaigns: catalog.entries().map(summaryOf),
      // Files not in service at all: invalid with no last good version to serve.
      fileProblems: catalog.fileProblems().map((p) => ({ ...p, status: 'broken' as const })),
    });
  });

  router.get('/campaigns/:id', requireRole('viewer'), (req, res) => {
    const entry = entryFor(req, res, catalog);
    if (entry) sendEntry(res, entry);
  });

  router.post('/campaigns', requireRole('editor'), async (req, res) => {
    const result = await catalog.create(req.body);
    await auditCampaignChange(audit, actorOf(req), 'campaign.create', undefined, result);
    answer(res, result, 201);
  });

  router.put('/campaigns/:id', requireRole('editor'), async (req, res) => {
    const id = idFrom(req, res);
    if (!id) return;
    const before = catalog.entry(id);
    const result = await catalog.update(id, req.body, changeOptions(req));
    await auditCampaignChange(audit, actorOf(req), 'campaign.update', before, result);
    answer(res, result);
  });

  for (const [action, active] of [['activate', true], ['deactivate', false]] as const) {
    router.post(`/campaigns/:id/${action}`, requireRole('editor'), async (req, res) => {
      const id = idFrom(req, res);
      if (!id) return;
      const before = catalog.entry(id);
      const result = await catalog.setActive(id, active, changeOptions(req));
      await auditCampaignChange(audit, actorOf(req), `campaign.${action}`, before, result);
      answer(res, result);
    });
  }

  router.delete('/campaigns/:id', requireRole('editor'), async (req, res) => {
    const id = idFrom(req, res);
    if (!id) return;
    const before = catalog.entry(id);
    const result = await catalog.remove(id, changeOptions(req));
    await auditCampaignChange(audit, actorOf(req), 'campaign.delete', before, result);
    if (result.kind === 'saved') res.status(204).end();
    else answer(res, result);
  });

  return router;
}

function summaryOf(entry: CampaignEntry) {
  const { campaign } = entry;
  return {
    id: entry.id,
    name: campaign.name,
    active: campaign.active,
    dnis: campaign.dnis,
    file: entry.file,
    version: entry.version,
    status: entry.status,
    problems: entry.problems,
  };
}

function sendEntry(res: Response, entry: CampaignEntry, status = 200): void {
  res
    .status(status)
    .set('Cache-Control', 'no-store')
    .set('ETag', `"${entry.version}"`)
    .json({ ...summaryOf(entry), document: entry.document });
}

function answer(res: Response, result: SaveResult, savedStatus = 200): void {
  switch (result.kind) {
    case 'saved':
      if (savedStatus === 201) res.location(`/api/campaigns/${result.entry.id}`);
      sendEntry(res, result.entry, savedStatus);
      return;
    case 'not-found':
      res.status(404).json({ error: 'no campaign with this id' });
      return;
    case 'invalid':
      res.status(400).json({
        error: `invalid campaign: ${result.fields.map((f) => `${f.field || '(campaign)'}: ${f.message}`).join('; ')}`,
        fields: result.fields,
      });
      return;
    case 'conflict':
      // A stale If-Match is a failed precondition; a taken id is a conflict.
      if (result.currentVersion) res.set('ETag', `"${result.currentVersion}"`);
      res.status(result.currentVersion ? 412 : 409).json({ error: result.message });
      return;
  }
}

function idFrom(req: Request, res: Response): string | undefined {
  const id = CampaignIdParam.safeParse(req.params.id);
  if (id.success) return id.data;
  res.status(404).json({ error: 'no campaign with this id' });
  return undefined;
}

function entryFor(req: Request, res: Response, catalog: CampaignCatalog): CampaignEntry | undefined {
  const id = idFrom(req, res);
  if (!id) return undefined;
  const entry = catalog.entry(id);
  if (!entry) res.status(404).json({ error: 'no campaign with this id' });
  return entry;
}

/** If-Match: "<version>" (quotes optional, weak prefix ignored); "*" means any version. */
function changeOptions(req: Request): ChangeOptions {
  const header = req.get('if-match')?.trim();
  if (!header || header === '*') return {};
  return { ifMatch: header.replace(/^W\//, '').replace(/^"|"$/g, '') };
}
