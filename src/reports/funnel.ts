import { toCsv } from '../http/csv';
import { emptyFunnelCounts, type FunnelCounts, type FunnelSlot } from '../store/port';
import { startOfLocalDay, wallClock, type WallClock } from '../time-zone';

/**
 * The deflection funnel report: the store's 15-minute UTC slots regrouped by local day
 * or hour in any time zone, by campaign or by DNIS, with the step rates. Pure: the
 * route fetches the slots and renders the result.
 */

export const FUNNEL_GROUPINGS = ['day', 'hour', 'campaign', 'dnis'] as const;
export type FunnelGrouping = (typeof FUNNEL_GROUPINGS)[number];

/** The longest range (in local calendar days touched) each grouping may cover; the route enforces it. */
export const MAX_RANGE_DAYS: Record<FunnelGrouping, number> = { hour: 31, day: 366, campaign: 366, dnis: 366 };

/** The key of calls without a campaign (unknown DNIS) or without a DNIS: never a campaign id or a number. */
export const NONE_KEY = '(none)';

/**
 * By DNIS, the one row of every number no campaign answered (anyone can call the IVR with
 * any DNIS: 220,000 made-up numbers must not make 220,000 rows), and of the rows past
 * MAX_GROUP_ROWS. Never a number.
 */
export const OTHER_KEY = '(other)';

/** The most rows a campaign or DNIS report has; the ones with the fewest calls are folded into OTHER_KEY. */
export const MAX_GROUP_ROWS = 200;


/** Shares between 0 and 1, rounded to 4 decimals; null when the denominator is 0. */
export interface FunnelRates {
  /** accepted / offered */
  acceptance: number | null;
  /** textsDelivered / textsSent */
  delivery: number | null;
  /** linksClicked / textsSent */
  clickThrough: number | null;
  /** textsSent / calls: the share of calls moved to chat. */
  deflection: number | null;
}

export interface FunnelRow extends FunnelCounts {
  /** Local date ("2026-11-21"), local hour ("2026-11-21T09:00"), campaign id or DNIS; "total" for the total. */
  key: string;
  /**
   * Day and hour rows: where the row starts, local time with its UTC offset
   * ("2026-11-01T01:00:00-05:00"). It tells apart the two "01:00" rows of a day the
   * clocks go back. Null for campaign, DNIS and total rows.
   */
  start: string | null;
  rates: FunnelRates;
}

export interface FunnelReportOptions {
  by: FunnelGrouping;
  timeZone: string;
  /** The range, [from, to), as ISO 8601 instants. */
  from: string;
  to: string;
}

export interface FunnelReport extends FunnelReportOptions {
  rows: FunnelRow[];
  total: FunnelRow;
  /** Rows past MAX_GROUP_ROWS folded into the OTHER_KEY row (0 when every row is shown). */
  rowsFolded: number;
}

const COUNT_FIELDS = [
  'calls',
  'offered',
  'accepted',
  'declined',
  'textsSent',
  'textsDelivered',
  'textsFailed',
  'linksClicked',
  'recontacts',
  'linksPreviewed',
  'conversationsStarted',
  'conversationsResolved',
] as const satisfies readonly (keyof FunnelCounts)[];

const QUARTER_HOUR_MS = 15 * 60_000;
const HOUR_MS = 60 * 60_000;

/** Where an instant goes: the row's identity (unique), its key, start and sort order. */
interface Place {
  id: string;
  key: string;
  start: string | null;
  order: number | string;
}

interface Bucket extends Place {
  counts: FunnelCounts;
}

export function buildFunnelReport(slots: readonly FunnelSlot[], options: FunnelReportOptions): FunnelReport {
  const { by, timeZone } = options;
  const timed = by === 'day' || by === 'hour';
  const placeAt = timed ? timePlacer(by, timeZone) : undefined;
  const buckets = new Map<string, Bucket>();
  const bucketOf = (place: Place): Bucket => {
    let bucket = buckets.get(place.id);
    if (!bucket) {
      bucket = { ...place, counts: emptyFunnelCounts() };
      buckets.set(place.id, bucket);
    }
    return bucket;
  };

  if (placeAt) {
    // Every local day or hour of the range gets a row, calls or not: charts have no gaps.
    // A step shorter than any row reaches each one; the last instant catches a short tail.
    const from = Date.parse(options.from);
    const to = Date.parse(options.to);
    const step = by === 'hour' ? QUARTER_HOUR_MS : HOUR_MS;
    for (let t = from; t < to; t += step) bucketOf(placeAt(t));
    if (to > from) bucketOf(placeAt(to - 1));
  }
  const total = emptyFunnelCounts();
  for (const slot of slots) {
    const key = by === 'campaign' ? (slot.campaignId ?? NONE_KEY) : by === 'dnis' ? dnisKey(slot) : undefined;
    const place = placeAt ? placeAt(Date.parse(slot.slot)) : { id: key ?? '', key: key ?? '', start: null, order: key ?? '' };
    addCounts(bucketOf(place).counts, slot);
    addCounts(total, slot);
  }

  const reasons = Object.keys(total.notOffered).sort();
  const row = (key: string, start: string | null, counts: FunnelCounts): FunnelRow => ({
    key,
    start,
    ...counts,
    notOffered: Object.fromEntries(reasons.map((r) => [r, counts.notOffered[r] ?? 0])),
    rates: ratesOf(counts),
  });
  const { kept, folded } = timed ? { kept: [...buckets.values()], folded: 0 } : foldSmallest([...buckets.values()]);
  const rows = kept.sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0)).map((b) => row(b.key, b.start, b.counts));
  return { ...options, rows, total: row('total', null, total), rowsFolded: folded };
}

/** A call's DNIS row: its number when a campaign answered it, else the one OTHER_KEY row. */
function dnisKey(slot: FunnelSlot): string {
  if (slot.campaignId === null) return OTHER_KEY;
  return slot.dnis || NONE_KEY;
}

/**
 * At most MAX_GROUP_ROWS rows: the ones with the most calls stay, the rest are added to
 * the OTHER_KEY row (made if need be), which sorts last.
 */
function foldSmallest(buckets: Bucket[]): { kept: Bucket[]; folded: number } {
  const other = buckets.find((b) => b.key === OTHER_KEY);
  const named = buckets.filter((b) => b !== other);
  if (buckets.length <= MAX_GROUP_ROWS) return { kept: buckets.map(sortOtherLast), folded: 0 };
  named.sort((a, b) => b.counts.calls - a.counts.calls);
  const keep = named.slice(0, MAX_GROUP_ROWS - 1);
  const rest = named.slice(MAX_GROUP_ROWS - 1);
  const into: Bucket = other ?? { id: OTHER_KEY, key: OTHER_KEY, start: null, order: OTHER_KEY, counts: emptyFunnelCounts() };
  for (const bucket of rest) addCounts(into.counts, bucket.counts);
  return { kept: [...keep, into].map(sortOtherLast), folded: rest.length };
}

function sortOtherLast(bucket: Bucket): Bucket {
  // U+FFFF sorts after every DNIS and campaign id.
  return bucket.key === OTHER_KEY ? { ...bucket, order: '\uffff' } : bucket;
}

/** CSV of the rows, one column per count, not-offered reason and rate. */
export function funnelCsv(report: FunnelReport): string {
  const reasons = Object.keys(report.total.notOffered);
  const timed = report.by === 'day' || report.by === 'hour';
  const header = [
    report.by,
    ...(timed ? ['start'] : []),
    'calls',
    'offered',
    'not_offered',
    ...reasons.map((r) => `not_offered:${r}`),
    'accepted',
    'declined',
    'texts_sent',
    'texts_delivered',
    'texts_failed',
    'links_clicked',
    'links_previewed',
    'acceptance_rate',
    'delivery_rate',
    'click_through_rate',
    'deflection_rate',
    'recontacts',
    'conversations_started',
    'conversations_resolved',
  ];
  const rows = report.rows.map((r) => [
    r.key,
    ...(timed ? [r.start] : []),
    r.calls,
    r.offered,
    sum(Object.values(r.notOffered)),
    ...reasons.map((reason) => r.notOffered[reason] ?? 0),
    r.accepted,
    r.declined,
    r.textsSent,
    r.textsDelivered,
    r.textsFailed,
    r.linksClicked,
    r.linksPreviewed,
    r.rates.acceptance,
    r.rates.delivery,
    r.rates.clickThrough,
    r.rates.deflection,
    r.recontacts,
    r.conversationsStarted,
    r.conversationsResolved,
  ]);
  return toCsv(header, rows);
}

function ratesOf(c: FunnelCounts): FunnelRates {
  return {
    acceptance: share(c.accepted, c.offered),
    delivery: share(c.textsDelivered, c.textsSent),
    clickThrough: share(c.linksClicked, c.textsSent),
    deflection: share(c.textsSent, c.calls),
  };
}

function share(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000;
}

/**
 * The local day or hour of an instant. Rows are told apart by their start instant, not
 * their label, so the repeated hour of a fall-back night makes two rows. Every zone's
 * offset is a whole number of quarter hours, so a UTC slot never straddles two rows.
 * Memoised by instant and by row: a year has 35,000 slots, each under many campaigns
 * and DNIS, and reading a wall clock costs microseconds.
 */
function timePlacer(by: 'day' | 'hour', timeZone: string): (at: number) => Place {
  const byInstant = new Map<number, Place>();
  const byRow = new Map<string, Place>();
  return (at) => {
    let place = byInstant.get(at);
    if (place) return place;
    const local = wallClock(new Date(at), timeZone);
    const date = localDate(local);
    const id = by === 'day' ? date : String(at - local.minute * 60_000 - local.second * 1000 - (at % 1000));
    place = byRow.get(id);
    if (!place) {
      const start = by === 'day' ? startOfLocalDay(new Date(at), timeZone).getTime() : Number(id);
      const key = by === 'day' ? date : `${date}T${pad(local.hour)}:00`;
      place = { id, key, start: localIso(start, timeZone), order: start };
      byRow.set(id, place);
    }
    byInstant.set(at, place);
    return place;
  };
}

/** The local dates of a report's first and last instants ("2026-11-01", "2026-11-30"). */
export function reportDates(report: Pick<FunnelReport, 'from' | 'to' | 'timeZone'>): { first: string; last: string } {
  const from = Date.parse(report.from);
  const to = Date.parse(report.to);
  return {
    first: localIso(from, report.timeZone).slice(0, 10),
    last: localIso(Math.max(from, to - 1), report.timeZone).slice(0, 10),
  };
}

/** "2026-11-01T01:00:00-05:00": the wall clock at `at` with the zone's offset then. */
function localIso(at: number, timeZone: string): string {
  const w = wallClock(new Date(at), timeZone);
  const whole = at - (at % 1000);
  const offsetMinutes = Math.round((Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${localDate(w)}T${pad(w.hour)}:${pad(w.minute)}:${pad(w.second)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

function localDate(w: WallClock): string {
  return `${String(w.year).padStart(4, '0')}-${pad(w.month)}-${pad(w.day)}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}


function addCounts(into: FunnelCounts, slot: FunnelCounts): void {
  for (const field of COUNT_FIELDS) into[field] += slot[field];
  for (const [reason, n] of Object.entries(slot.notOffered)) into.notOffered[reason] = (into.notOffered[reason] ?? 0) + n;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
