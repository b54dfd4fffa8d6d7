import type { RetentionClass } from './port';

/**
 * The retention job's batch deletes, one statement per class, shared by both stores
 * (the tables are alike). Written with :before and :limit; each store swaps in its own
 * parameters (pruneSql). Each statement deletes the oldest rows first, by the index on the
 * time it tests, and at most :limit of them: a small transaction the job repeats.
 */

/** A call (alias c) a legal hold covers: its campaign, or its ANI or texted number. */
const CALL_HELD = `EXISTS (SELECT 1 FROM legal_holds h
  WHERE (h.kind = 'campaign' AND h.value = c.campaign_id) OR (h.kind = 'number' AND h.value IN (c.ani, c.destination)))`;

/** The rows of each class that retention may delete (alias t), oldest first. */
const PRUNABLE: Record<RetentionClass, { table: string; key: string; select: string }> = {
  calls: {
    table: 'calls',
    key: 'id',
    select: `SELECT c.id FROM calls c
      WHERE c.created_at < :before
        /*held*/AND NOT ${CALL_HELD}/*end*/
        -- A call whose text is still in the outbox is still going on.
        AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.call_id = c.id AND m.status = 'queued')
      ORDER BY c.created_at LIMIT :limit`,
  },
  events: {
    table: 'call_events',
    key: 'id',
    select: `SELECT t.id FROM call_events t
      WHERE t.created_at < :before
        /*held*/AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = t.call_id AND ${CALL_HELD})/*end*/
      ORDER BY t.created_at LIMIT :limit`,
  },
  messages: {
    table: 'messages',
    key: 'id',
    select: `SELECT t.id FROM messages t
      WHERE t.created_at < :before AND t.status <> 'queued'
        /*held*/AND NOT EXISTS (SELECT 1 FROM legal_holds h
          WHERE (h.kind = 'campaign' AND h.value = t.campaign_id) OR (h.kind = 'number' AND h.value IN (t."to", t.caller)))/*end*/
      ORDER BY t.created_at LIMIT :limit`,
  },
  consent: {
    table: 'consent',
    key: 'message_id',
    select: `SELECT t.message_id FROM consent t
      WHERE t.confirmed_at < :before
        /*held*/AND NOT EXISTS (SELECT 1 FROM legal_holds h
          WHERE (h.kind = 'campaign' AND h.value = t.campaign_id) OR (h.kind = 'number' AND h.value IN (t.ani, t.destination)))/*end*/
      ORDER BY t.confirmed_at LIMIT :limit`,
  },
  'short-links': {
    table: 'short_links',
    key: 'code',
    // A link without an expiry counts from its creation.
    select: `SELECT t.code FROM short_links t
      WHERE COALESCE(t.expires_at, t.created_at) < :before
        /*held*/AND NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.kind = 'campaign' AND h.value = t.campaign_id)
        AND NOT EXISTS (SELECT 1 FROM calls c WHERE c.id = t.call_id AND ${CALL_HELD})/*end*/
      LIMIT :limit`,
  },
};

/**
 * The class's batch delete, its parameters named by the store's own syntax. Without holds
 * (`holds` false: the store saw none, in the same transaction) the hold tests are left
 * out: PostgreSQL would otherwise plan them as a scan of every call per batch.
 */
export function pruneSql(dataClass: RetentionClass, param: (name: 'before' | 'limit') => string, holds: boolean): string {
  const { table, key, select } = PRUNABLE[dataClass];
  const filtered = holds ? select.replace(/\/\*(held|end)\*\//g, '') : select.replace(/\/\*held\*\/[\s\S]*?\/\*end\*\//g, '');
  const sql = `DELETE FROM ${table} WHERE ${key} IN (${filtered})`;
  return sql.replace(/:(before|limit)\b/g, (_m, name: 'before' | 'limit') => param(name));
}

/** The tables erasure reports on, in the order it empties them. */
export const ERASURE_TABLES = ['call_events', 'short_links', 'consent', 'messages', 'calls', 'suppressions', 'opt_out_changes'] as const;
