import { z } from 'zod';
import type { Store } from '../store/port';
import { FunnelFields, withRangeUpTo } from './funnel-query';
import { buildVariantReport, type VariantReport } from './variants';

/**
 * What an A/B (by-variant) report is asked for: the funnel's range (local days or
 * instants in a time zone, at most 366 days), optionally one campaign. `by=variant` is
 * accepted so that GET /api/reports/funnel?by=variant and /api/reports/variants take the
 * same query.
 */
export const VariantQuery = z
  .strictObject({
    from: FunnelFields.from,
    to: FunnelFields.to,
    timeZone: FunnelFields.timeZone,
    campaign: FunnelFields.campaign,
    by: z.literal('variant').optional(),
    format: z.enum(['json', 'csv']).default('json'),
  })
  // Not cut into days or hours: a year at most, like the funnel by campaign.
  .transform((q, ctx) => withRangeUpTo(q, ctx, MAX_VARIANT_RANGE_DAYS, 'in a variant report'));

export const MAX_VARIANT_RANGE_DAYS = 366;

export interface VariantRange {
  start: Date;
  end: Date;
  timeZone: string;
  campaign?: string | undefined;
}

/** The report for a parsed range; variantOrder gives each campaign's configured variant order (first: the baseline). */
export async function loadVariantReport(
  store: Store,
  query: VariantRange,
  variantOrder?: (campaignId: string) => readonly string[],
): Promise<VariantReport> {
  const range = { from: query.start.toISOString(), to: query.end.toISOString() };
  const counts = await store.variantCounts({ ...range, ...(query.campaign ? { campaignId: query.campaign } : {}) });
  return buildVariantReport(counts, { timeZone: query.timeZone, ...range, ...(variantOrder ? { variantOrder } : {}) });
}
