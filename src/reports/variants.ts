import { toCsv } from '../http/csv';
import type { FunnelCounts, VariantCount } from '../store/port';
import { sampleSizePerArm, twoProportionTest, wilsonInterval, type Interval } from './ab-stats';

/**
 * The funnel by offer variant, A/B test style: for each campaign's variants, each step's
 * share of the offered calls with its 95% Wilson interval, and a two-proportion z-test of
 * each variant against the campaign's first one. A winner is named only when the test is
 * significant (p < 0.05); otherwise the report says how many calls each arm would need for
 * the observed difference to show at 80% power, and how many more that is. Pure: the
 * store's counts in, the report out.
 */

/** Significance level of the verdicts. */
export const ALPHA = 0.05;

/** The steps compared, each as a share of the calls offered (what the variant's wording can move). */
export const VARIANT_STEPS = [
  { key: 'accepted', label: 'Accepted' },
  { key: 'textsSent', label: 'Texts sent' },
  { key: 'textsDelivered', label: 'Delivered' },
  { key: 'linksClicked', label: 'Clicked' },
] as const satisfies readonly { key: keyof FunnelCounts; label: string }[];
export type VariantStep = (typeof VARIANT_STEPS)[number]['key'];

/** The step the verdict is about: a click is the caller actually reaching the chat. */
export const PRIMARY_STEP: VariantStep = 'linksClicked';

export interface Comparison {
  /** The first variant of the campaign, which the others are tested against. */
  baseline: string;
  /** This variant's rate minus the baseline's (rounded to 4 decimals). */
  difference: number;
  /** z of the pooled two-proportion test: positive when this variant does better. Null: no test possible. */
  z: number | null;
  /** Two-sided. */
  pValue: number | null;
  significant: boolean;
  /** Offered calls each arm needs for the observed difference at 80% power, alpha 0.05; null without a difference. */
  neededPerArm: number | null;
}

export interface StepStats {
  count: number;
  /** count / offered; null without offered calls. */
  rate: number | null;
  /** 95% Wilson score interval of the rate. */
  interval: Interval | null;
  /** Against the baseline; null on the baseline itself and on calls without a variant. */
  vsBaseline: Comparison | null;
}

export interface VariantRow extends Omit<FunnelCounts, 'recontacts' | 'linksPreviewed' | 'conversationsStarted' | 'conversationsResolved'> {
  campaign: string;
  /** Null: calls made while the campaign had no variants (shown, never compared). */
  variant: string | null;
  steps: Record<VariantStep, StepStats>;
}

export type Verdict =
  | { campaign: string; variant: string; baseline: string; kind: 'winner'; winner: string; pValue: number }
  | { campaign: string; variant: string; baseline: string; kind: 'not-significant'; pValue: number | null; neededPerArm: number | null; moreCalls: { baseline: number; variant: number } | null };

export interface VariantReport {
  timeZone: string;
  from: string;
  to: string;
  alpha: number;
  primaryStep: VariantStep;
  /** Campaigns in id order; in each, its variants in the campaign's order (then by id), no variant last. */
  rows: VariantRow[];
  /** One per variant after a campaign's first, on the primary step. */
  verdicts: Verdict[];
}

export interface VariantReportOptions {
  timeZone: string;
  from: string;
  to: string;
  /** A campaign's variant ids in its configured order: the first is the baseline. Unknown ones follow by id. */
  variantOrder?: (campaignId: string) => readonly string[];
}

export function buildVariantReport(counts: readonly VariantCount[], options: VariantReportOptions): VariantReport {
  const { variantOrder, ...range } = options;
  const byCampaign = new Map<string, VariantCount[]>();
  for (const c of counts) byCampaign.set(c.campaignId, [...(byCampaign.get(c.campaignId) ?? []), c]);

  const rows: VariantRow[] = [];
  const verdicts: Verdict[] = [];
  for (const campaign of [...byCampaign.keys()].sort()) {
    const order = variantOrder?.(campaign) ?? [];
    const rank = (v: string | null) => (v === null ? Number.MAX_SAFE_INTEGER : order.includes(v) ? order.indexOf(v) : order.length);
    const group = [...byCampaign.get(campaign)!].sort(
      (a, b) => rank(a.variant) - rank(b.variant) || ((a.variant ?? '') < (b.variant ?? '') ? -1 : (a.variant ?? '') > (b.variant ?? '') ? 1 : 0),
    );
    const baseline = group.find((c) => c.variant !== null);
    for (const c of group) {
      const compared = baseline && c.variant !== null && c !== baseline ? baseline : undefined;
      const row = rowOf(c, compared);
      rows.push(row);
      if (compared) verdicts.push(verdictOf(row, compared));
    }
  }
  return { ...range, alpha: ALPHA, primaryStep: PRIMARY_STEP, rows, verdicts };
}

function rowOf(c: VariantCount, baseline: VariantCount | undefined): VariantRow {
  const { campaignId, variant, ...counts } = c;
  const steps = Object.fromEntries(
    VARIANT_STEPS.map(({ key }) => [key, stepOf(c[key], c.offered, baseline && { count: baseline[key], offered: baseline.offered, id: baseline.variant! })]),
  ) as Record<VariantStep, StepStats>;
  return { campaign: campaignId, variant, ...counts, steps };
}

function stepOf(count: number, offered: number, baseline: { count: number; offered: number; id: string } | undefined): StepStats {
  const rate = offered === 0 ? null : count / offered;
  let vsBaseline: Comparison | null = null;
  if (baseline && rate !== null && baseline.offered > 0) {
    const base = baseline.count / baseline.offered;
    const test = twoProportionTest(baseline.count, baseline.offered, count, offered);
    vsBaseline = {
      baseline: baseline.id,
      difference: round(rate - base, 4),
      z: test && round(test.z, 4),
      pValue: test && round(test.pValue, 6),
      significant: test !== null && test.pValue < ALPHA,
      neededPerArm: sampleSizePerArm(base, rate),
    };
  }
  const interval = wilsonInterval(count, offered);
  return {
    count,
    rate: rate === null ? null : round(rate, 4),
    interval: interval && { low: round(interval.low, 4), high: round(interval.high, 4) },
    vsBaseline,
  };
}

function verdictOf(row: VariantRow, baseline: VariantCount): Verdict {
  const c = row.steps[PRIMARY_STEP].vsBaseline;
  const common = { campaign: row.campaign, variant: row.variant!, baseline: baseline.variant! };
  if (c?.significant && c.pValue !== null) {
    return { ...common, kind: 'winner', winner: c.difference > 0 ? row.variant! : baseline.variant!, pValue: c.pValue };
  }
  const needed = c?.neededPerArm ?? null;
  return {
    ...common,
    kind: 'not-significant',
    pValue: c?.pValue ?? null,
    neededPerArm: needed,
    moreCalls: needed === null ? null : { baseline: Math.max(0, needed - baseline.offered), variant: Math.max(0, needed - row.offered) },
  };
}

function round(value: number, places: number): number {
  const f = 10 ** places;
  return Math.round(value * f) / f;
}

/** CSV: one line per campaign and variant, each step's count, rate, interval and test against the baseline. */
export function variantCsv(report: VariantReport): string {
  const header = [
    'campaign',
    'variant',
    'calls',
    'offered',
    ...VARIANT_STEPS.flatMap(({ key }) => {
      const name = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      return [name, `${name}_rate`, `${name}_ci_low`, `${name}_ci_high`, `${name}_p_value`, `${name}_significant`, `${name}_needed_per_arm`];
    }),
  ];
  const rows = report.rows.map((r) => [
    r.campaign,
    r.variant,
    r.calls,
    r.offered,
    ...VARIANT_STEPS.flatMap(({ key }) => {
      const s = r.steps[key];
      const vs = s.vsBaseline;
      return [s.count, s.rate, s.interval?.low ?? null, s.interval?.high ?? null, vs?.pValue ?? null, vs ? String(vs.significant) : null, vs?.neededPerArm ?? null];
    }),
  ]);
  return toCsv(header, rows);
}
