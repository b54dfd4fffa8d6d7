import express, { type Router } from 'express';
import { verifyAuditChain } from '../../audit/chain';
import { allMatching, storeFilters } from '../../audit/read';
import { AuditQueryParams } from '../../audit/schemas';
import { auditCsv, entryView } from '../../audit/views';
import type { Store } from '../../store/port';
import { parseOr400 } from '../validation';
import { requireRole } from '../../auth/roles';

/**
 * GET /api/audit: the audit trail, newest first, paged by id; with format=csv, every
 * matching entry as a download. The chain's verification comes with the JSON: a trail
 * someone edited behind our back says so wherever it is read.
 */
export function auditRoutes(store: Store): Router {
  const router = express.Router();
  router.get('/audit', requireRole('admin'), async (req, res) => {
    const q = parseOr400(AuditQueryParams, req.query, 'query', res);
    if (!q) return;
    const filters = storeFilters(q);
    res.set('Cache-Control', 'no-store');
    if (q.format === 'csv') {
      res.type('text/csv; charset=utf-8').attachment('audit.csv').send(auditCsv(await allMatching(store, filters)));
      return;
    }
    const page = await store.searchAudit({ ...filters, limit: q.limit, ...(q.beforeId ? { beforeId: q.beforeId } : {}) });
    const last = page.at(-1);
    res.json({
      entries: page.map(entryView),
      nextBeforeId: page.length === q.limit && last ? last.id : null,
      chain: await verifyAuditChain(store),
    });
  });
  return router;
}
