import { toCsv } from '../http/csv';
import type { AuditEntry } from '../store/port';

/** An entry as the API and the console show it: detail parsed back from its stored text. */
export function entryView(e: AuditEntry) {
  return {
    id: e.id,
    at: e.at,
    actor: { kind: e.actorKind, name: e.actorName, ip: e.ip },
    action: e.action,
    target: e.target,
    detail: e.detail === null ? null : (JSON.parse(e.detail) as Record<string, unknown>),
    hash: e.hash,
  };
}

const COLUMNS = ['id', 'at', 'actor_kind', 'actor_name', 'ip', 'action', 'target', 'detail', 'hash'] as const;

/** The CSV export: detail as its stored JSON, every cell formula-safe (csv.ts). */
export function auditCsv(entries: readonly AuditEntry[]): string {
  return toCsv(
    COLUMNS,
    entries.map((e) => [e.id, e.at, e.actorKind, e.actorName, e.ip, e.action, e.target, e.detail, e.hash]),
  );
}
