import { CHANNEL_LABELS, CHANNEL_NAMES, type ChannelName } from '../channels/channel';
import { toCsv } from '../http/csv';
import type { ChannelMessageCount, MessageStatus } from '../store/port';

/**
 * The funnel by channel: what became of the messages of a range on each channel (SMS,
 * WhatsApp, RCS, LivePerson Connect-to-Messaging), with the fallbacks between channels.
 * Pure: the store's grouped counts in, the report out (the route and the console page
 * fetch and render it).
 *
 * It counts messages, not calls: a call whose WhatsApp message fell back to SMS has one
 * message on each channel. The funnel above it (calls, once per step) is unchanged.
 */

/** Channels whose vendors send read receipts; the others' read column is null ("—"), not 0. */
export const READ_RECEIPT_CHANNELS: readonly ChannelName[] = ['whatsapp', 'rcs'];

export const CHANNEL_GROUPINGS = ['channel', 'campaign'] as const;
export type ChannelGrouping = (typeof CHANNEL_GROUPINGS)[number];

export interface ChannelRow {
  /** By campaign: the campaign id; by channel: null. */
  campaign: string | null;
  channel: ChannelName;
  /** How people call it ("WhatsApp"). */
  label: string;
  /** Messages created on this channel (fallbacks included). */
  created: number;
  /** A vendor accepted them (whatever came after). */
  sent: number;
  /** A receipt said delivered (a read one was delivered first). */
  delivered: number;
  /** A read receipt came; null on a channel without read receipts. */
  read: number | null;
  /** Refused, undelivered or failed. */
  failed: number;
  /** Messages on this channel that fell back: a fallback message went out for them. */
  fellBack: number;
  /** Fallback messages sent on this channel (standing in for another channel's). */
  fallbacksIn: number;
  rates: {
    /** delivered / sent */
    delivery: number | null;
    /** read / delivered; null without read receipts or without deliveries. */
    read: number | null;
  };
}

export interface ChannelFallback {
  campaign: string | null;
  from: ChannelName;
  to: ChannelName;
  messages: number;
}

export interface ChannelReport {
  by: ChannelGrouping;
  timeZone: string;
  /** The range, [from, to), as ISO 8601 instants. */
  from: string;
  to: string;
  /** Channels in their fixed order (sms, whatsapp, rcs, c2m), only those with messages; by campaign, campaigns first. */
  rows: ChannelRow[];
  /** Fallback messages by the channel they stood in for and the one they went on. */
  fallbacks: ChannelFallback[];
}

export interface ChannelReportOptions {
  by: ChannelGrouping;
  timeZone: string;
  from: string;
  to: string;
}

const SENT_STATUSES: readonly MessageStatus[] = ['sent', 'delivered', 'read', 'undelivered'];
const DELIVERED_STATUSES: readonly MessageStatus[] = ['delivered', 'read'];
const FAILED_STATUSES: readonly MessageStatus[] = ['failed', 'undelivered'];

export function buildChannelReport(counts: readonly ChannelMessageCount[], options: ChannelReportOptions): ChannelReport {
  const byCampaign = options.by === 'campaign';
  const rows = new Map<string, ChannelRow>();
  const fallbacks = new Map<string, ChannelFallback>();
  const rowOf = (campaign: string | null, channel: ChannelName): ChannelRow => {
    const id = `${campaign ?? ''}\u0000${channel}`;
    let row = rows.get(id);
    if (!row) {
      row = emptyRow(campaign, channel);
      rows.set(id, row);
    }
    return row;
  };

  for (const c of counts) {
    const campaign = byCampaign ? c.campaignId : null;
    const row = rowOf(campaign, c.channel);
    const n = c.messages;
    row.created += n;
    // A delivered or undelivered one was accepted even when a vendor's id was not kept.
    if (c.accepted || SENT_STATUSES.includes(c.status)) row.sent += n;
    if (DELIVERED_STATUSES.includes(c.status)) row.delivered += n;
    if (c.status === 'read' && row.read !== null) row.read += n;
    if (FAILED_STATUSES.includes(c.status)) row.failed += n;
    if (c.fallbackFrom !== null) {
      row.fallbacksIn += n;
      // The channel it fell back from gets a row even when all its messages predate the range.
      rowOf(campaign, c.fallbackFrom).fellBack += n;
      const id = `${campaign ?? ''}\u0000${c.fallbackFrom}\u0000${c.channel}`;
      const pair = fallbacks.get(id) ?? { campaign, from: c.fallbackFrom, to: c.channel, messages: 0 };
      pair.messages += n;
      fallbacks.set(id, pair);
    }
  }

  const order = (campaign: string | null, channel: ChannelName): [string, number] => [campaign ?? '', CHANNEL_NAMES.indexOf(channel)];
  const compare = (a: [string, number], b: [string, number]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]);
  return {
    ...options,
    rows: [...rows.values()].sort((a, b) => compare(order(a.campaign, a.channel), order(b.campaign, b.channel))).map(withRates),
    fallbacks: [...fallbacks.values()].sort(
      (a, b) => compare(order(a.campaign, a.from), order(b.campaign, b.from)) || CHANNEL_NAMES.indexOf(a.to) - CHANNEL_NAMES.indexOf(b.to),
    ),
  };
}

function emptyRow(campaign: string | null, channel: ChannelName): ChannelRow {
  return {
    campaign,
    channel,
    label: CHANNEL_LABELS[channel],
    created: 0,
    sent: 0,
    delivered: 0,
    read: READ_RECEIPT_CHANNELS.includes(channel) ? 0 : null,
    failed: 0,
    fellBack: 0,
    fallbacksIn: 0,
    rates: { delivery: null, read: null },
  };
}

function withRates(row: ChannelRow): ChannelRow {
  return { ...row, rates: { delivery: share(row.delivered, row.sent), read: row.read === null ? null : share(row.read, row.delivered) } };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/** CSV of the rows; a channel without read receipts has empty read cells (not 0). */
export function channelCsv(report: ChannelReport): string {
  const byCampaign = report.by === 'campaign';
  const header = [
    ...(byCampaign ? ['campaign'] : []),
    'channel',
    'created',
    'sent',
    'delivered',
    'read',
    'failed',
    'fell_back',
    'fallbacks_in',
    'delivery_rate',
    'read_rate',
  ];
  const rows = report.rows.map((r) => [
    ...(byCampaign ? [r.campaign] : []),
    r.channel,
    r.created,
    r.sent,
    r.delivered,
    r.read,
    r.failed,
    r.fellBack,
    r.fallbacksIn,
    r.rates.delivery,
    r.rates.read,
  ]);
  return toCsv(header, rows);
}
