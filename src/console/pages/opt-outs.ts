import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Response, Router } from 'express';
import { z } from 'zod';
import { actorOf } from '../../audit/actor';
import { CHANNEL_LABELS, CHANNEL_NAMES, type ChannelName } from '../../channels/channel';
import { fieldErrors } from '../../http/validation';
import { maskNumber } from '../../phone';
import { NUMBER_FILTER } from '../../store/port';
import { PageError, render } from '../render';
import type { ConsoleDeps } from '../routes';
import { currentSession } from '../session';
import { consoleRole } from '../roles';

/**
 * The opt-out list: search it by a number or its last digits, add a number (a caller who
 * asked by phone or e-mail), take one off with a reason. Adding and removing are STOP and
 * START changes like a texted one (Store.applyOptOutChange), so a later texted STOP still
 * wins over an earlier removal. Numbers are masked on the page; a row's remove button
 * names its entry by a keyed hash, so no whole number sits in the page's HTML either.
 */

const PAGE_SIZE = 50;
/** Who the list says added an entry here: the gateways' names are the other sources. */
const CONSOLE_SOURCE = 'console';
const CONSOLE_KEYWORD = 'ADMIN';

const stripped = (v: unknown) => (typeof v === 'string' ? v.replace(/[\s().-]/g, '') : v);
const blankIsUnset = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());
const Reason = z.string('give a reason').trim().min(3, 'give a reason of at least 3 characters').max(200, 'keep the reason under 200 characters');
const Channel = z.enum(CHANNEL_NAMES, 'choose one of the listed channels');

const Search = z.object({
  number: blankIsUnset(z.preprocess(stripped, z.string().regex(NUMBER_FILTER, 'a whole number with + and country code, or its last 2 to 6 digits'))),
  before: blankIsUnset(z.iso.datetime('must be a time from an "Older" link')),
});

const Add = z.object({
  number: z.preprocess(stripped, z.string('give the number').regex(/^\+[1-9]\d{6,14}$/, 'give the whole number with + and country code')),
  channel: Channel,
  reason: Reason,
});

const Remove = z.object({ ref: z.string().regex(/^[0-9a-f]{32}$/), last: z.string().regex(/^\d{2,6}$/), channel: Channel, reason: Reason });

/** A row's name in its remove form: keyed by the session's own secret, so it reveals nothing. */
function refOf(key: string, entry: { number: string; channel: ChannelName }): string {
  return createHmac('sha256', key).update(`${entry.number}\n${entry.channel}`).digest('hex').slice(0, 32);
}

type Errors = Record<string, string>;
const errorsOf = (error: z.ZodError): Errors => Object.fromEntries(fieldErrors(error).map((e) => [e.field, e.message]));
const text = (input: unknown, name: string): string => {
  const v = (input as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

export function optOutPages(router: Router, { store, log, now, audit }: ConsoleDeps): void {
  interface View {
    search?: unknown;
    notice?: string;
    add?: { values: Record<string, string>; errors: Errors };
    remove?: { ref: string; error: string; reason: string };
    status?: number;
  }

  const show = async (res: Response, view: View): Promise<void> => {
    const key = currentSession(res).csrfToken;
    const search = Search.safeParse(view.search ?? {});
    const found = search.success
      ? await store.listSuppressions({ limit: PAGE_SIZE + 1, ...(search.data.number ? { number: search.data.number } : {}), ...(search.data.before ? { before: search.data.before } : {}) })
      : [];
    const page = found.slice(0, PAGE_SIZE);
    const last = page[page.length - 1];
    const number = text(view.search, 'number');
    const older = found.length > PAGE_SIZE && last ? `/admin/opt-outs?${new URLSearchParams({ ...(number ? { number } : {}), before: last.createdAt })}` : null;
    render(res, 'opt-outs', {
      title: 'Opt-out list',
      nav: 'opt-outs',
      status: view.status ?? (search.success ? 200 : 400),
      searchValue: number,
      searchErrors: search.success ? {} : errorsOf(search.error),
      rows: page.map((s) => ({
        ref: refOf(key, s),
        last: s.number.replace(/\D/g, '').slice(-4),
        number: maskNumber(s.number),
        channel: s.channel,
        channelLabel: CHANNEL_LABELS[s.channel],
        how: s.source === CONSOLE_SOURCE ? 'Added in the console' : `${s.keyword} via ${s.source}`,
        createdAt: s.createdAt,
      })),
      older,
      notice: view.notice ?? null,
      channels: CHANNEL_NAMES.map((c) => ({ id: c, label: CHANNEL_LABELS[c] })),
      add: view.add ?? { values: { number: '', channel: 'sms', reason: '' }, errors: {} },
      remove: view.remove ?? null,
    });
  };

  router.get('/opt-outs', consoleRole('admin'), (req, res) => show(res, { search: req.query }));

  router.post('/opt-outs/add', consoleRole('admin'), async (req, res) => {
    const add = Add.safeParse(req.body ?? {});
    const values = { number: text(req.body, 'number'), channel: text(req.body, 'channel') || 'sms', reason: text(req.body, 'reason') };
    if (!add.success) return show(res, { add: { values, errors: errorsOf(add.error) }, status: 400 });
    const at = now().toISOString();
    const verdict = await store.applyOptOutChange(change(add.data.number, add.data.channel, 'stop', at));
    const masked = maskNumber(add.data.number);
    log.warn({ user: currentSession(res).user, number: masked, channel: add.data.channel, reason: add.data.reason, verdict }, 'console: number added to the opt-out list');
    await audit.record(actorOf(req), 'opt-out.add', `number:${masked}`, { channel: add.data.channel, reason: add.data.reason, verdict });
    await show(res, {
      search: { number: add.data.number.slice(-4) },
      notice: verdict === 'applied' ? `${masked} is on the opt-out list for ${CHANNEL_LABELS[add.data.channel]}: no campaign texts it there.` : `${masked} changed later than now (check the server's clock): nothing was changed.`,
    });
  });

  router.post('/opt-outs/remove', consoleRole('admin'), async (req, res) => {
    const parsed = Remove.safeParse(req.body ?? {});
    const ref = text(req.body, 'ref');
    if (!parsed.success) {
      const errors = errorsOf(parsed.error);
      if (!errors.reason) throw new PageError(400, 'This remove button is not one of the list’s. Open the list again and use its button.');
      return show(res, { search: { number: text(req.body, 'last') }, remove: { ref, error: errors.reason, reason: text(req.body, 'reason') }, status: 400 });
    }
    const { last, channel, reason } = parsed.data;
    const key = currentSession(res).csrfToken;
    // The entry the button named: among the entries ending in its last digits (a handful).
    const candidates = await store.listSuppressions({ number: last, limit: 1_000 });
    const entry = candidates.find((s) => s.channel === channel && safeEqual(refOf(key, s), ref));
    if (!entry) {
      return show(res, { search: { number: last }, notice: 'That entry is no longer on the list (someone removed it, or the number texted START).', status: 409 });
    }
    const at = now().toISOString();
    const verdict = await store.applyOptOutChange(change(entry.number, channel, 'start', at));
    const masked = maskNumber(entry.number);
    log.warn({ user: currentSession(res).user, number: masked, channel, reason, verdict }, 'console: number removed from the opt-out list');
    await audit.record(actorOf(req), 'opt-out.remove', `number:${masked}`, { channel, reason, verdict });
    await show(res, {
      search: { number: last },
      notice: verdict === 'applied' ? `${masked} was taken off the ${CHANNEL_LABELS[channel]} opt-out list.` : `${masked} changed later than now (check the server's clock): nothing was changed.`,
    });
  });
}

function change(number: string, channel: ChannelName, kind: 'stop' | 'start', at: string) {
  // No vendor id: nothing to replay; the time orders it against the texted changes.
  return { number, channel, change: kind, keyword: kind === 'stop' ? CONSOLE_KEYWORD : 'ADMIN-REMOVE', source: CONSOLE_SOURCE, at, receivedAt: at, forgetIdsBefore: at } as const;
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
