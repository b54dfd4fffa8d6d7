import type { NewEvent } from './port';

/**
 * Call events on PostgreSQL, as parts of the statement that changes what they describe.
 *
 * Events out reads events by id behind a cursor: an id must never become visible after a
 * larger one (two transactions committing out of order would let the cursor pass it). So
 * every insert into call_events first takes this advisory lock, held until commit: ids are
 * handed out in commit order across instances. The lock is taken after the statement's
 * other row locks (it reads from the CTE that holds them), so its holder waits for nothing
 * but its own commit.
 *
 * `source` names a CTE (or table expression) with one row when the events are to be
 * written and none when not: the lock and the insert read from it, so a change that
 * matched nothing takes no lock and records nothing. `MATERIALIZED` runs the lock once,
 * before the first event row exists (the insert cannot produce a row, and so an id, until
 * the lock's row has been read).
 */
export const EVENTS_LOCK_KEY = `hashtext('ivr-deflect call_events')`;

export function eventsCtes(options: {
  source: string;
  callId: string;
  campaignId: string;
  /** The events' time: one for all, or `{ each }`, a text[] beside types (events written at different times). */
  at: string | { each: string };
  types: string;
  details: string;
}): string {
  const { source, callId, campaignId, at, types, details } = options;
  const [times, time] = typeof at === 'string' ? ['', at] : [`, ${at.each}::text[]`, 'e.at'];
  return `turn AS MATERIALIZED (SELECT pg_advisory_xact_lock(${EVENTS_LOCK_KEY}) IS NULL AS locked FROM ${source}),
     logged AS (
       INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
       SELECT ${callId}, ${campaignId}, e.type, e.detail, ${time}
       FROM turn, unnest(${types}::text[], ${details}::text[]${times}) WITH ORDINALITY AS e(type, detail, ${times ? 'at, ' : ''}n)
       ORDER BY e.n)`;
}

/** The events as the two arrays eventsCtes' insert reads (types, and details as JSON text). */
export function eventArrays(events: readonly NewEvent[]): [string[], (string | null)[]] {
  return [events.map((e) => e.type), events.map((e) => (e.detail ? JSON.stringify(e.detail) : null))];
}
