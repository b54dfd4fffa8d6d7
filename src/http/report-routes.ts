import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { funnelChartSvg, seriesChartSvg } from '../reports/chart-svg';
import { ChannelQuery, loadChannelReport } from '../reports/channel-query';
import { channelCsv } from '../reports/channels';
import { funnelCsv, type FunnelReport } from '../reports/funnel';
import { FunnelQuery, FunnelSvgQuery, loadFunnelReport, type Range } from '../reports/funnel-query';
import { loadVariantReport, VariantQuery } from '../reports/variant-query';
import { variantCsv } from '../reports/variants';
import { loadSavings, SavingsQuery } from '../reports/savings';
import { DEFAULT_RECONTACT_DAYS } from '../deflection/recontact';
import { loadStuckReport, stuckCsv } from '../reports/stuck';
import type { Store } from '../store/port';
import { parseOr400 } from './validation';
import { requireRole } from '../auth/roles';

/**
 * Reports (mounted under /api, behind the admin token): the deflection funnel as JSON,
 * CSV or an SVG chart, by local day or hour in any time zone, by campaign or by DNIS;
 * the messages of the same range by channel (JSON or CSV); the funnel by offer variant
 * with the A/B statistics (JSON or CSV); the deflections that stuck (texted callers who
 * did not call again within their campaign's recontactDays).
 */
export function reportRoutes(
  store: Store,
  now: () => Date,
  campaigns: {
    /** A campaign's variants in its configured order (the first is the A/B baseline). */
    variantOrder?: (campaignId: string) => readonly string[];
    recontactDaysOf?: (campaignId: string) => number;
  } = {},
): Router {
  const { variantOrder, recontactDaysOf = () => DEFAULT_RECONTACT_DAYS } = campaigns;
  const router = express.Router();

  /** The funnel by offer variant with the A/B statistics (JSON or CSV). */
  async function variants(req: Request, res: Response): Promise<void> {
    res.set('Cache-Control', 'no-store');
    const query = parseOr400(VariantQuery, req.query, 'query', res);
    if (!query) return;
    const report = await loadVariantReport(store, query, variantOrder);
    if (query.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`variants-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv`)
        .send(variantCsv(report));
      return;
    }
    res.json({ ...report, generatedAt: now().toISOString() });
  }
  router.get('/reports/variants', requireRole('viewer'), variants);

  // What deflection saved in the range, from cost inputs given with the question.
  router.get('/reports/savings', requireRole('viewer'), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = parseOr400(SavingsQuery, req.query, 'query', res);
    if (!query) return;
    const { voiceMinute, handleMinutes, chat, text } = query;
    const estimate = await loadSavings(store, query, { voiceMinute, handleMinutes, chat, text });
    res.json({ from: query.start.toISOString(), to: query.end.toISOString(), timeZone: query.timeZone, campaign: query.campaign ?? null, ...estimate, generatedAt: now().toISOString() });
  });

  /** The report for a parsed query; undefined when the query was refused (400 already sent). */
  async function funnelFor<T extends Range>(
    req: Request,
    res: Response,
    schema: z.ZodType<T>,
  ): Promise<{ query: T; report: FunnelReport } | undefined> {
    // Figures change with every call; a report of today is stale within seconds.
    res.set('Cache-Control', 'no-store');
    const query = parseOr400(schema, req.query, 'query', res);
    return query && { query, report: await loadFunnelReport(store, query) };
  }

  router.get('/reports/funnel', requireRole('viewer'), async (req, res) => {
    // The funnel by variant is a report of its own (rates with intervals and tests, no time rows).
    if (req.query.by === 'variant') return variants(req, res);
    const found = await funnelFor(req, res, FunnelQuery);
    if (!found) return;
    const { query, report } = found;
    if (query.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`funnel-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv`)
        .send(funnelCsv(report));
      return;
    }
    res.json({ ...report, generatedAt: now().toISOString() });
  });

  router.get('/reports/funnel.svg', requireRole('viewer'), async (req, res) => {
    const found = await funnelFor(req, res, FunnelSvgQuery);
    if (!found) return;
    const { query, report } = found;
    res
      .type('image/svg+xml; charset=utf-8')
      // Opened on its own the chart is a document of ours: nothing in it may run or load.
      .set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .set('X-Content-Type-Options', 'nosniff')
      .send(query.chart === 'series' ? seriesChartSvg(report) : funnelChartSvg(report));
  });

  // Deflections that stuck: texted callers who did not call again within the window.
  router.get('/reports/stuck', requireRole('viewer'), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = parseOr400(FunnelQuery, req.query, 'query', res);
    if (!query) return;
    const at = now();
    const range = { from: query.start.toISOString(), to: query.end.toISOString(), ...(query.campaign ? { campaignId: query.campaign } : {}) };
    const report = await loadStuckReport(store, range, at, recontactDaysOf);
    if (query.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`stuck-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv`)
        .send(stuckCsv(report));
      return;
    }
    res.json({ ...report, generatedAt: at.toISOString() });
  });

  router.get('/reports/channels', requireRole('viewer'), async (req, res) => {
    res.set('Cache-Control', 'no-store');
    const query = parseOr400(ChannelQuery, req.query, 'query', res);
    if (!query) return;
    const report = await loadChannelReport(store, query, query.by);
    if (query.format === 'csv') {
      res
        .type('text/csv; charset=utf-8')
        .attachment(`channels-${query.from.slice(0, 10)}-${query.to.slice(0, 10)}.csv`)
        .send(channelCsv(report));
      return;
    }
    res.json({ ...report, generatedAt: now().toISOString() });
  });

  return router;
}
