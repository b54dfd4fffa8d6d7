import { z } from 'zod';
import type { Store } from '../store/port';
import { buildChannelReport, CHANNEL_GROUPINGS, type ChannelGrouping, type ChannelReport } from './channels';
import { FunnelFields, withRangeUpTo } from './funnel-query';

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
  // Not cut into days or hours: a year at most, like the funnel by campaign.
  .transform((q, ctx) => withRangeUpTo(q, ctx, MAX_CHANNEL_RANGE_DAYS, 'in a channel report'));

export const MAX_CHANNEL_RANGE_DAYS = 366;

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
