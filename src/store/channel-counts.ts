import type Database from 'better-sqlite3';
import type { Pool } from 'pg';
import { CHANNEL_NAMES, DEFAULT_CHANNEL, type ChannelName } from '../channels/channel';
import type { ChannelMessageCount, FunnelQuery, MessageStatus } from './port';
import type { Row } from './rows';

/**
 * The by-channel report's raw counts on both stores (Store.channelMessageCounts): the
 * messages created in the range, grouped by campaign, channel, the channel a fallback
 * stands in for (its fallback_of message's channel), status and whether a vendor
 * accepted them (vendor_message_id is set only by an accepted attempt). The same SQL
 * runs on both: only the parameter style differs.
 */
const sqlWith = (from: string, to: string, campaignId: string): string => `
  SELECT m.campaign_id, m.channel, o.channel AS fallback_from, m.status,
         CASE WHEN m.vendor_message_id IS NULL THEN 0 ELSE 1 END AS accepted,
         COUNT(*) AS messages
  FROM messages m
  LEFT JOIN messages o ON o.id = m.fallback_of
  WHERE m.created_at >= ${from} AND m.created_at < ${to} AND (${campaignId} IS NULL OR m.campaign_id = ${campaignId})
  GROUP BY m.campaign_id, m.channel, o.channel, m.status, CASE WHEN m.vendor_message_id IS NULL THEN 0 ELSE 1 END`;

export const SQLITE_CHANNEL_COUNTS_SQL = sqlWith('@from', '@to', '@campaignId');
const POSTGRES_CHANNEL_COUNTS_SQL = sqlWith('$1', '$2', '$3::text');

const DAY_MS = 86_400_000;

/**
 * SQLite: better-sqlite3 blocks the event loop while a query runs, so a year is counted a
 * day at a time (through the created_at index), yielding in between, as funnelSlots does
 * by the hour (there are far fewer messages than call events).
 */
export async function sqliteChannelCounts(statement: Database.Statement, query: FunnelQuery): Promise<ChannelMessageCount[]> {
  const merged = new Map<string, ChannelMessageCount>();
  const end = Date.parse(query.to);
  for (let start = Date.parse(query.from); start < end; ) {
    const next = Math.min(end, start + DAY_MS);
    const range = { from: new Date(start).toISOString(), to: new Date(next).toISOString(), campaignId: query.campaignId ?? null };
    for (const row of statement.all(range) as Row[]) addTo(merged, toChannelCount(row));
    start = next;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return sorted([...merged.values()]);
}

/** PostgreSQL: one query for the whole range (the database works while Node serves requests). */
export async function postgresChannelCounts(pool: Pool, query: FunnelQuery): Promise<ChannelMessageCount[]> {
  const result = await pool.query<Row>(POSTGRES_CHANNEL_COUNTS_SQL, [query.from, query.to, query.campaignId ?? null]);
  return sorted(result.rows.map(toChannelCount));
}

function toChannelCount(row: Row): ChannelMessageCount {
  return {
    campaignId: String(row.campaign_id),
    channel: channelOf(row.channel),
    fallbackFrom: row.fallback_from === null || row.fallback_from === undefined ? null : channelOf(row.fallback_from),
    status: String(row.status) as MessageStatus,
    accepted: Number(row.accepted) === 1,
    // PostgreSQL's COUNT is a bigint, which pg hands over as a string.
    messages: Number(row.messages),
  };
}

/** A channel name as stored; anything else (a row written by a newer version) reads as sms. */
function channelOf(value: unknown): ChannelName {
  return (CHANNEL_NAMES as readonly unknown[]).includes(value) ? (value as ChannelName) : DEFAULT_CHANNEL;
}

function keyOf(c: ChannelMessageCount): string {
  return [c.campaignId, c.channel, c.fallbackFrom ?? '', c.status, c.accepted ? 1 : 0].join('\u0000');
}

function addTo(into: Map<string, ChannelMessageCount>, count: ChannelMessageCount): void {
  const key = keyOf(count);
  const seen = into.get(key);
  if (seen) seen.messages += count.messages;
  else into.set(key, { ...count });
}

/** One order on both stores (byte order of the keys), so the two answer alike. */
function sorted(counts: ChannelMessageCount[]): ChannelMessageCount[] {
  return counts.sort((a, b) => {
    const x = keyOf(a);
    const y = keyOf(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
