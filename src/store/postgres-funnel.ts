import type { Pool } from 'pg';
import type { FunnelQuery, FunnelSlot } from './port';
import { foldFunnelRows, mergeFunnelRows, NOT_OFFERED_FUNNEL_COLUMNS, type Row } from './rows';

/**
 * The funnel's raw counts, as the SQLite store gives them (see funnelSlots there): the
 * calls of the range, each joined to its funnel events and folded to one row of flags
 * (a call counts once per step however many such events it has), then counted by
 * 15-minute slot, campaign, DNIS and not-offered reason.
 *
 * One query for the whole range: SQLite cuts it into hours because its queries block the
 * event loop; here the database works while Node serves requests.
 *
 * Slots are cut from the text of created_at, always toISOString()'s
 * "YYYY-MM-DDTHH:MM:SS.sssZ". NULLS FIRST and the C collation give SQLite's order, which
 * decides the order of the slots and of the reasons in notOffered.
 */
const FUNNEL_SQL = `
  SELECT slot, campaign_id, dnis, reason,
         COUNT(*)::int AS calls, SUM(offered)::int AS offered, SUM(accepted)::int AS accepted,
         SUM(declined)::int AS declined, SUM(texts_sent)::int AS texts_sent,
         SUM(texts_delivered)::int AS texts_delivered, SUM(texts_failed)::int AS texts_failed,
         SUM(links_clicked)::int AS links_clicked, SUM(recontacts)::int AS recontacts,
         SUM(conversations_started)::int AS conversations_started, SUM(conversations_resolved)::int AS conversations_resolved, SUM(links_previewed)::int AS links_previewed
  FROM (
    SELECT substr(c.created_at, 1, 14) || lpad((substr(c.created_at, 15, 2)::int / 15 * 15)::text, 2, '0') || ':00.000Z' AS slot,
           c.campaign_id, c.dnis,
           -- ELSE 0: a call without such events (NULLs from the LEFT JOIN) gets 0, not NULL.
           MAX(CASE WHEN e.type = 'offered' THEN 1 ELSE 0 END) AS offered,
           MAX(CASE WHEN e.type = 'accepted' THEN 1 ELSE 0 END) AS accepted,
           MAX(CASE WHEN e.type = 'declined' THEN 1 ELSE 0 END) AS declined,
           MAX(CASE WHEN e.type = 'sms-sent' THEN 1 ELSE 0 END) AS texts_sent,
           MAX(CASE WHEN e.type = 'sms-delivered' THEN 1 ELSE 0 END) AS texts_delivered,
           MAX(CASE WHEN e.type = 'sms-failed' THEN 1 ELSE 0 END) AS texts_failed,
           MAX(CASE WHEN e.type = 'link-clicked' THEN 1 ELSE 0 END) AS links_clicked,
           MAX(CASE WHEN e.type = 'recontact' THEN 1 ELSE 0 END) AS recontacts,
           MAX(CASE WHEN e.type = 'link-previewed' THEN 1 ELSE 0 END) AS links_previewed,
           -- Any outcome means a conversation started: its start report may have been lost.
           MAX(CASE WHEN e.type IN ('conversation-started', 'agent-engaged', 'conversation-resolved', 'conversation-abandoned') THEN 1 ELSE 0 END) AS conversations_started,
           MAX(CASE WHEN e.type = 'conversation-resolved' THEN 1 ELSE 0 END) AS conversations_resolved,
           -- A not-offered event always names its reason; 'unknown' keeps such a call counted if one did not.
           MAX(CASE WHEN e.type = 'not-offered' THEN COALESCE(e.detail::json ->> 'reason', 'unknown') END) COLLATE "C" AS reason
    FROM calls c
    LEFT JOIN call_events e ON e.call_id = c.id AND e.type IN
      ('offered', 'not-offered', 'accepted', 'declined', 'sms-sent', 'sms-delivered', 'sms-failed', 'link-clicked', 'recontact',
       'conversation-started', 'agent-engaged', 'conversation-resolved', 'conversation-abandoned', 'link-previewed')
    WHERE c.created_at >= $1 AND c.created_at < $2 AND ($3::text IS NULL OR c.campaign_id = $3)
    GROUP BY c.id
  ) per_call
  GROUP BY slot, campaign_id, dnis, reason
  ORDER BY slot, campaign_id NULLS FIRST, dnis, reason NULLS FIRST`;

/** Calls counted, not stored (not offered): a slot is in the range when its start is. */
const COUNTED_SQL = `
  SELECT slot, NULLIF(campaign_id, '') AS campaign_id, dnis, reason, calls, ${NOT_OFFERED_FUNNEL_COLUMNS}
  FROM not_offered_counts
  WHERE slot >= $1 AND slot < $2 AND ($3::text IS NULL OR campaign_id = $3)`;

export async function funnelSlots(pool: Pool, query: FunnelQuery): Promise<FunnelSlot[]> {
  const values = [query.from, query.to, query.campaignId ?? null];
  const [stored, counted] = await Promise.all([pool.query<Row>(FUNNEL_SQL, values), pool.query<Row>(COUNTED_SQL, values)]);
  const slots: FunnelSlot[] = [];
  foldFunnelRows(mergeFunnelRows(stored.rows, counted.rows), slots);
  return slots;
}
