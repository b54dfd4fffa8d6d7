import { createHash } from 'node:crypto';
import type { AuditCheckpoint, AuditEntry, NewAuditEntry, Store } from '../store/port';

/**
 * The audit trail's hash chain. Each entry stores SHA-256 over the previous entry's hash
 * and its own content, so changing an entry, or deleting one from the middle, breaks the
 * hashes from there on. The first entry (or the first after a prune) chains to GENESIS
 * (or to the prune checkpoint's hash).
 *
 * What it does not catch, by itself: removing the newest entries (nothing follows them),
 * or someone with write access to the database recomputing every hash after an edit. The
 * PostgreSQL trigger and SQLite triggers refuse UPDATE and DELETE; exports (CSV, events)
 * kept elsewhere are the copy to compare with.
 */
export const GENESIS = '0'.repeat(64);

/** The hash an entry with this content must carry when it follows `previous`. */
export function chainHash(previous: string, entry: NewAuditEntry): string {
  // A JSON array: unambiguous field boundaries, whatever the fields contain.
  const content = JSON.stringify([entry.at, entry.actorKind, entry.actorName, entry.ip, entry.action, entry.target, entry.detail]);
  return createHash('sha256').update(`${previous}\n${content}`).digest('hex');
}

export type ChainVerdict =
  | { ok: true; checked: number; checkpoint: AuditCheckpoint | null }
  | { ok: false; checked: number; checkpoint: AuditCheckpoint | null; brokenAt: number };

const PAGE = 1000;

/**
 * Recomputes the whole chain from the checkpoint (or the start). brokenAt is the first
 * entry whose hash does not follow: it, or the entry before it, was edited or removed.
 * Reads the table once, a thousand entries at a time.
 */
export async function verifyAuditChain(store: Pick<Store, 'auditChain' | 'auditCheckpoint'>): Promise<ChainVerdict> {
  const checkpoint = (await store.auditCheckpoint()) ?? null;
  let previous = checkpoint?.hash ?? GENESIS;
  let afterId = checkpoint?.throughId ?? 0;
  let checked = 0;
  for (;;) {
    const page: AuditEntry[] = await store.auditChain(afterId, PAGE);
    for (const entry of page) {
      if (chainHash(previous, entry) !== entry.hash) return { ok: false, checked, checkpoint, brokenAt: entry.id };
      previous = entry.hash;
      afterId = entry.id;
      checked += 1;
    }
    if (page.length < PAGE) return { ok: true, checked, checkpoint };
  }
}
