import type { FieldError } from '../../http/validation';

/**
 * The campaign form's opening hours, as fields instead of JSON: one line of ranges per
 * weekday ("09:00-17:00, 18:00-20:00"; empty: closed), the holidays closed all day (one
 * date a line) and special days ("2026-12-24 09:00-13:00", or "2026-12-31 closed"). It
 * builds the same `hours` object a campaign file holds; the ranges and dates themselves
 * are checked by the campaign schema, whose errors (hours.weekly.mon.0...) come back
 * beside these fields.
 */

/** In the order people read a week; the document is written in this order too. */
export const FORM_WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type FormWeekday = (typeof FORM_WEEKDAYS)[number];
export const WEEKDAY_NAMES: Record<FormWeekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

export interface HoursForm {
  /** Off: no opening hours, the offer is made at any time. */
  enabled: boolean;
  days: Record<FormWeekday, string>;
  /** One date a line. */
  closed: string;
  /** One "date ranges" or "date closed" a line. */
  special: string;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function hoursFormFromBody(b: Record<string, unknown>, blank: boolean): HoursForm {
  return {
    enabled: blank ? false : b['hours.enabled'] === 'on',
    days: Object.fromEntries(FORM_WEEKDAYS.map((d) => [d, blank ? '' : str(b[`hours.${d}`])])) as Record<FormWeekday, string>,
    closed: str(b['hours.closed']),
    special: str(b['hours.special']),
  };
}

export function hoursFormFromDocument(hours: unknown): HoursForm {
  const h = (hours && typeof hours === 'object' ? hours : undefined) as
    | { weekly?: Record<string, unknown>; closed?: unknown; special?: Record<string, unknown> }
    | undefined;
  const ranges = (v: unknown): string => (Array.isArray(v) ? v.map(String).join(', ') : '');
  return {
    enabled: h !== undefined,
    days: Object.fromEntries(FORM_WEEKDAYS.map((d) => [d, ranges(h?.weekly?.[d])])) as Record<FormWeekday, string>,
    closed: Array.isArray(h?.closed) ? h.closed.map(String).join('\n') : '',
    special: Object.entries(h?.special ?? {})
      .map(([date, r]) => `${date} ${Array.isArray(r) && r.length ? ranges(r) : 'closed'}`)
      .join('\n'),
  };
}

const lines = (text: string): string[] =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
const rangeList = (text: string): string[] =>
  text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);

/** The document's `hours` (undefined: none), or what the form itself can tell is wrong. */
export function hoursFromForm(form: HoursForm): { kind: 'built'; hours: Record<string, unknown> | undefined } | { kind: 'invalid'; fields: FieldError[] } {
  if (!form.enabled) return { kind: 'built', hours: undefined };
  const weekly: Record<string, string[]> = {};
  for (const day of FORM_WEEKDAYS) {
    const ranges = rangeList(form.days[day]);
    // A day left out is closed: only open days are written.
    if (ranges.length) weekly[day] = ranges;
  }
  const special: Record<string, string[]> = {};
  for (const line of lines(form.special)) {
    const match = /^(\S+)\s+(.+)$/.exec(line);
    if (!match) return { kind: 'invalid', fields: [{ field: 'hours.special', message: `"${line}": write a date, a space, then its ranges or "closed"` }] };
    const [, date = '', rest = ''] = match;
    special[date] = /^closed$/i.test(rest.trim()) ? [] : rangeList(rest);
  }
  const closed = lines(form.closed);
  return {
    kind: 'built',
    hours: { weekly, ...(closed.length ? { closed } : {}), ...(Object.keys(special).length ? { special } : {}) },
  };
}
