import type { AdmissionRequest, NewMessage, SendLimit } from './port';
import { fallbackDueAt } from './message-events';
import { eventArrays, eventsCte } from './postgres-events';
import { toJson } from './rows';
import { admissionLockKeys, countCeiling, limitCondition } from './send-limits';

/**
 * What makes admitMessage's limits hold across instances. SQLite needs nothing: its
 * transactions run one at a time. Here two instances could each count "no text to this
 * number yet" and each insert one, so an admission first takes transaction-level
 * advisory locks on the keys its count and its insert concern; a concurrent admission
 * for the same number waits, and its count (a new statement, so a new snapshot under
 * READ COMMITTED) sees the first one's message once that has committed and let go.
 *
 * Why advisory locks and not SERIALIZABLE: serialization failures would have to be
 * retried, fifty submits for one number would mostly fail and retry, and the outcome
 * would hinge on predicate locks over index pages. A lock per key is exact. Admissions
 * that check the service's budget all take its key, so they run one at a time across
 * instances (as SQLite's always do): a budget is exact only if nobody counts while
 * another is inserting.
 *
 * Why a stored function (`ivr_admit`, a migration of postgres-schema.ts): the locks
 * must be taken by a statement before the one that counts (a statement sees what was
 * committed when it began), so the client used to send BEGIN, the locks, the write and
 * COMMIT, holding the service's key across two round trips to the Node process. At
 * saturation every answer waits its turn on a busy event loop, so the key was held for
 * tens of milliseconds and every admission queued behind it (86 ms a submit waiting for
 * the lock, measured). The function runs the same statements inside PostgreSQL, each
 * with a new snapshot (it is VOLATILE), and is called as a statement of its own: its
 * implicit transaction commits and lets go of the locks without a round trip to Node.
 *
 * Which keys: see admissionLockKeys (send-limits.ts).
 */
export const ADMIT_SQL = 'SELECT ivr_admit($1::text[], $2, $3, $4, $5::text[]) AS admission';

/**
 * Admissions gathered (the store's batched statements: those asked for while it waits for
 * a connection): ivr_admit's steps for each in turn, in one transaction that holds every
 * lock any of them needs and commits once (`ivr_admit_many`, postgres-schema.ts).
 *
 * Why: the service budget's lock is every admission's, held until its commit. Measured at
 * saturation (pg_stat_statements), ivr_admit ran 7.5 ms a call, 6.7 of them waiting for
 * that lock: the admissions of every instance went through it one commit at a time, each
 * holder sharing two busy cores with everything else. Gathered, a batch waits for the lock
 * once and commits once. Nothing else changes: the admissions of a batch run in the order
 * asked, each seeing the ones before it as it would have seen them committed.
 */
export const ADMIT_MANY_SQL = 'SELECT ivr_admit_many($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS answers';

/** ADMIT_SQL's values for one admission: lock keys, write, read, claim (or null), values. */
export type AdmissionCall = [lockKeys: string[], write: string, read: string, claim: string | null, values: (string | null)[]];

/** ADMIT_MANY_SQL's values for admissions (each as admissionCall gives it), in their order: each one's values as a JSON array. */
export function admissionsCall(calls: AdmissionCall[]): unknown[] {
  return [calls.flatMap((c) => c[0]), calls.map((c) => c[1]), calls.map((c) => c[2]), calls.map((c) => c[3]), calls.map((c) => JSON.stringify(c[4]))];
}

/** What `ivr_admit` answers (as JSON), and `ivr_admit_many` for each admission: see admissionCall. */
export interface AdmitAnswer {
  /** The write's answer: whether the checks held, and the message it stored (null: it met one already there). */
  written: { claimed: boolean; message: Record<string, unknown> | null };
  /** Only when nothing was written, why (admissionReadSql's row). */
  counted?: Record<string, unknown>;
  /** Only when counted found the call's message: 1 if the call was then claimed, else 0. */
  reclaimed?: number;
}

/**
 * The values of ADMIT_SQL for one admission: the lock keys, the three statements the
 * function runs (the write; when the write's checks did not hold, the read saying why;
 * when that read found the call's message, the claim of the call) and their values. The
 * statements are built here from fixed shapes, never with a value in their text: every
 * value goes in the last parameter, a text array the statements read as $1[n].
 */
export function admissionCall(message: NewMessage, admission: AdmissionRequest): AdmissionCall {
  const { values, param } = parameters();
  const write = admissionWriteSql(message, admission, param);
  const read = admissionReadSql(message, admission.limits, param);
  const claim = admission.claim
    ? `UPDATE calls SET state = 'sending', updated_at = ${param(message.createdAt)} WHERE id = ${param(message.callId)} AND state = ${param(admission.claim.from)}`
    : null;
  return [admissionLockKeys(message, admission.limits), write, read, claim, values];
}

/**
 * Numbered elements of the one text-array parameter the function passes its statements
 * ($1 there): `param(value)` is its placeholder. Numbers and booleans go as their text;
 * the statements cast where a column is not text.
 */
function parameters(): { values: (string | null)[]; param: (value: unknown) => string } {
  const values: (string | null)[] = [];
  return { values, param: (value) => `$1[${values.push(value === null || value === undefined ? null : String(value))}]` };
}

/** The number of texts a limit counts (see send-limits.ts), up to its max (countCeiling), as a scalar subquery. */
function countOf(limit: SendLimit, message: NewMessage, param: (value: unknown) => string): string {
  // limitCondition numbers its own values from 1: its placeholders are marked, then each
  // becomes an element of the function's parameter array.
  const condition = limitCondition(limit, message, (n) => `\u0000${n}\u0000`);
  const where = condition.where.replace(/\u0000(\d+)\u0000/g, (_, n: string) => param(condition.values[Number(n) - 1]));
  return `(SELECT COUNT(*)::int FROM (SELECT 1 FROM messages WHERE (${where}) AND created_at >= ${param(limit.since)} AND status <> 'failed' LIMIT ${param(countCeiling(limit))}::int) AS counted)`;
}

/**
 * The limit holds, as a condition: at once when every text stored since its window began
 * is below its max (message_minutes, summed from the minute the window begins in: a few
 * rows, where the count reads up to max texts), else by its count. A busy service's
 * budget, or a limit an operator raised for bulk texting, was counted text by text under
 * the admission's locks, the whole window long (the bench's lifted budget and range limit
 * were a fifth of PostgreSQL's CPU per deflection). CASE keeps the order: no count when
 * the sum answers.
 */
function underLimit(limit: SendLimit, message: NewMessage, param: (value: unknown) => string): string {
  const max = `${param(limit.max)}::float8`;
  const stored = `(SELECT COALESCE(sum(texts), 0) FROM message_minutes WHERE minute >= left(${param(limit.since)}, 16))`;
  return `CASE WHEN ${stored} < ${max} THEN true ELSE ${countOf(limit, message, param)} < ${max} END`;
}

/** The call's first message to this number (alias m), as a condition. */
function firstMessageOf(message: NewMessage, param: (value: unknown) => string): string {
  return `m.call_id = ${param(message.callId)} AND m."to" = ${param(message.to)} AND m.fallback_of IS NULL`;
}

/**
 * Why an admission wrote nothing, in one statement (still under its locks): the call's first
 * message to this number (its columns, all null when there is none) and, as "limit i", how
 * many texts the i-th limit counts.
 */
function admissionReadSql(message: NewMessage, limits: readonly SendLimit[], param: (value: unknown) => string): string {
  const counts = limits.map((limit, i) => `${countOf(limit, message, param)} AS "limit ${i}"`);
  return `SELECT row_to_json(r) FROM (SELECT m.*${counts.map((c) => `, ${c}`).join('')}
    FROM (SELECT 1) AS one LEFT JOIN messages m ON ${firstMessageOf(message, param)}) AS r`;
}

/**
 * An admission, in one statement after its locks: the checks (the call has no message to
 * this number yet, and every limit's count is under its max) and the claim of the call
 * (claim.from to sending) as one condition; only if it held, the message; only if the
 * message was new (no unique key met), its events (postgres-events.ts) and its
 * consent record. The answer's one row says whether it held
 * ("claimed") and carries the stored message's columns (null when the insert met an
 * existing message), as JSON. When it did not hold, admissionReadSql says why: that is the
 * rare path.
 */
function admissionWriteSql(message: NewMessage, admission: AdmissionRequest, param: (value: unknown) => string): string {
  const callId = param(message.callId);
  const campaignId = param(message.campaignId);
  const at = param(message.createdAt);
  const checks = [
    `NOT EXISTS (SELECT 1 FROM messages m WHERE ${firstMessageOf(message, param)})`,
    ...admission.limits.map((limit) => underLimit(limit, message, param)),
  ].join(' AND ');
  const claimed = admission.claim
    ? `UPDATE calls SET state = 'sending', updated_at = ${at} WHERE id = ${callId} AND state = ${param(admission.claim.from)} AND ${checks} RETURNING id`
    : `SELECT 1 AS id WHERE ${checks}`;
  // Every value is text: the two columns that are not are cast.
  const row = [
    param(message.id),
    callId,
    campaignId,
    param(message.to),
    param(message.caller ?? ''),
    param(message.body),
    `'queued'`,
    param(message.gateway),
    param(message.fallbackGateway),
    `${param(message.segments)}::integer`,
    param(message.encoding),
    param(message.dueAt ?? message.createdAt),
    at,
    at,
    param(message.channel ?? 'sms'),
    param(toJson(message.template)),
    param(toJson(message.c2m)),
    param(toJson(message.fallback)),
    param(message.fallbackOf ?? null),
    param(fallbackDueAt(message)),
    `${param(message.smsFallbackByVendor ?? false)}::boolean`,
    param(message.leaseUntil ?? null),
  ];
  const [types, details] = eventArrays([...admission.events, { type: 'sms-queued', detail: { messageId: message.id } }]);
  const c = admission.consent;
  const consent = [
    c.callId,
    c.campaignId,
    c.variant,
    c.dnis,
    c.ani,
    c.destination,
    c.destinationSource,
    c.acceptKey,
    c.confirmKey,
    c.offerText,
    c.offerVersion,
    c.offeredAt,
    c.acceptedAt,
    c.confirmedAt,
    c.channel ?? 'sms',
    c.channelConsentText ?? '',
  ].map((value) => param(value));
  return `WITH claimed AS (${claimed}),
     stored AS (
       INSERT INTO messages (id, call_id, campaign_id, "to", caller, body, status, gateway, fallback_gateway, segments,
                             encoding, next_attempt_at, created_at, updated_at, channel, template, c2m, fallback, fallback_of,
                             fallback_due_at, sms_fallback_by_vendor, lease_until)
       SELECT ${row.join(', ')} FROM claimed
       ON CONFLICT DO NOTHING
       RETURNING *),
     ${eventsCte({ source: 'stored', callId, campaignId, at, types: textArray(param(JSON.stringify(types))), details: textArray(param(JSON.stringify(details))) })},
     consented AS (
       INSERT INTO consent (message_id, call_id, campaign_id, variant, dnis, ani, destination, destination_source,
                            accept_key, confirm_key, offer_text, offer_version, offered_at, accepted_at, confirmed_at,
                            channel, channel_consent_text)
       SELECT stored.id, ${consent.join(', ')} FROM stored)
    SELECT json_build_object('claimed', EXISTS (SELECT 1 FROM claimed), 'message', (SELECT row_to_json(stored) FROM stored))`;
}

/** A text[] from a JSON array of strings and nulls passed as one text value, in its order. */
function textArray(json: string): string {
  return `ARRAY(SELECT e FROM json_array_elements_text(${json}::json) WITH ORDINALITY AS a(e, n) ORDER BY n)`;
}
