import type { Request, Response, Router } from 'express';
import { actorOf } from '../../audit/actor';
import { maskValue } from '../../audit/diff';
import { AuditUnavailable } from '../../audit/trail';
import { z } from 'zod';
import { fieldErrors } from '../../http/validation';
import { maskNumber } from '../../phone';
import { NUMBER_FILTER, STATUS_RANK, type MessageQuery, type MessageRecord, type MessageStatus } from '../../store/port';
import type { ConsoleDeps } from '../routes';
import { label } from '../labels';
import { render } from '../render';
import { currentSession } from '../session';
import { consoleRole } from '../roles';

const PAGE_SIZE = 50;
const STATUSES = Object.keys(STATUS_RANK) as [MessageStatus, ...MessageStatus[]];

// Forms send every field, empty ones as "": those mean "no filter".
const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const Filters = z.object({
  status: blankIsUnset(z.enum(STATUSES, 'must be one of the listed statuses')),
  campaign: blankIsUnset(z.string().trim().max(63, 'must be at most 63 characters')),
  number: blankIsUnset(
    z
      .string()
      .transform((v) => v.replace(/[\s().-]/g, ''))
      .pipe(z.string().regex(NUMBER_FILTER, 'must be a whole number with + and country code, or its last 2 to 6 digits')),
  ),
  from: blankIsUnset(z.iso.date('must be a date (YYYY-MM-DD)')),
  before: blankIsUnset(z.iso.datetime('must be a time from an "Older" link')),
});
type Filters = z.output<typeof Filters>;

const Reveal = z.object({
  reason: z.string('give a reason').trim().min(3, 'give a reason of at least 3 characters').max(200, 'keep the reason under 200 characters'),
});

/** The form fields as typed, to show them again (also when they are invalid). */
function typed(input: unknown): Record<'status' | 'campaign' | 'number' | 'from' | 'before', string> {
  const value = (name: string): string => {
    const v = (input as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v : '';
  };
  return { status: value('status'), campaign: value('campaign'), number: value('number'), from: value('from'), before: value('before') };
}

function storeQuery(f: Filters): MessageQuery {
  return {
    limit: PAGE_SIZE + 1,
    ...(f.before ? { before: f.before } : {}),
    // Dates are UTC days, like the times in the table.
    ...(f.from ? { since: `${f.from}T00:00:00.000Z` } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.campaign ? { campaignId: f.campaign } : {}),
    ...(f.number ? { number: f.number } : {}),
  };
}

/** A table row: the number is masked here, so whole numbers never reach a template by accident. */
function row(m: MessageRecord, reveal: boolean) {
  return {
    createdAt: m.createdAt,
    callId: m.callId,
    campaignId: m.campaignId,
    number: reveal ? m.to : maskNumber(m.to),
    status: m.status,
    segments: m.segments,
    gateway: m.sentVia ?? m.gateway,
    error: m.errorCode ? [label('error', m.errorCode), m.errorDetail].filter(Boolean).join(': ') : '',
  };
}

/**
 * Texts, newest first, with filters and paging. Numbers are masked; an admin who needs
 * whole ones gives a reason, which is recorded in the audit trail before they are shown
 * (not shown when it cannot be), and sees them in that one answer only (a POST, so no
 * link or browser history brings them back).
 */
export function messagesPages(router: Router, { store, log, audit }: ConsoleDeps): void {
  const show = async (
    req: Request,
    res: Response,
    input: unknown,
    options: { reveal?: { reason: string }; revealError?: string } = {},
  ): Promise<void> => {
    const filters = Filters.safeParse(input ?? {});
    // Invalid filters show no rows, so there is nothing to reveal (or to log).
    let reveal = filters.success ? options.reveal : undefined;
    let revealError = options.revealError;
    if (reveal && filters.success) {
      try {
        await audit.recordOrRefuse(actorOf(req), 'reveal.messages', 'messages', { reason: reveal.reason, filters: maskValue(filters.data) });
      } catch (err) {
        if (!(err instanceof AuditUnavailable)) throw err;
        reveal = undefined;
        revealError = 'Whole numbers are not shown: the audit trail could not record this request. Try again in a moment.';
      }
    }
    const errors = filters.success ? {} : Object.fromEntries(fieldErrors(filters.error).map((e) => [e.field, e.message]));
    const found = filters.success ? await store.listMessages(storeQuery(filters.data)) : [];
    const page = found.slice(0, PAGE_SIZE);
    const last = page[page.length - 1];
    const values = typed(input);
    const kept = Object.entries(values).filter(([name, v]) => v !== '' && name !== 'before');
    const older = found.length > PAGE_SIZE && last ? `/admin/messages?${new URLSearchParams([...kept, ['before', last.createdAt]])}` : null;
    if (reveal) log.warn({ user: currentSession(res).user, reason: reveal.reason, shown: page.length }, 'console: whole phone numbers shown');
    render(res, 'messages', {
      title: 'Messages',
      nav: 'messages',
      statuses: STATUSES,
      values,
      errors,
      rows: page.map((m) => row(m, Boolean(reveal))),
      older,
      reveal: reveal ?? null,
      revealError: revealError ?? null,
      status: !filters.success || options.revealError ? 400 : revealError ? 503 : 200,
    });
  };

  router.get('/messages', consoleRole('viewer'), (req, res) => show(req, res, req.query));

  router.post('/messages/reveal', consoleRole('admin'), async (req, res) => {
    const reveal = Reveal.safeParse(req.body ?? {});
    if (!reveal.success) {
      await show(req, res, req.body, { revealError: reveal.error.issues[0]?.message ?? 'give a reason' });
      return;
    }
    await show(req, res, req.body, { reveal: reveal.data });
  });
}
