import type { PoolClient } from 'pg';
import type { NewMessage, SendLimit } from './port';
import { admissionLockKeys } from './send-limits';

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

