import express, { type Router } from 'express';
import { requireBearer } from '../http/admin-auth';
import type { Metrics } from './metrics';

/**
 * GET /metrics for Prometheus. With METRICS_TOKEN set it asks for `Authorization: Bearer
 * <token>` (Prometheus's `authorization` scrape setting); without, it is open, for
 * scrapers inside the private network.
 */
export function metricsRoutes(metrics: Metrics, token: string | undefined): Router {
  const router = express.Router();
  router.get('/metrics', ...(token ? [requireBearer(token)] : []), async (_req, res) => {
    const { contentType, text } = await metrics.scrape();
    res.set('Cache-Control', 'no-store').type(contentType).send(text);
  });
  return router;
}
