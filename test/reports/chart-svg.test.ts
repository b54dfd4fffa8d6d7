import { create } from 'xmlbuilder2';
import { validateXML } from 'xmllint-wasm';
import { funnelChartSvg, seriesChartSvg } from '../../src/reports/chart-svg';
import { buildFunnelReport, type FunnelGrouping } from '../../src/reports/funnel';
import type { FunnelSlot } from '../../src/store/port';

/** The charts are standalone, well-formed SVG that shows the report's figures. */

type Node = {
  nodeName: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  getElementsByTagName(name: string): ArrayLike<Node>;
};

/** Fails on anything libxml2 would refuse (xmlbuilder2's own parser is lenient); returns the root. */
async function parseSvg(svg: string): Promise<Node> {
  const lint = await validateXML({ xml: [{ fileName: 'chart.svg', contents: svg }], normalization: 'format' });
  expect(lint.errors.map((e) => e.rawMessage)).toEqual([]);
  return (create(svg).node as unknown as { documentElement: Node }).documentElement;
}

const texts = (root: Node) => Array.from(root.getElementsByTagName('text')).map((t) => (t.textContent ?? '').replace(/\s+/g, ' '));

function slot(at: string, counts: Partial<FunnelSlot>): FunnelSlot {
  return {
    slot: at,
    campaignId: 'support',
    dnis: '+18005550100',
    calls: 0,
    offered: 0,
    notOffered: {},
    accepted: 0,
    declined: 0,
    textsSent: 0,
    textsDelivered: 0,
    textsFailed: 0,
    linksClicked: 0,
    recontacts: 0,
    linksPreviewed: 0,
    conversationsStarted: 0,
    conversationsResolved: 0,
    ...counts,
  };
}

const SLOTS = [
  slot('2026-11-21T14:00:00.000Z', {
    calls: 12_480,
    offered: 9_000,
    notOffered: { 'outside-hours': 3_480 },
    accepted: 4_500,
    declined: 3_000,
    textsSent: 4_400,
    textsDelivered: 4_000,
    textsFailed: 100,
    linksClicked: 1_100,
  }),
  slot('2026-11-22T15:00:00.000Z', { campaignId: 'billing', calls: 20, offered: 10, accepted: 5, textsSent: 5, linksClicked: 2 }),
];

function reportBy(by: FunnelGrouping, slots = SLOTS, timeZone = 'America/New_York') {
  return buildFunnelReport(slots, { by, timeZone, from: '2026-11-21T05:00:00.000Z', to: '2026-11-23T05:00:00.000Z' });
}

describe('funnelChartSvg', () => {
  it('is standalone SVG: namespace, viewBox, role, title; no scripts, styles or links to fetch', async () => {
    const svg = funnelChartSvg(reportBy('day'));
    const root = await parseSvg(svg);
    expect(root.nodeName).toBe('svg');
    expect(root.getAttribute('xmlns')).toBe('http://www.w3.org/2000/svg');
    expect(root.getAttribute('viewBox')).toMatch(/^0 0 \d+ \d+$/);
    expect(root.getAttribute('role')).toBe('img');
    expect(root.getElementsByTagName('title')[0]?.textContent).toBe(
      'Deflection funnel (Deflection 35.2%), 2026-11-21 to 2026-11-22 (America/New_York)',
    );
    expect(svg).not.toMatch(/<script|<style|<image|href=|url\(|@import/);
  });

  it('draws the steps in order with their counts and step rates', async () => {
    const root = await parseSvg(funnelChartSvg(reportBy('day')));
    expect(texts(root)).toEqual([
      'Deflection funnel',
      'Deflection 35.2%',
      '2026-11-21 to 2026-11-22 (America/New_York)',
      'Calls 12,500',
      'Offered 9,010 · 72.1% of calls',
      'Accepted 4,505 · 50.0% of offered',
      'Texts sent 4,405 · 97.8% of accepted',
      'Delivered 4,000 · 90.8% of sent',
      'Clicked 1,102 · 25.0% of sent',
    ]);
    // Bars in proportion to calls: the track, then the bar, per step.
    const widths = Array.from(root.getElementsByTagName('rect')).map((r) => Number(r.getAttribute('width')));
    expect(widths[2]).toBe(widths[1]);
    expect(widths[4]).toBeCloseTo((widths[1] ?? 0) * (9_010 / 12_500), 0);
  });

  it('goes on to conversations and resolved only where the chat platform reported outcomes', async () => {
    const reported = SLOTS.map((s, i) => (i === 0 ? { ...s, conversationsStarted: 40, conversationsResolved: 30 } : s));
    const steps = texts(await parseSvg(funnelChartSvg(reportBy('day', reported)))).slice(3);
    expect(steps.slice(-3)).toEqual(['Clicked 1,102 · 25.0% of sent', 'Conversations 40 · 3.6% of clicked', 'Resolved 30 · 75.0% of conversations']);
    // Without outcomes the funnel ends at Clicked (see the test above).
    expect(texts(await parseSvg(funnelChartSvg(reportBy('day')))).at(-1)).toBe('Clicked 1,102 · 25.0% of sent');
  });

  it('says n/a for rates without a denominator and draws no bars for an empty period', async () => {
    const root = await parseSvg(funnelChartSvg(reportBy('day', [])));
    expect(texts(root)).toContain('Deflection n/a');
    expect(texts(root)).toContain('Calls 0');
    expect(texts(root)).toContain('Offered 0');
  });

  it('escapes text from the data', async () => {
    const series = seriesChartSvg(reportBy('campaign', [slot('2026-11-21T14:00:00.000Z', { campaignId: '<b>&"x\'', calls: 3 })]));
    const root = await parseSvg(series);
    expect(texts(root)).toContain('<b>&"x\'');
    expect(series).toContain('&#60;b&#62;&#38;&#34;x&#39;');
  });
});

describe('seriesChartSvg', () => {
  it('by day: a line per series with a point per day, hover titles and day labels', async () => {
    const root = await parseSvg(seriesChartSvg(reportBy('day')));
    expect(root.getElementsByTagName('title')[0]?.textContent).toBe('Calls, texts and clicks by day, 2026-11-21 to 2026-11-22 (America/New_York)');
    expect(root.getElementsByTagName('polyline')).toHaveLength(3);
    const points = Array.from(root.getElementsByTagName('circle')).map((c) => c.textContent);
    expect(points).toEqual([
      '2026-11-21: 12,480 calls',
      '2026-11-22: 20 calls',
      '2026-11-21: 4,400 texts sent',
      '2026-11-22: 5 texts sent',
      '2026-11-21: 1,100 clicked',
      '2026-11-22: 2 clicked',
    ]);
    expect(texts(root)).toEqual(expect.arrayContaining(['Calls', 'Texts sent', 'Clicked', '11-21', '11-22', '0', '15,000']));
    expect(root.getElementsByTagName('desc')[0]?.textContent).toBe('2 day rows. Total: 12,500 calls, 4,405 texts sent, 1,102 clicked.');
  });

  it('by hour over a month: lines without markers, a few labels on round hours', async () => {
    const month = buildFunnelReport(SLOTS, { by: 'hour', timeZone: 'UTC', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z' });
    expect(month.rows).toHaveLength(720);
    const root = await parseSvg(seriesChartSvg(month));
    expect(root.getElementsByTagName('circle')).toHaveLength(0);
    const points = root.getElementsByTagName('polyline')[0]?.getAttribute('points')?.split(' ');
    expect(points).toHaveLength(720);
    const labels = texts(root).filter((t) => /^\d\d-\d\d \d\d:00$/.test(t));
    expect(labels).toEqual(['11-01 00:00', '11-15 00:00', '11-29 00:00']);
  });

  it('by campaign: grouped bars, one per series and campaign', async () => {
    const root = await parseSvg(seriesChartSvg(reportBy('campaign')));
    const bars = Array.from(root.getElementsByTagName('rect'))
      .map((r) => r.textContent)
      .filter(Boolean);
    expect(bars).toEqual([
      'billing: 20 calls',
      'billing: 5 texts sent',
      'billing: 2 clicked',
      'support: 12,480 calls',
      'support: 4,400 texts sent',
      'support: 1,100 clicked',
    ]);
  });

  it('an empty campaign report says so', async () => {
    const root = await parseSvg(seriesChartSvg(reportBy('campaign', [])));
    expect(texts(root)).toContain('No calls in this period');
  });
});
