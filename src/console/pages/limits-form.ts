import type { FieldError } from '../../http/validation';
import { DEFAULT_LIMITS } from '../../campaigns/schema';
import { keepLeftOut, str } from './form-defaults';

/**
 * The campaign form's limits and caps (campaign.limits), as fields instead of JSON: rows of
 * "at most N texts within M minutes/hours/days" per destination number and per caller, and
 * the campaign's hourly and daily caps. It builds the same `limits` object a campaign file
 * holds; the numbers' ranges are the schema's, whose errors (limits.perCaller.0.max...)
 * come back beside the row's field.
 */

export const WINDOW_LISTS = ['perDestination', 'perCaller'] as const;
export type WindowList = (typeof WINDOW_LISTS)[number];
export const UNITS = { minutes: 1, hours: 60, days: 1440 } as const;
export type Unit = keyof typeof UNITS;

export interface WindowRow {
  max: string;
  within: string;
  unit: Unit;
}

export interface LimitsForm {
  perDestination: WindowRow[];
  perCaller: WindowRow[];
  /** Empty: no cap (null in the file). */
  hourlyCap: string;
  dailyCap: string;
  /** False when the post had no limits fields at all (a client of the older form): the campaign's limits stay as they were. */
  posted: boolean;
}

/** The schema's defaults, which the form shows for a campaign that sets none. */
export const LIMIT_DEFAULTS = DEFAULT_LIMITS;

/** 1440 minutes reads "1 day", 90 "90 minutes": the largest unit that divides it evenly. */
function rowOf(window: unknown): WindowRow {
  const w = (window && typeof window === 'object' ? window : {}) as { max?: unknown; withinMinutes?: unknown };
  const minutes = typeof w.withinMinutes === 'number' ? w.withinMinutes : NaN;
  const unit: Unit = minutes > 0 && minutes % 1440 === 0 ? 'days' : minutes > 0 && minutes % 60 === 0 ? 'hours' : 'minutes';
  return { max: w.max === undefined ? '' : String(w.max), within: Number.isFinite(minutes) ? String(minutes / UNITS[unit]) : str(w.withinMinutes), unit };
}

export function limitsFormFromDocument(limits: unknown): LimitsForm {
  const l = (limits && typeof limits === 'object' ? limits : {}) as Record<string, unknown>;
  const list = (name: WindowList) => (Array.isArray(l[name]) ? (l[name] as unknown[]) : LIMIT_DEFAULTS[name]).map(rowOf);
  const cap = (name: 'hourlyCap' | 'dailyCap') => (l[name] === null ? '' : String(l[name] ?? LIMIT_DEFAULTS[name]));
  return { perDestination: list('perDestination'), perCaller: list('perCaller'), hourlyCap: cap('hourlyCap'), dailyCap: cap('dailyCap'), posted: true };
}

/**
 * The rows as posted: limits.perCaller.0.max, .within, .unit. A row left blank is dropped
 * (that is how a row is removed without script, and the spare row stays unused), and the
 * rest are renumbered, so the schema's row numbers match the rows shown again.
 */
export function limitsFormFromBody(b: Record<string, unknown>, blank: boolean): LimitsForm {
  if (blank) return limitsFormFromDocument(undefined);
  if (!('limits.hourlyCap' in b)) return { ...limitsFormFromDocument(undefined), posted: false };
  const rows = (name: WindowList): WindowRow[] => {
    const indexes = new Set<number>();
    const pattern = new RegExp(`^limits\\.${name}\\.(\\d{1,3})\\.`);
    for (const key of Object.keys(b)) {
      const m = pattern.exec(key);
      if (m) indexes.add(Number(m[1]));
    }
    return [...indexes]
      .sort((x, y) => x - y)
      .map((i) => {
        const unit = str(b[`limits.${name}.${i}.unit`]);
        return { max: str(b[`limits.${name}.${i}.max`]).trim(), within: str(b[`limits.${name}.${i}.within`]).trim(), unit: (unit in UNITS ? unit : 'minutes') as Unit };
      })
      .filter((r) => r.max || r.within);
  };
  return { perDestination: rows('perDestination'), perCaller: rows('perCaller'), hourlyCap: str(b['limits.hourlyCap']).trim(), dailyCap: str(b['limits.dailyCap']).trim(), posted: true };
}

const WHOLE = /^\d{1,9}$/;
/** Window.withinMinutes' maximum in schema.ts: 30 days. */
const MAX_WINDOW_MINUTES = 43200;

/** The document's `limits` (undefined: left out), or what the form itself can tell is wrong. */
export function limitsFromForm(
  form: LimitsForm,
  previous: unknown,
): { kind: 'built'; limits: Record<string, unknown> | undefined } | { kind: 'invalid'; fields: FieldError[] } {
  const prev = previous && typeof previous === 'object' ? (previous as Record<string, unknown>).limits : undefined;
  if (!form.posted) return { kind: 'built', limits: prev as Record<string, unknown> | undefined };
  const fields: FieldError[] = [];
  const windows = (name: WindowList) =>
    form[name].map((row, i) => {
      if (!WHOLE.test(row.max)) fields.push({ field: `limits.${name}.${i}.max`, message: 'must be a whole number of texts' });
      if (!WHOLE.test(row.within)) fields.push({ field: `limits.${name}.${i}.within`, message: `must be a whole number of ${row.unit}` });
      // The schema's bound is in minutes; said here in the unit the row was written in.
      else if (Number(row.within) * UNITS[row.unit] > MAX_WINDOW_MINUTES) fields.push({ field: `limits.${name}.${i}.within`, message: 'must be at most 30 days' });
      return { max: Number(row.max), withinMinutes: Number(row.within) * UNITS[row.unit] };
    });
  const cap = (name: 'hourlyCap' | 'dailyCap') => {
    if (!form[name]) return null;
    if (!WHOLE.test(form[name])) fields.push({ field: `limits.${name}`, message: 'must be a whole number of texts, or empty for no cap' });
    return Number(form[name]);
  };
  const built = { perDestination: windows('perDestination'), perCaller: windows('perCaller'), hourlyCap: cap('hourlyCap'), dailyCap: cap('dailyCap') };
  if (fields.length) return { kind: 'invalid', fields };
  const limits = keepLeftOut(built, prev, LIMIT_DEFAULTS);
  // A campaign without limits keeps none while the form shows the defaults unchanged.
  return { kind: 'built', limits: prev === undefined && Object.keys(limits).length === 0 ? undefined : limits };
}

/** The form field a schema error is about: withinMinutes is shown as "within" and its unit. */
export function limitsErrorKey(field: string): string {
  const m = /^limits\.(perDestination|perCaller)\.(\d+)\.(max|within|withinMinutes)$/.exec(field);
  if (m) return `limits.${m[1]}.${m[2]}.${m[3] === 'max' ? 'max' : 'within'}`;
  return /^limits\.(hourlyCap|dailyCap)$/.test(field) ? field : 'limits';
}
