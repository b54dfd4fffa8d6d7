import type { NewEvent } from './port';

/**
 * Call events on PostgreSQL, as parts of the statement that changes what they describe.
 *
 * Events out reads events by id behind a cursor, so it must never pass an id that a
 * transaction still running will commit later. Writers used to take one advisory lock,
 * held to commit, so ids became visible in commit order; but then every event-writing
 * commit of every instance waited for the one before it, fsync included (at saturation the
 * statements spent most of their time waiting for it). Now the reader waits instead, for
 * the few writers running when it looks (postgres-event-horizon.ts).
 *
 * `source` names a CTE (or table expression) with one row when the events are to be
 * written and none when not: the insert reads from it, so a change that matched nothing
 * records nothing.
 */
export function eventsCte(options: {
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
  return `logged AS (
       INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
       SELECT ${callId}, ${campaignId}, e.type, e.detail, ${time}
       FROM (SELECT 1 FROM ${source}) AS gate, unnest(${types}::text[], ${details}::text[]${times}) WITH ORDINALITY AS e(type, detail, ${times ? 'at, ' : ''}n)
       ORDER BY e.n)`;
}

/** The events as the two arrays eventsCte's insert reads (types, and details as JSON text). */
export function eventArrays(events: readonly NewEvent[]): [string[], (string | null)[]] {
  return [events.map((e) => e.type), events.map((e) => (e.detail ? JSON.stringify(e.detail) : null))];
}
