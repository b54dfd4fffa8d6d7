import type { Response, Router } from 'express';
import { CHANNEL_LABELS } from '../../channels/channel';
import { z } from 'zod';
import { fieldErrors } from '../../http/validation';
import { funnelChartSvg, seriesChartSvg } from '../../reports/chart-svg';
import { FUNNEL_GROUPINGS, funnelCsv, MAX_GROUP_ROWS, type FunnelReport } from '../../reports/funnel';
import { loadChannelReport } from '../../reports/channel-query';
import { channelCsv, type ChannelReport } from '../../reports/channels';
import { FunnelFields, loadFunnelReport, withRange } from '../../reports/funnel-query';
import { loadVariantReport } from '../../reports/variant-query';
import { estimateSavings, SavingsInputs, type SavingsEstimate } from '../../reports/savings';
import { VARIANT_STEPS, variantCsv, type VariantReport } from '../../reports/variants';
import { wallClock } from '../../time-zone';
import { DEFAULT_RECONTACT_DAYS } from '../../deflection/recontact';
import { loadStuckReport, type StuckReport } from '../../reports/stuck';
import type { ConsoleDeps } from '../routes';
import { render } from '../render';
import { consoleRole } from '../roles';

/** The console asks the same question as GET /api/reports/funnel; blank fields take defaults. */
const ReportForm = z.object(FunnelFields).transform(withRange);
type ReportForm = Record<'from' | 'to' | 'timeZone' | 'by' | 'campaign', string>;

const DAY_MS = 86_400_000;

/**
 * The reports page: the deflection funnel for a range of local days, as figures, an SVG
 * funnel, the rows over time and a table, with a CSV of the same report; under it the
 * messages of the same range by channel (GET /api/reports/channels), with its own CSV,
 * and the A/B table of the offer variants (GET /api/reports/variants).
 */
export function reportPages(router: Router, deps: ConsoleDeps): void {
  /** The report the form asks for; undefined when the form was refused (the page with its errors is sent). */
  async function reportFor(
    query: Record<string, unknown>,
    res: Response,
  ): Promise<{ form: ReportForm; report: FunnelReport; channels: ChannelReport; variants: VariantReport; stuck: StuckReport } | undefined> {
    const form = formFrom(query, deps);
    const parsed = ReportForm.safeParse(withoutBlanks(form));
    if (parsed.success) {
      const variantOrder = (id: string) => deps.catalog.entry(id)?.campaign.variants.map((v) => v.id) ?? [];
      const range = { from: parsed.data.start.toISOString(), to: parsed.data.end.toISOString(), ...(parsed.data.campaign ? { campaignId: parsed.data.campaign } : {}) };
      const [report, channels, variants, stuck] = await Promise.all([
        loadFunnelReport(deps.store, parsed.data),
        loadChannelReport(deps.store, parsed.data),
        loadVariantReport(deps.store, parsed.data, variantOrder),
        loadStuckReport(deps.store, range, deps.now(), (id) => deps.catalog.get(id)?.recontactDays ?? DEFAULT_RECONTACT_DAYS),
      ]);
      return { form, report, channels, variants, stuck };
    }
    showPage(res, deps, form, undefined, undefined, undefined, errorsOf(parsed.error));
    return undefined;
  }

  router.get('/reports', consoleRole('viewer'), async (req, res) => {
    const found = await reportFor(req.query, res);
    if (!found) return;
    const costs = costsFrom(req.query);
    const savings = costs.inputs ? estimateSavings(found.report.total, costs.inputs) : undefined;
    showPage(res, deps, found.form, found.report, found.channels, found.variants, {}, { costs: costs.raw, savings, error: costs.error }, found.stuck);
  });

  router.get('/reports-channels.csv', consoleRole('viewer'), async (req, res) => {
    const found = await reportFor(req.query, res);
    if (!found) return;
    const { form, channels } = found;
    res.type('text/csv; charset=utf-8').attachment(`channels-${form.from}-${form.to}.csv`).send(channelCsv(channels));
  });

  router.get('/reports-variants.csv', consoleRole('viewer'), async (req, res) => {
    const found = await reportFor(req.query, res);
    if (!found) return;
    const { form, variants } = found;
    res.type('text/csv; charset=utf-8').attachment(`variants-${form.from}-${form.to}.csv`).send(variantCsv(variants));
  });

  router.get('/reports.csv', consoleRole('viewer'), async (req, res) => {
    const found = await reportFor(req.query, res);
    if (!found) return;
    const { form, report } = found;
    res.type('text/csv; charset=utf-8').attachment(`funnel-${form.from}-${form.to}.csv`).send(funnelCsv(report));
  });
}

const COST_FIELDS = ['voiceMinute', 'handleMinutes', 'chat', 'text'] as const;

interface SavingsView {
  costs: Partial<Record<(typeof COST_FIELDS)[number], string>>;
  savings: SavingsEstimate | undefined;
  error: string | undefined;
}

/** The savings form's costs: none given, no estimate; all four valid, the inputs; else a message for the card. */
function costsFrom(query: Record<string, unknown>): { raw: SavingsView['costs']; inputs?: SavingsInputs; error?: string } {
  const raw = Object.fromEntries(
    COST_FIELDS.flatMap((f) => (typeof query[f] === 'string' && (query[f] as string).trim() !== '' ? [[f, (query[f] as string).trim()]] : [])),
  ) as SavingsView['costs'];
  if (Object.keys(raw).length === 0) return { raw };
  const parsed = SavingsInputs.safeParse(raw);
  if (!parsed.success) return { raw, error: 'Give all four costs as numbers of 0 or more (handle time in minutes, at most 600).' };
  return { raw, inputs: parsed.data };
}

/** The form as asked, with defaults: the last 7 local days in the first campaign's zone. */
function formFrom(query: Record<string, unknown>, deps: ConsoleDeps): ReportForm {
  const value = (name: string): string => (typeof query[name] === 'string' ? (query[name] as string).trim() : '');
  const timeZone = value('timeZone') || deps.catalog.all().find((c) => c.timeZone)?.timeZone || 'UTC';
  const today = localDate(deps.now(), timeZone);
  return {
    from: value('from') || shiftDate(today, -6),
    to: value('to') || today,
    timeZone,
    by: value('by') || 'day',
    campaign: value('campaign'),
  };
}

function withoutBlanks(form: ReportForm): Record<string, string> {
  return Object.fromEntries(Object.entries(form).filter(([, v]) => v !== ''));
}

function errorsOf(error: z.ZodError): Record<string, string> {
  return Object.fromEntries(fieldErrors(error).map((e) => [e.field.split('.')[0] ?? '', e.message]));
}

function localDate(at: Date, timeZone: string): string {
  const w = (() => {
    try {
      return wallClock(at, timeZone);
    } catch {
      return wallClock(at, 'UTC');
    }
  })();
  return `${w.year}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

function showPage(
  res: Response,
  deps: ConsoleDeps,
  form: ReportForm,
  report: FunnelReport | undefined,
  channels: ChannelReport | undefined,
  variants: VariantReport | undefined,
  errors: Record<string, string>,
  savings: SavingsView = { costs: {}, savings: undefined, error: undefined },
  stuck?: StuckReport,
): void {
  const today = localDate(deps.now(), form.timeZone);
  const link = (from: string, to: string) =>
    `/admin/reports?${new URLSearchParams({ ...form, from, to }).toString()}`;
  render(res, 'reports', {
    title: 'Reports',
    nav: 'reports',
    status: report ? 200 : 400,
    form,
    errors,
    groupings: FUNNEL_GROUPINGS,
    campaigns: deps.catalog.entries().map((e) => ({ id: e.id, name: e.campaign.name })),
    // Rows name campaigns by id; people know them by name (a deleted one keeps its id).
    campaignName: (id: string) => deps.catalog.entry(id)?.campaign.name ?? id,
    presets: [
      { label: 'Today', href: link(today, today) },
      { label: 'Last 7 days', href: link(shiftDate(today, -6), today) },
      { label: 'Last 30 days', href: link(shiftDate(today, -29), today) },
    ],
    csvHref: `/admin/reports.csv?${new URLSearchParams(form).toString()}`,
    channelsCsvHref: `/admin/reports-channels.csv?${new URLSearchParams(form).toString()}`,
    report: report ?? null,
    channels: channels ?? null,
    variants: variants ?? null,
    costs: savings.costs,
    savings: savings.savings ?? null,
    savingsError: savings.error ?? null,
    variantSteps: VARIANT_STEPS,
    variantsCsvHref: `/admin/reports-variants.csv?${new URLSearchParams(form).toString()}`,
    stuck: stuck ?? null,
    labels: CHANNEL_LABELS,
    maxRows: MAX_GROUP_ROWS,
    // Our own renderer escapes every text it draws: safe to place in the page as markup.
    funnelSvg: report ? funnelChartSvg(report) : '',
    seriesSvg: report && report.rows.length ? seriesChartSvg(report) : '',
    percent: (rate: number | null) => (rate === null ? '–' : `${(rate * 100).toFixed(1)}%`),
  });
}
