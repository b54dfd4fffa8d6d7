import { buildChannelReport, channelCsv, type ChannelReportOptions } from '../../src/reports/channels';
import type { ChannelMessageCount } from '../../src/store/port';

/**
 * The funnel by channel from the store's grouped message counts: which messages count as
 * sent, delivered, read and failed on each channel, fallbacks under both channels, read
 * receipts only where the channel has them, and the CSV.
 */

const OPTIONS: ChannelReportOptions = { by: 'channel', timeZone: 'UTC', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' };

function count(
  channel: ChannelMessageCount['channel'],
  status: ChannelMessageCount['status'],
  messages: number,
  more: Partial<ChannelMessageCount> = {},
): ChannelMessageCount {
  const accepted = !['queued', 'failed'].includes(status);
  return { campaignId: 'support', channel, fallbackFrom: null, status, accepted, messages, ...more };
}

/** WhatsApp first with SMS fallback: 10 WhatsApp messages, 3 of them not on WhatsApp (fell back to SMS), 1 still queued. */
const WHATSAPP_THEN_SMS = [
  count('whatsapp', 'read', 4),
  count('whatsapp', 'delivered', 2),
  count('whatsapp', 'failed', 3),
  count('whatsapp', 'queued', 1),
  count('sms', 'delivered', 2, { fallbackFrom: 'whatsapp' }),
  count('sms', 'undelivered', 1, { fallbackFrom: 'whatsapp' }),
];

describe('the funnel by channel', () => {
  it('counts each channel\'s messages by step, with read receipts on WhatsApp and fallbacks under both channels', () => {
    const report = buildChannelReport(WHATSAPP_THEN_SMS, OPTIONS);
    expect(report.rows.map((r) => [r.label, r.created, r.sent, r.delivered, r.read, r.failed, r.fellBack, r.fallbacksIn])).toEqual([
      ['SMS', 3, 3, 2, null, 1, 0, 3],
      ['WhatsApp', 10, 6, 6, 4, 3, 3, 0],
    ]);
    expect(report.rows.map((r) => r.rates)).toEqual([
      { delivery: 0.6667, read: null },
      { delivery: 1, read: 0.6667 },
    ]);
    expect(report.fallbacks).toEqual([{ campaign: null, from: 'whatsapp', to: 'sms', messages: 3 }]);
  });

  it('counts a message accepted and then failed by receipt as sent and failed, and a refused one as failed only', () => {
    const report = buildChannelReport(
      [count('rcs', 'failed', 2, { accepted: true }), count('rcs', 'failed', 5, { accepted: false }), count('rcs', 'sent', 1)],
      OPTIONS,
    );
    expect(report.rows).toEqual([
      expect.objectContaining({ channel: 'rcs', created: 8, sent: 3, delivered: 0, read: 0, failed: 7, rates: { delivery: 0, read: null } }),
    ]);
  });

  it('gives an SMS-only range one SMS row with no read column (null, "—" in the console), and no rows without messages', () => {
    const report = buildChannelReport([count('sms', 'delivered', 5), count('sms', 'sent', 1)], OPTIONS);
    expect(report.rows).toEqual([
      {
        campaign: null,
        channel: 'sms',
        label: 'SMS',
        created: 6,
        sent: 6,
        delivered: 5,
        read: null,
        failed: 0,
        fellBack: 0,
        fallbacksIn: 0,
        rates: { delivery: 0.8333, read: null },
      },
    ]);
    expect(report.fallbacks).toEqual([]);
    expect(buildChannelReport([], OPTIONS)).toEqual({ ...OPTIONS, rows: [], fallbacks: [] });
  });

  it('lists LivePerson Connect-to-Messaging without read receipts, channels in their fixed order', () => {
    const report = buildChannelReport([count('c2m', 'sent', 2), count('rcs', 'read', 1), count('sms', 'sent', 1)], OPTIONS);
    expect(report.rows.map((r) => [r.channel, r.read])).toEqual([
      ['sms', null],
      ['rcs', 1],
      ['c2m', null],
    ]);
  });

  it('by campaign: a row per campaign and channel, campaigns in order, fallbacks per campaign', () => {
    const counts = [
      ...WHATSAPP_THEN_SMS,
      count('sms', 'delivered', 7, { campaignId: 'billing' }),
      count('rcs', 'failed', 1, { campaignId: 'billing', accepted: false }),
      count('sms', 'sent', 1, { campaignId: 'billing', fallbackFrom: 'rcs' }),
    ];
    const report = buildChannelReport(counts, { ...OPTIONS, by: 'campaign' });
    expect(report.rows.map((r) => [r.campaign, r.channel, r.created, r.fellBack, r.fallbacksIn])).toEqual([
      ['billing', 'sms', 8, 0, 1],
      ['billing', 'rcs', 1, 1, 0],
      ['support', 'sms', 3, 0, 3],
      ['support', 'whatsapp', 10, 3, 0],
    ]);
    expect(report.fallbacks).toEqual([
      { campaign: 'billing', from: 'rcs', to: 'sms', messages: 1 },
      { campaign: 'support', from: 'whatsapp', to: 'sms', messages: 3 },
    ]);
  });

  it('gives the channel a fallback came from a row even when its own messages were before the range', () => {
    const report = buildChannelReport([count('sms', 'delivered', 1, { fallbackFrom: 'whatsapp' })], OPTIONS);
    expect(report.rows.map((r) => [r.channel, r.created, r.fellBack, r.read])).toEqual([
      ['sms', 1, 0, null],
      ['whatsapp', 0, 1, 0],
    ]);
  });
});

describe('the CSV', () => {
  it('has a column per step and rate, and empty read cells where the channel has no read receipts', () => {
    const csv = channelCsv(buildChannelReport(WHATSAPP_THEN_SMS, OPTIONS));
    expect(csv.split('\r\n')).toEqual([
      'channel,created,sent,delivered,read,failed,fell_back,fallbacks_in,delivery_rate,read_rate',
      'sms,3,3,2,,1,0,3,0.6667,',
      'whatsapp,10,6,6,4,3,3,0,1,0.6667',
      '',
    ]);
  });

  it('by campaign: the campaign first', () => {
    const csv = channelCsv(buildChannelReport([count('sms', 'sent', 1)], { ...OPTIONS, by: 'campaign' }));
    expect(csv.split('\r\n').slice(0, 2)).toEqual(['campaign,channel,created,sent,delivered,read,failed,fell_back,fallbacks_in,delivery_rate,read_rate', 'support,sms,1,1,0,,0,0,0,0,']);
  });
});
