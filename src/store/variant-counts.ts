import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import type { FunnelQuery, VariantCount } from './port';
import type { Row } from './rows';

/**
 * The A/B report's raw counts on both stores (Store.variantCounts): the calls of the
 * range that have a campaign, each folded to one row of funnel flags (a call counts once
 * per step however many such events it has, as in funnelSlots), counted by campaign and
 * the offer variant the caller heard. Its own query rather than one more grouping of
 * funnelSlots: slots by variant would multiply the rows of every funnel report, and the
 * A/B report needs no time slots. Calls not offered are counted without a row (they have
 * no variant) and do not appear. The same SQL runs on both: only the parameter style differs.
 */
const sqlWith = (from: string, to: string, campaignId: string): string => `
  SELECT campaign_id, variant,
         COUNT(*) AS calls, SUM(offered) AS offered, SUM(accepted) AS accepted, SUM(declined) AS declined,
         SUM(texts_sent) AS texts_sent, SUM(texts_delivered) AS texts_delivered, SUM(texts_failed) AS texts_failed,
         SUM(links_clicked) AS links_clicked
  FROM (
    -- ELSE 0: a call without such events (NULLs from the LEFT JOIN) gets 0, not NULL.
    SELECT c.campaign_id, c.variant,
           MAX(CASE WHEN e.type = 'offered' THEN 1 ELSE 0 END) AS offered,
           MAX(CASE WHEN e.type = 'accepted' THEN 1 ELSE 0 END) AS accepted,
           MAX(CASE WHEN e.type = 'declined' THEN 1 ELSE 0 END) AS declined,
           MAX(CASE WHEN e.type = 'sms-sent' THEN 1 ELSE 0 END) AS texts_sent,
           MAX(CASE WHEN e.type = 'sms-delivered' THEN 1 ELSE 0 END) AS texts_delivered,
           MAX(CASE WHEN e.type = 'sms-failed' THEN 1 ELSE 0 END) AS texts_failed,
           MAX(CASE WHEN e.type = 'link-clicked' THEN 1 ELSE 0 END) AS links_clicked
    FROM calls c
    LEFT JOIN call_events e ON e.call_id = c.id AND e.type IN
      ('offered', 'accepted', 'declined', 'sms-sent', 'sms-delivered', 'sms-failed', 'link-clicked')
    WHERE c.created_at >= ${from} AND c.created_at < ${to} AND c.campaign_id IS NOT NULL
      AND (${campaignId} IS NULL OR c.campaign_id = ${campaignId})
    GROUP BY c.id, c.campaign_id, c.variant
  ) per_call
  GROUP BY campaign_id, variant`;

export const SQLITE_VARIANT_COUNTS_SQL = sqlWith('@from', '@to', '@campaignId');
const POSTGRES_VARIANT_COUNTS_SQL = sqlWith('$1', '$2', '$3::text');

const HOUR_MS = 3_600_000;

/**
 * SQLite: better-sqlite3 blocks the event loop while a query runs, so the range is
 * counted an hour at a time (through the created_at index), yielding in between, as
 * funnelSlots does.
 */
export async function sqliteVariantCounts(statement: Database.Statement, query: FunnelQuery): Promise<VariantCount[]> {
  const merged = new Map<string, VariantCount>();
  const end = Date.parse(query.to);
  for (let start = Date.parse(query.from); start < end; ) {
    const next = Math.min(end, Math.floor(start / HOUR_MS) * HOUR_MS + HOUR_MS);
    const range = { from: new Date(start).toISOString(), to: new Date(next).toISOString(), campaignId: query.campaignId ?? null };
    for (const row of statement.all(range) as Row[]) addTo(merged, toVariantCount(row));
    start = next;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return sorted([...merged.values()]);
}

/** PostgreSQL: one query for the whole range (the database works while Node serves requests). */
export async function postgresVariantCounts(pool: Pool, query: FunnelQuery): Promise<VariantCount[]> {
  const result = await pool.query<Row>(POSTGRES_VARIANT_COUNTS_SQL, [query.from, query.to, query.campaignId ?? null]);
  return sorted(result.rows.map(toVariantCount));
}

const COUNTS = [
  ['calls', 'calls'],
  ['offered', 'offered'],
  ['accepted', 'accepted'],
  ['declined', 'declined'],
  ['textsSent', 'texts_sent'],
  ['textsDelivered', 'texts_delivered'],
  ['textsFailed', 'texts_failed'],
  ['linksClicked', 'links_clicked'],
] as const;

function toVariantCount(row: Row): VariantCount {
  const count: VariantCount = {
    campaignId: String(row.campaign_id),
    variant: row.variant === null || row.variant === undefined ? null : String(row.variant),
    calls: 0,
    offered: 0,
    notOffered: {},
    accepted: 0,
    declined: 0,
    textsSent: 0,
    textsDelivered: 0,
    textsFailed: 0,
    linksClicked: 0,
  };
  // PostgreSQL's COUNT and SUM are bigints, which pg hands over as strings.
  for (const [field, column] of COUNTS) count[field] = Number(row[column] ?? 0);
  return count;
}

function keyOf(c: Pick<VariantCount, 'campaignId' | 'variant'>): string {
  // A call without a variant sorts first in its campaign (U+0000 before any id).
  return `${c.campaignId}\u0000${c.variant === null ? '' : `\u0001${c.variant}`}`;
}

function addTo(into: Map<string, VariantCount>, count: VariantCount): void {
  const seen = into.get(keyOf(count));
  if (!seen) {
    into.set(keyOf(count), count);
    return;
  }
  for (const [field] of COUNTS) seen[field] += count[field];
}

/** One order on both stores (byte order of campaign, then variant; no variant first). */
function sorted(counts: VariantCount[]): VariantCount[] {
  return counts.sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
