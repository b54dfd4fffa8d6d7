import type { Response, Router } from 'express';
import { z } from 'zod';
import { verifyAuditChain } from '../../audit/chain';
import { allMatching, storeFilters } from '../../audit/read';
import { auditCsv, entryView } from '../../audit/views';
import { fieldErrors } from '../../http/validation';
import type { AuditEntry } from '../../store/port';
import type { ConsoleDeps } from '../routes';
import { render } from '../render';
import { consoleRole } from '../roles';

const PAGE_SIZE = 50;

// Forms send every field, empty ones as "": those mean "no filter".
const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const Filters = z
  .object({
    from: blankIsUnset(z.iso.date('must be a date (YYYY-MM-DD)')),
    to: blankIsUnset(z.iso.date('must be a date (YYYY-MM-DD)')),
    actor: blankIsUnset(z.string().trim().max(200, 'must be at most 200 characters')),
    action: blankIsUnset(z.string().trim().regex(/^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/, 'must be an action like campaign or sign-in.failed').max(100)),
    before: blankIsUnset(z.coerce.number().int().min(1, 'must come from an "Older" link')),
  })
  .refine((f) => !f.from || !f.to || f.from <= f.to, { message: 'must be on or after From', path: ['to'] });
type Filters = z.output<typeof Filters>;

const FIELDS = ['from', 'to', 'actor', 'action', 'before'] as const;

function typed(input: unknown): Record<(typeof FIELDS)[number], string> {
  const value = (name: string): string => {
    const v = (input as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v : '';
  };
  return Object.fromEntries(FIELDS.map((f) => [f, value(f)])) as Record<(typeof FIELDS)[number], string>;
}

/** Dates are whole UTC days, like the times in the table: To includes its day. */
function queryOf(f: Filters) {
  const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString();
  return storeFilters({
    from: f.from ? `${f.from}T00:00:00.000Z` : undefined,
    to: f.to ? nextDay(f.to) : undefined,
    actor: f.actor,
    action: f.action,
  });
}

/** The detail as short lines a person reads: one per changed path, or one per field. */
export function detailLines(detail: Record<string, unknown> | null): string[] {
  if (!detail) return [];
  const show = (v: unknown): string => (v === undefined ? '(none)' : JSON.stringify(v));
  const lines: string[] = [];
  for (const [key, value] of Object.entries(detail)) {
    if (key === 'changes' && Array.isArray(value)) {
      for (const c of value as { path?: string; old?: unknown; new?: unknown }[]) {
        lines.push(typeof c === 'object' && c ? `${c.path ?? ''}: ${show(c.old)} → ${show(c.new)}` : String(c));
      }
    } else {
      lines.push(`${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines;
}

const row = (e: AuditEntry) => {
  const view = entryView(e);
  return { ...view, lines: detailLines(view.detail) };
};

/**
 * The audit trail in the console: filters, the newest entries first with paging, a CSV of
 * every match, and whether the hash chain verifies (an edit behind our back shows here).
 */
export function auditPages(router: Router, { store }: ConsoleDeps): void {
  const show = async (res: Response, input: unknown): Promise<void> => {
    const filters = Filters.safeParse(input ?? {});
    const errors = filters.success ? {} : Object.fromEntries(fieldErrors(filters.error).map((e) => [e.field, e.message]));
    const found = filters.success
      ? await store.searchAudit({ ...queryOf(filters.data), limit: PAGE_SIZE + 1, ...(filters.data.before ? { beforeId: filters.data.before } : {}) })
      : [];
    const page = found.slice(0, PAGE_SIZE);
    const values = typed(input);
    const kept = Object.entries(values).filter(([name, v]) => v !== '' && name !== 'before');
    const last = page.at(-1);
    render(res, 'audit', {
      title: 'Audit trail',
      nav: 'audit',
      values,
      errors,
      rows: page.map(row),
      older: found.length > PAGE_SIZE && last ? `/admin/audit?${new URLSearchParams([...kept, ['before', String(last.id)]])}` : null,
      csv: `/admin/audit.csv${kept.length ? `?${new URLSearchParams(kept)}` : ''}`,
      chain: await verifyAuditChain(store),
      status: filters.success ? 200 : 400,
    });
  };

  router.get('/audit', consoleRole('admin'), (req, res) => show(res, req.query));

  router.get('/audit.csv', consoleRole('admin'), async (req, res) => {
    const filters = Filters.safeParse(req.query);
    if (!filters.success) {
      await show(res, req.query);
      return;
    }
    res.type('text/csv; charset=utf-8').attachment('audit.csv').send(auditCsv(await allMatching(store, queryOf(filters.data))));
  });
}
