import type { AuditEntry, AuditQuery, Store } from '../store/port';

/** The CSV export's most entries: a bigger trail is exported a time range at a time. */
export const MAX_EXPORT = 50_000;
const PAGE = 1_000;

/** Every entry matching the filters, newest first, up to MAX_EXPORT, read a page at a time. */
export async function allMatching(store: Pick<Store, 'searchAudit'>, filters: Omit<AuditQuery, 'limit' | 'beforeId'>): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let beforeId: number | undefined;
  while (out.length < MAX_EXPORT) {
    const page = await store.searchAudit({ ...filters, limit: Math.min(PAGE, MAX_EXPORT - out.length), ...(beforeId ? { beforeId } : {}) });
    out.push(...page);
    if (page.length < PAGE) break;
    beforeId = page.at(-1)?.id;
  }
  return out;
}

/** The store query of the API's and the console's filters (times as ISO strings in UTC). */
export function storeFilters(q: { from?: string | undefined; to?: string | undefined; actor?: string | undefined; action?: string | undefined }): Omit<AuditQuery, 'limit'> {
  return {
    ...(q.from ? { from: new Date(q.from).toISOString() } : {}),
    ...(q.to ? { to: new Date(q.to).toISOString() } : {}),
    ...(q.actor ? { actor: q.actor } : {}),
    ...(q.action ? { action: q.action } : {}),
  };
}
