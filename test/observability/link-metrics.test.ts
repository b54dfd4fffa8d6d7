import { Registry } from 'prom-client';
import { FunnelMetrics } from '../../src/observability/funnel-metrics';
import type { CallEvent } from '../../src/store/port';
import { parseMetrics, valueOf } from './scrape';

/**
 * The short link metrics a dashboard reads: a person's first click in links_clicked_total,
 * machines' fetches in links_previewed_total by kind, a label that stays bounded whatever
 * an event's detail holds.
 */

const event = (type: CallEvent['type'], detail?: CallEvent['detail']): Omit<CallEvent, 'id'> => ({
  callId: 'c1',
  campaignId: 'support',
  type,
  ...(detail ? { detail } : {}),
  createdAt: '2026-11-24T20:00:00.000Z',
});

it('counts previews by kind apart from clicks', async () => {
  const registry = new Registry();
  const metrics = new FunnelMetrics(registry);
  metrics.recorded([
    event('link-previewed', { code: 'abcdefgh', agent: 'preview:whatsapp' }),
    event('link-previewed', { code: 'abcdefgh', agent: 'preview:slack' }),
    event('link-previewed', { code: 'abcdefgh', agent: 'scanner:safelinks' }),
    event('link-previewed', { code: 'abcdefgh', agent: 'head' }),
    event('link-previewed', { code: 'abcdefgh', agent: 'made-up:' + 'x'.repeat(500) }),
    event('link-clicked', { code: 'abcdefgh', agent: 'browser' }),
  ]);
  const samples = parseMetrics(await registry.metrics());
  expect(valueOf(samples, 'ivr_deflect_links_clicked_total', { campaign: 'support' })).toBe(1);
  expect(valueOf(samples, 'ivr_deflect_links_previewed_total', { campaign: 'support', by: 'preview' })).toBe(2);
  expect(valueOf(samples, 'ivr_deflect_links_previewed_total', { campaign: 'support', by: 'scanner' })).toBe(1);
  expect(valueOf(samples, 'ivr_deflect_links_previewed_total', { campaign: 'support', by: 'head' })).toBe(1);
  expect(valueOf(samples, 'ivr_deflect_links_previewed_total', { campaign: 'support', by: 'other' })).toBe(1);
  expect(samples.filter((s) => s.name === 'ivr_deflect_links_previewed_total')).toHaveLength(4);
});
