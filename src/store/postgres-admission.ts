import type { PoolClient } from 'pg';
import type { AdmissionRequest, NewMessage, SendLimit } from './port';
import { fallbackDueAt } from './message-events';
import { eventArrays, eventsCtes } from './postgres-events';
import { toJson } from './rows';
import { admissionLockKeys, limitCondition } from './send-limits';

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
 * another is inserting, and an admission holds the key for a few milliseconds.
 *
 * Which keys: see admissionLockKeys (send-limits.ts).
 */
export async function lockAdmission(client: PoolClient, message: NewMessage, limits: readonly SendLimit[]): Promise<void> {
  const keys = admissionLockKeys(message, limits);
  // Always in the same (hash) order, so two admissions sharing keys cannot deadlock. The
  // two-key form keeps these apart from other advisory locks on the database; a hash
  // collision only makes two unrelated submits wait for each other.
  await client.query(
    `SELECT pg_advisory_xact_lock(hashtext('ivr-deflect send limits'), h)
       FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`,
    [keys],
  );
}


/** Numbered parameters for a statement being built: `param(value)` is its placeholder. */
function parameters(): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, param: (value) => `$${values.push(value)}` };
}

/** The number of texts a limit counts (see send-limits.ts), as a scalar subquery. */
function countOf(limit: SendLimit, message: NewMessage, values: unknown[], param: (value: unknown) => string): string {
  const condition = limitCondition(limit, message, (n) => `$${values.length + n}`);
  values.push(...condition.values);
  return `(SELECT COUNT(*)::int FROM messages WHERE (${condition.where}) AND created_at >= ${param(limit.since)} AND status <> 'failed')`;
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
export function admissionReadSql(message: NewMessage, limits: readonly SendLimit[]): { sql: string; values: unknown[] } {
  const { values, param } = parameters();
  const counts = limits.map((limit, i) => `${countOf(limit, message, values, param)} AS "limit ${i}"`);
  const sql = `SELECT m.*${counts.map((c) => `, ${c}`).join('')}
    FROM (SELECT 1) AS one LEFT JOIN messages m ON ${firstMessageOf(message, param)}`;
  return { sql, values };
}

/**
 * An admission, in one statement after its locks: the checks (the call has no message to
 * this number yet, and every limit's count is under its max) and the claim of the call
 * (claim.from to sending) as one condition; only if it held, the message; only if the
 * message was new (no unique key met), its events (under the events lock,
 * postgres-events.ts) and its consent record. The answer's one row says whether it held
 * ("claimed") and carries the stored message's columns (null when the insert met an
 * existing message). When it did not hold, admissionReadSql says why: that is the rare
 * path, so the usual one holds the locks for this statement and COMMIT only.
 */
export function admissionWriteSql(message: NewMessage, admission: AdmissionRequest): { sql: string; values: unknown[] } {
  const { values, param } = parameters();
  const callId = param(message.callId);
  const campaignId = param(message.campaignId);
  const at = param(message.createdAt);
  const checks = [
    `NOT EXISTS (SELECT 1 FROM messages m WHERE ${firstMessageOf(message, param)})`,
    ...admission.limits.map((limit) => `${countOf(limit, message, values, param)} < ${param(limit.max)}::float8`),
  ].join(' AND ');
  const claimed = admission.claim
    ? `UPDATE calls SET state = 'sending', updated_at = ${at} WHERE id = ${callId} AND state = ${param(admission.claim.from)} AND ${checks} RETURNING id`
    : `SELECT 1 AS id WHERE ${checks}`;
  // INSERT ... SELECT types its parameters as text: the two columns that are not are cast.
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
  const sql = `WITH claimed AS (${claimed}),
     stored AS (
       INSERT INTO messages (id, call_id, campaign_id, "to", caller, body, status, gateway, fallback_gateway, segments,
                             encoding, next_attempt_at, created_at, updated_at, channel, template, c2m, fallback, fallback_of,
                             fallback_due_at, sms_fallback_by_vendor)
       SELECT ${row.join(', ')} FROM claimed
       ON CONFLICT DO NOTHING
       RETURNING *),
     ${eventsCtes({ source: 'stored', callId, campaignId, at, types: param(types), details: param(details) })},
     consented AS (
       INSERT INTO consent (message_id, call_id, campaign_id, variant, dnis, ani, destination, destination_source,
                            accept_key, confirm_key, offer_text, offer_version, offered_at, accepted_at, confirmed_at,
                            channel, channel_consent_text)
       SELECT stored.id, ${consent.join(', ')} FROM stored)
    SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, stored.* FROM (SELECT 1) AS one LEFT JOIN stored ON true`;
  return { sql, values };
}
