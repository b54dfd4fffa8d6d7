/**
 * The recontact lookup at start (Store.lastTextFor): the latest text a vendor accepted
 * (it has the vendor's id: the funnel's "texts sent") for a call from this number or to
 * it. Two index seeks in one statement, not an OR: each branch walks one index
 * (messages_caller_created, whose partial condition `caller <> ''` the branch repeats
 * so the planner may use it; messages_to_created) newest first and stops at its first
 * accepted text. When both match the same text, ani wins (sorted first).
 */
function lastTextFor(p: { number: string; since: string; before: string }): string {
  const branch = (column: string, matchedBy: string, extra: string) => `
    SELECT * FROM (
      SELECT call_id, campaign_id, created_at, '${matchedBy}' AS matched_by
      FROM messages
      WHERE ${column} = ${p.number}${extra} AND created_at >= ${p.since} AND created_at < ${p.before}
        AND vendor_message_id IS NOT NULL
      ORDER BY created_at DESC LIMIT 1
    ) ${matchedBy}_match`;
  return `SELECT * FROM (${branch('caller', 'ani', " AND caller <> ''")}
    UNION ALL${branch('"to"', 'number', '')}
  ) matches
  ORDER BY created_at DESC, matched_by ASC LIMIT 1`;
}

export const SQLITE_LAST_TEXT_FOR_SQL = lastTextFor({ number: '@number', since: '@since', before: '@before' });
/**
 * The same lookup for many starts at once (the PostgreSQL store gathers them): one row per
 * asker that has a match, `n` its place in the arrays (1-based), each found by the same two
 * index seeks as its own statement would.
 */
export const POSTGRES_LAST_TEXT_FOR_MANY_SQL = `SELECT a.n, m.*
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS a(number, since, before, n)
  CROSS JOIN LATERAL (${lastTextFor({ number: 'a.number', since: 'a.since', before: 'a.before' })}) m`;

/**
 * The raw counts of "deflections that stuck" (Store.textRecontacts): each call of the range
 * with a text a vendor accepted, by campaign, UTC day of its first such text, and whole
 * days (rounded up) from that text to the first call that recorded a recontact of it
 * (null: none). Recontacts are found through their events (detail.earlierCallId) from
 * the range's start on, on the call_events created_at index. `ms` is the dialect's
 * milliseconds between two of our ISO texts.
 */
function textRecontacts(p: { from: string; to: string; campaignId: string; earlierCallId: string; ms: (a: string, b: string) => string }): string {
  return `
  WITH texted AS (
    SELECT c.id, c.campaign_id, MIN(m.created_at) AS texted_at
    FROM calls c JOIN messages m ON m.call_id = c.id AND m.vendor_message_id IS NOT NULL
    WHERE c.created_at >= ${p.from} AND c.created_at < ${p.to} AND (${p.campaignId} IS NULL OR c.campaign_id = ${p.campaignId})
    GROUP BY c.id, c.campaign_id
  ), back AS (
    SELECT ${p.earlierCallId} AS call_id, MIN(created_at) AS at
    FROM call_events WHERE type = 'recontact' AND created_at >= ${p.from}
    GROUP BY ${p.earlierCallId}
  ), joined AS (
    SELECT t.campaign_id, substr(t.texted_at, 1, 10) AS day,
           CASE WHEN b.at IS NULL THEN NULL ELSE (${p.ms('b.at', 't.texted_at')} + 86399999) / 86400000 END AS days_to_recontact
    FROM texted t LEFT JOIN back b ON b.call_id = t.id
  )
  SELECT campaign_id, day, days_to_recontact, COUNT(*) AS texts
  FROM joined
  GROUP BY campaign_id, day, days_to_recontact
  ORDER BY campaign_id, day, days_to_recontact IS NULL, days_to_recontact`;
}

export const SQLITE_TEXT_RECONTACTS_SQL = textRecontacts({
  from: '@from',
  to: '@to',
  campaignId: '@campaignId',
  earlierCallId: "json_extract(detail, '$.earlierCallId')",
  ms: (a, b) => `CAST(ROUND((julianday(${a}) - julianday(${b})) * 86400000) AS INTEGER)`,
});

export const POSTGRES_TEXT_RECONTACTS_SQL = textRecontacts({
  from: '$1',
  to: '$2',
  campaignId: '$3::text',
  earlierCallId: "(detail::json ->> 'earlierCallId')",
  ms: (a, b) => `(ROUND(EXTRACT(EPOCH FROM (${a}::timestamptz - ${b}::timestamptz)) * 1000)::bigint)`,
});
