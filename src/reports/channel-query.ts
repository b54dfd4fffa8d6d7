import { z } from 'zod';
import type { Store } from '../store/port';
import { buildChannelReport, CHANNEL_GROUPINGS, type ChannelGrouping, type ChannelReport } from './channels';
import { FunnelFields, withRange } from './funnel-query';

/**
 * What a by-channel report is asked for: the funnel's range (local days or instants in a
 * time zone, at most 366 days), optionally one campaign, by channel or by campaign and
 * channel. The same parsing as the funnel's, so the console's two tables cover one range.
 */
export const ChannelQuery = z
  .strictObject({
    from: FunnelFields.from,
    to: FunnelFields.to,
    timeZone: FunnelFields.timeZone,
    campaign: FunnelFields.campaign,
    by: z.enum(CHANNEL_GROUPINGS).default('channel'),
    format: z.enum(['json', 'csv']).default('json'),
  })
  // The range limit of a report not cut into days or hours (366 days).
  .transform((q, ctx) => ({ ...withRange({ ...q, by: 'campaign' as const }, ctx), by: q.by }));

export interface ChannelRange {
  start: Date;
  end: Date;
  timeZone: string;
  campaign?: string | undefined;
}

/** The report for a parsed range (the API's query, or the console's funnel query). */
export async function loadChannelReport(store: Store, query: ChannelRange, by: ChannelGrouping = 'channel'): Promise<ChannelReport> {
  const range = { from: query.start.toISOString(), to: query.end.toISOString() };
  const counts = await store.channelMessageCounts({ ...range, ...(query.campaign ? { campaignId: query.campaign } : {}) });
  return buildChannelReport(counts, { by, timeZone: query.timeZone, ...range });
}
