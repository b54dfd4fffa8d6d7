import { toCsv } from '../http/csv';
import type { FunnelQuery, Store, TextRecontactCount } from '../store/port';

/**
 * "Deflections that stuck" (issue 19 part 3): of the calls texted in a range, how many
 * callers (by the number that called or the number texted) did not call any campaign
 * again within the texting campaign's recontactDays. A text is judged only once its
 * window has fully passed: the store gives the UTC day of each text, so a text counts
 * from the end of its day plus the window (a day late at worst, never early); the rest
 * are pending. Pure but for loadStuckReport.
 */

const DAY_MS = 86_400_000;

/** What the report says about its own counting, in the JSON and on the console. */
export const STUCK_NOTE =
  'Only texts whose recontact window has fully passed are judged (counted from the end of the UTC day of the text); later ones are pending.';

export interface StuckRow {
  campaignId: string;
  /** The campaign's recontactDays (the default when the campaign is gone). */
  recontactDays: number;
  /** Texted calls whose window has fully passed. */
  judged: number;
  /** Of those, the ones whose caller or texted number called again within the window. */
  recontacted: number;
  /** judged - recontacted. */
  stuck: number;
  /** stuck / judged, 4 decimals; null when nothing was judged. */
  stuckRate: number | null;
  /** Texted calls whose window is still open. */
  pending: number;
}

export interface StuckReport {
  from: string;
  to: string;
  note: string;
  rows: StuckRow[];
}

export function buildStuckReport(
  counts: readonly TextRecontactCount[],
  options: { from: string; to: string; now: Date; recontactDaysOf: (campaignId: string) => number },
): StuckReport {
  const rows = new Map<string, StuckRow>();
  for (const c of counts) {
    const days = options.recontactDaysOf(c.campaignId);
    let row = rows.get(c.campaignId);
    if (!row) {
      row = { campaignId: c.campaignId, recontactDays: days, judged: 0, recontacted: 0, stuck: 0, stuckRate: null, pending: 0 };
      rows.set(c.campaignId, row);
    }
    const windowEnds = Date.parse(`${c.day}T00:00:00.000Z`) + DAY_MS + days * DAY_MS;
    if (windowEnds > options.now.getTime()) {
      row.pending += c.texts;
      continue;
    }
    row.judged += c.texts;
    // daysToRecontact is rounded up: within the window exactly when it is at most recontactDays.
    if (c.daysToRecontact !== null && c.daysToRecontact <= days) row.recontacted += c.texts;
  }
  for (const row of rows.values()) {
    row.stuck = row.judged - row.recontacted;
    row.stuckRate = row.judged ? Math.round((row.stuck / row.judged) * 10_000) / 10_000 : null;
  }
  return { from: options.from, to: options.to, note: STUCK_NOTE, rows: [...rows.values()] };
}

export async function loadStuckReport(
  store: Store,
  query: FunnelQuery,
  now: Date,
  recontactDaysOf: (campaignId: string) => number,
): Promise<StuckReport> {
  return buildStuckReport(await store.textRecontacts(query), { from: query.from, to: query.to, now, recontactDaysOf });
}

export function stuckCsv(report: StuckReport): string {
  return toCsv(
    ['campaign', 'recontact_days', 'judged', 'recontacted', 'stuck', 'stuck_rate', 'pending'],
    report.rows.map((r) => [r.campaignId, r.recontactDays, r.judged, r.recontacted, r.stuck, r.stuckRate, r.pending]),
  );
}
