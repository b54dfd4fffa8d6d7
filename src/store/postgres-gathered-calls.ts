import { attemptEvent } from './message-events';
import type { AttemptRecord, CallEnding, CallState, CallUpdate, NewCall, NewEvent } from './port';
import { eventArrays } from './postgres-events';
import { CALL_COLUMNS, toJson } from './rows';

/**
 * The PostgreSQL store's gathered call writes (call starts, guarded steps, first attempts):
 * what the asks of one batch become as one statement (one array per column, read back by
 * each ask's 1-based place), and the rule for the asks a batch cannot take.
 */

/** One ask's answer, or the error its own statement would have thrown. */
export type Outcome<R> = { value: R } | { error: unknown };

/**
 * The asks of one batch answered: the first ask of each key together, in one statement;
 * alone, one after another in the order asked, the rest: a later ask of a key already in
 * the statement (it runs after it, as it would have), every ask of a batch of one, and
 * every ask when the statement failed (which one broke it is not said, so each hears only
 * of its own error).
 */
export async function togetherOrAlone<A, R>(
  asks: A[],
  keyOf: (ask: A) => string,
  together: (asks: A[]) => Promise<Outcome<R>[]>,
  alone: (ask: A) => Promise<R>,
): Promise<(ask: A) => R> {
  const outcomes = new Map<A, Outcome<R>>();
  const keys = new Set<string>();
  const first = asks.filter((ask) => !keys.has(keyOf(ask)) && keys.add(keyOf(ask)));
  if (first.length > 1) {
    try {
      const answers = await together(first);
      first.forEach((ask, i) => outcomes.set(ask, answers[i]!));
    } catch {
      // Each alone below.
    }
  }
  for (const ask of asks) {
    if (outcomes.has(ask)) continue;
    try {
      outcomes.set(ask, { value: await alone(ask) });
    } catch (error) {
      outcomes.set(ask, { error });
    }
  }
  return (ask) => {
    const outcome = outcomes.get(ask)!;
    if ('error' in outcome) throw outcome.error;
    return outcome.value;
  };
}

/** Rows of values as one array per column (the statements unnest them back into rows). */
function byColumn(rows: unknown[][]): unknown[][] {
  return rows[0]!.map((_, c) => rows.map((row) => row[c]));
}

/** The asks' events as three arrays: the place of the ask each belongs to, types, details; in order. */
function eventsByPlace(lists: NewEvent[][]): unknown[][] {
  const events = lists.flatMap((list, i) => list.map((event) => ({ place: i + 1, event })));
  return [events.map((e) => e.place), ...eventArrays(events.map((e) => e.event))];
}

/** `$first::text[], ...`: count arrays numbered from first. */
function textArrays(count: number, first = 1): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}::text[]`).join(', ');
}

/** One column's value as updateCall writes it: JSON for the structured ones. */
export function callValue(key: keyof CallUpdate, value: unknown): unknown {
  return key === 'result' || key === 'lastPage' || key === 'c2mEligibility' ? toJson(value) : value;
}

/** A call update's columns read from input columns v0, v1, ... of alias i (the integer one cast). */
function setsFromInput(keys: (keyof CallUpdate)[]): { columns: string; sets: string[] } {
  return {
    columns: keys.map((_, k) => `, v${k}`).join(''),
    sets: keys.map((key, k) => `${CALL_COLUMNS[key]} = i.v${k}${key === 'invalidNumberCount' ? '::integer' : ''}`),
  };
}

/** A call start and its events (createCall's arguments). */
export interface CallStart {
  call: NewCall;
  events: NewEvent[];
}

export const CALL_START_COLUMNS = `id, campaign_id, mode, dnis, ani, platform_call_id, state, variant, offer_text, chat_url,
  chat_url_expires_at, result, last_page, created_at, updated_at, expires_at, channel, c2m_eligibility, context`;

/** A new call's values in CALL_START_COLUMNS' order, updated_at left out (it is created_at). */
export function callStartValues(call: NewCall): (string | null)[] {
  return [
    call.id,
    call.campaignId,
    call.mode,
    call.dnis,
    call.ani,
    call.platformCallId,
    call.state,
    call.variant ?? null,
    call.offerText ?? '',
    call.chatUrl ?? null,
    call.chatUrlExpiresAt ?? null,
    toJson(call.result),
    toJson(call.lastPage),
    call.createdAt,
    call.expiresAt,
    call.channel ?? null,
    toJson(call.c2mEligibility),
    toJson(call.context),
  ];
}

/** Several starts: their calls, then their events, each call's in its order. */
export const CALL_STARTS_SQL = `WITH input AS (
     SELECT * FROM unnest(${textArrays(18)}) WITH ORDINALITY
       AS i(id, campaign_id, mode, dnis, ani, platform_call_id, state, variant, offer_text, chat_url, chat_url_expires_at,
            result, last_page, created_at, expires_at, channel, c2m_eligibility, context, n)),
   started AS (
     INSERT INTO calls (${CALL_START_COLUMNS})
     SELECT id, campaign_id, mode, dnis, ani, platform_call_id, state, variant, offer_text, chat_url, chat_url_expires_at,
            result, last_page, created_at, created_at, expires_at, channel, c2m_eligibility, context
       FROM input ORDER BY n
     RETURNING id),
   logged AS (
     INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
     SELECT i.id, i.campaign_id, e.type, e.detail, i.created_at
       FROM unnest($19::int[], $20::text[], $21::text[]) WITH ORDINALITY AS e(place, type, detail, n)
       JOIN input i ON i.n = e.place
      ORDER BY e.n)
   SELECT count(*) FROM started`;

export function callStartsValues(starts: CallStart[]): unknown[] {
  return [...byColumn(starts.map(({ call }) => callStartValues(call))), ...eventsByPlace(starts.map((s) => s.events))];
}

/** A guarded call change (updateCall with expectedState). */
export interface CallMove {
  id: string;
  update: CallUpdate;
  events: NewEvent[];
  at: string;
  from: CallState;
}

/** What a change did: moved (and the call's campaign), or not (and whether the call exists). */
export type CallMoved = { moved: true; campaignId: string | null } | { moved: false; known: boolean };

/**
 * Several changes setting `keys`: each call under its own guard, the events of those that
 * matched in the asks' order; a row per ask (`place`) saying whether it moved and whether its
 * call exists.
 */
export function callMovesSql(keys: (keyof CallUpdate)[]): string {
  const { columns, sets } = setsFromInput(keys);
  const events = 4 + keys.length;
  return `WITH input AS (
     SELECT * FROM unnest(${textArrays(3 + keys.length)}) WITH ORDINALITY AS i(id, at, from_state${columns}, n)),
   moved AS (
     UPDATE calls c SET ${['updated_at = i.at', ...sets].join(', ')}
       FROM input i WHERE c.id = i.id AND c.state = i.from_state
     RETURNING i.n, c.campaign_id),
   logged AS (
     INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
     SELECT i.id, m.campaign_id, e.type, e.detail, i.at
       FROM unnest($${events}::int[], $${events + 1}::text[], $${events + 2}::text[]) WITH ORDINALITY AS e(place, type, detail, en)
       JOIN moved m ON m.n = e.place JOIN input i ON i.n = e.place
      ORDER BY e.en)
   SELECT i.n AS place, m.n IS NOT NULL AS moved, m.campaign_id, EXISTS (SELECT 1 FROM calls c WHERE c.id = i.id) AS known
     FROM input i LEFT JOIN moved m ON m.n = i.n`;
}

export function callMovesValues(moves: CallMove[], keys: (keyof CallUpdate)[]): unknown[] {
  const rows = moves.map((m) => [m.id, m.at, m.from, ...keys.map((key) => callValue(key, m.update[key]))]);
  return [...byColumn(rows), ...eventsByPlace(moves.map((m) => m.events))];
}

/** recordFirstAttempt's arguments. */
export interface FirstAttempt {
  id: string;
  attempt: AttemptRecord;
  at: string;
  ending: CallEnding;
}

/** An attempt's values as the attempt statements read them ($1 to $12 alone; one array each when gathered). */
export function attemptValues(id: string, attempt: AttemptRecord, at: string): unknown[] {
  const unknown = attempt.status === 'queued' && attempt.outcomeUnknown === true;
  return [
    id,
    at,
    attempt.status,
    attempt.via,
    attempt.status === 'sent' ? attempt.vendorMessageId : null,
    attempt.status === 'sent' ? attempt.vendorStatus : null,
    attempt.status === 'queued' ? attempt.nextAttemptAt : null,
    attempt.status === 'sent' ? null : attempt.errorCode,
    attempt.status === 'sent' ? null : attempt.errorDetail,
    attempt.status === 'queued' && !attempt.countsAsAttempt ? 0 : 1,
    unknown,
    unknown && attempt.lookupUnanswered ? 1 : 0,
  ];
}

/** Columns of the first attempts' input, in attemptValues' order then the ending's. */
const FIRST_ATTEMPT_INPUT = 'id, at, status, via, vendor_id, vendor_status, next_attempt_at, error_code, error_detail, counts, unknown, unanswered, event_type, event_open, ending_call, ending_from, ending_at';

/**
 * Several first attempts whose endings set `keys`: the single attempt statement's work
 * (postgres.ts, attemptStatement), one row per ask with `place` (its 1-based place). Only
 * a queued message takes an attempt's result (a receipt may have moved it on); a call
 * ends only if its message was there and it is still in the ending's `from`.
 */
export function firstAttemptsSql(keys: (keyof CallUpdate)[]): string {
  const { columns, sets } = setsFromInput(keys);
  const inputs = FIRST_ATTEMPT_INPUT.split(', ').length + keys.length;
  const [places, types, details] = [inputs + 1, inputs + 2, inputs + 3];
  return `WITH input AS (
     SELECT * FROM unnest(${textArrays(inputs)}) WITH ORDINALITY AS i(${FIRST_ATTEMPT_INPUT}${columns}, n)),
   attempted AS (
     UPDATE messages m SET
       status = CASE WHEN m.status = 'queued' THEN i.status ELSE m.status END,
       sent_via = COALESCE(i.via, m.sent_via),
       vendor_message_id = COALESCE(i.vendor_id, m.vendor_message_id),
       vendor_status = COALESCE(i.vendor_status, m.vendor_status),
       next_attempt_at = i.next_attempt_at,
       error_code = i.error_code,
       error_detail = i.error_detail,
       attempts = m.attempts + i.counts::integer,
       lease_until = NULL,
       attempt_started_at = CASE WHEN i.unknown::boolean THEN m.attempt_started_at END,
       attempt_via = CASE WHEN i.unknown::boolean THEN m.attempt_via END,
       unanswered_lookups = CASE WHEN i.unknown::boolean THEN m.unanswered_lookups + i.unanswered::integer ELSE 0 END,
       updated_at = i.at
     FROM input i WHERE m.id = i.id
     RETURNING m.*, i.n AS place),
   moved AS (
     UPDATE calls c SET ${['updated_at = i.ending_at', ...sets].join(', ')}
       FROM input i JOIN attempted a ON a.place = i.n
      WHERE c.id = i.ending_call AND c.state = i.ending_from
     RETURNING i.n),
   logged AS (
     INSERT INTO call_events (call_id, campaign_id, type, detail, created_at)
     SELECT ev.call_id, ev.campaign_id, ev.type, ev.detail, ev.at FROM (
       SELECT a.place, 0 AS k, a.call_id, a.campaign_id, i.event_type AS type,
              i.event_open || CASE WHEN a.channel = 'sms' THEN '}' ELSE ',"channel":' || to_json(a.channel)::text || '}' END AS detail, i.at
         FROM attempted a JOIN input i ON i.n = a.place WHERE i.event_type IS NOT NULL
       UNION ALL
       SELECT e.place, e.k, a.call_id, a.campaign_id, e.type, e.detail, i.ending_at
         FROM unnest($${places}::int[], $${types}::text[], $${details}::text[]) WITH ORDINALITY AS e(place, type, detail, k)
         JOIN moved mv ON mv.n = e.place JOIN attempted a ON a.place = e.place JOIN input i ON i.n = e.place
     ) AS ev ORDER BY ev.place, ev.k)
   SELECT a.*, EXISTS (SELECT 1 FROM moved mv WHERE mv.n = a.place) AS call_ended FROM attempted a`;
}

/** firstAttemptsSql's values: one array per input column, then the endings' events by place. */
export function firstAttemptsValues(asks: FirstAttempt[], keys: (keyof CallUpdate)[]): unknown[] {
  const rows = asks.map((ask) => {
    const event = attemptEvent(ask.id, ask.attempt);
    const flags = attemptValues(ask.id, ask.attempt, ask.at).map((v) => (typeof v === 'boolean' ? (v ? 't' : 'f') : v));
    return [
      ...flags,
      event?.type ?? null,
      event ? JSON.stringify(event.detail).slice(0, -1) : null,
      ask.ending.callId,
      ask.ending.from,
      ask.ending.at,
      ...keys.map((key) => callValue(key, ask.ending.update[key])),
    ];
  });
  return [...byColumn(rows), ...eventsByPlace(asks.map((ask) => ask.ending.events))];
}
