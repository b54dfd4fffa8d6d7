import { z } from 'zod';
import type { Store } from '../store/port';
import { isTimeZone, startOfLocalDay, wallClock } from '../time-zone';
import { buildFunnelReport, FUNNEL_GROUPINGS, MAX_RANGE_DAYS, type FunnelReport } from './funnel';

/**
 * What a funnel report is asked for (API and console alike): a range of local days or
 * instants in a time zone, a grouping, optionally one campaign. Parsed once here so the
 * two answer the same question the same way.
 */

const LOCAL_DATE = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

const DateOrInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'must be a date (YYYY-MM-DD) or an ISO date-time with an offset',
});

export const FunnelFields = {
  from: DateOrInstant.describe('first local day of the range, or its first instant'),
  to: DateOrInstant.describe('last local day of the range (included), or the instant it ends (excluded)'),
  timeZone: z.string().refine(isTimeZone, 'must be an IANA time zone, such as America/New_York').default('UTC'),
  by: z.enum(FUNNEL_GROUPINGS).default('day'),
  campaign: z.string().min(1).max(63).optional(),
};

export const FunnelQuery = z
  .strictObject({ ...FunnelFields, format: z.enum(['json', 'csv']).default('json') })
  .transform(withRange);

export const FunnelSvgQuery = z
  .strictObject({ ...FunnelFields, chart: z.enum(['funnel', 'series']).default('funnel') })
  .transform(withRange);

/** The report for a parsed query. */
export async function loadFunnelReport(store: Store, query: Range): Promise<FunnelReport> {
  const range = { from: query.start.toISOString(), to: query.end.toISOString() };
  const slots = await store.funnelSlots({ ...range, ...(query.campaign ? { campaignId: query.campaign } : {}) });
  return buildFunnelReport(slots, { by: query.by, timeZone: query.timeZone, ...range });
}

export interface Range {
  from: string;
  to: string;
  timeZone: string;
  by: (typeof FUNNEL_GROUPINGS)[number];
  campaign?: string | undefined;
  /** The range as instants: [start, end). */
  start: Date;
  end: Date;
}

/**
 * Turns from and to into instants: a date is a whole local day in the report's zone
 * (from its midnight; to through its end), a date-time is that instant. The range must
 * be forward and no longer than the grouping allows, counted in local days touched.
 */
export function withRange<T extends Omit<Range, 'start' | 'end'>>(q: T, ctx: z.RefinementCtx): T & Pick<Range, 'start' | 'end'> {
  return withRangeUpTo(q, ctx, MAX_RANGE_DAYS[q.by], `by ${q.by}`);
}

/** withRange for any report: at most maxDays local days, the refusal naming which report (`of`). */
export function withRangeUpTo<T extends Pick<Range, 'from' | 'to' | 'timeZone'>>(
  q: T,
  ctx: z.RefinementCtx,
  maxDays: number,
  of: string,
): T & Pick<Range, 'start' | 'end'> {
  const start = LOCAL_DATE.test(q.from) ? startOfLocalDate(q.from, q.timeZone) : new Date(q.from);
  const end = LOCAL_DATE.test(q.to) ? startOfLocalDate(q.to, q.timeZone, 1) : new Date(q.to);
  if (end <= start) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: LOCAL_DATE.test(q.to) ? 'must not be before from' : 'must be after from' });
    return z.NEVER;
  }
  const days = localDayNumber(new Date(end.getTime() - 1), q.timeZone) - localDayNumber(start, q.timeZone) + 1;
  if (days > maxDays) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${maxDays} days ${of} (this one spans ${days})` });
    return z.NEVER;
  }
  return { ...q, start, end };
}

/** Local midnight of a calendar date (plus some days) in a zone, as an instant. */
function startOfLocalDate(date: string, timeZone: string, plusDays = 0): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const target = Date.UTC(year, month - 1, day + plusDays);
  // Noon UTC of that date is within a day of it locally (offsets are -12 to +14 hours):
  // move by the difference, then find that local day's midnight.
  const noon = target + DAY_MS / 2;
  const seen = localDayNumber(new Date(noon), timeZone) * DAY_MS;
  return startOfLocalDay(new Date(noon - (seen - target)), timeZone);
}

/** Days since 1970-01-01 of the local date at `at`. */
function localDayNumber(at: Date, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day) / DAY_MS;
}
