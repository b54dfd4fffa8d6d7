import type { PoolClient } from 'pg';
import type { NewMessage, SendLimit } from './port';

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
 * would hinge on predicate locks over index pages. A lock per number is exact, and
 * unrelated numbers never wait for each other.
 *
 * Which keys:
 * - the destination, always: every admission of this number counts it, whichever
 *   campaign (perDestination counts texts from any campaign), and two submits of one
 *   call to one number must not both insert;
 * - the caller (when known), always: perCaller counts across campaigns too, so an
 *   admission without a perCaller rule still inserts what another one counts;
 * - the campaign, only when a campaign limit (the daily cap) is checked: only that
 *   campaign's admissions count it, and they all carry the cap, so a campaign without
 *   one never makes its submits queue behind each other.
 */
export async function lockAdmission(client: PoolClient, message: NewMessage, limits: readonly SendLimit[]): Promise<void> {
  const keys = [`destination:${message.to}`];
  if (message.caller) keys.push(`caller:${message.caller}`);
  if (limits.some((l) => l.scope === 'campaign')) keys.push(`campaign:${message.campaignId}`);
  // Always in the same (hash) order, so two admissions sharing keys cannot deadlock. The
  // two-key form keeps these apart from other advisory locks on the database; a hash
  // collision only makes two unrelated submits wait for each other.
  await client.query(
    `SELECT pg_advisory_xact_lock(hashtext('ivr-deflect send limits'), h)
       FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS ordered`,
    [keys],
  );
}

/** The value a limit counts by, or '' when there is none (a withheld caller: not counted). */
export function limitKey(scope: SendLimit['scope'], message: NewMessage): string {
  return scope === 'destination' ? message.to : scope === 'caller' ? (message.caller ?? '') : message.campaignId;
}
