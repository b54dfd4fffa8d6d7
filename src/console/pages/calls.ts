import type { Router } from 'express';
import { z } from 'zod';
import { isRecipe, type StoredPage } from '../../deflection/page-recipe';
import { maskNumber } from '../../phone';
import type { CallEvent, CallRecord, MessageRecord } from '../../store/port';
import { label } from '../labels';
import { PageError, render } from '../render';
import type { ConsoleDeps } from '../routes';
import { consoleRole } from '../roles';

/**
 * One call's whole trace: what the caller heard and pressed, each message and what its
 * vendor said, the clicks and the machines' previews, in the order they happened. Linked
 * from the messages page and the reports. Numbers are masked: the page never shows a
 * whole one (the messages page's reveal is the one way to see them, with a reason).
 */

// Call ids are ours (ids.ts: URL-safe, short); anything else is no call.
const CallId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const MESSAGES_SHOWN = 20;

// An E.164 number anywhere in a detail value (a vendor's error text may quote one).
const WHOLE_NUMBER = /\+?[1-9]\d{6,14}/g;
const masked = (text: string): string => text.replace(WHOLE_NUMBER, (n) => maskNumber(n));

/** Detail keys whose values are codes with labels of their own. */
const CODED: Record<string, Parameters<typeof label>[0]> = { reason: 'reason', problem: 'problem', why: 'fallback', status: 'status' };

/** An event's detail as label/value pairs for the page, numbers masked and codes labelled. */
function detailOf(event: CallEvent): Array<{ name: string; value: string; callLink?: string }> {
  return Object.entries(event.detail ?? {}).map(([name, raw]) => {
    const value = String(raw);
    if (name === 'earlierCallId' && CallId.safeParse(value).success) return { name, value, callLink: `/admin/calls/${value}` };
    const family = CODED[name];
    return { name, value: family ? `${label(family, value)}${label(family, value) === value ? '' : ` (${value})`}` : masked(value) };
  });
}

/** The last page served, named; the recipe's own arguments (digits read back) stay out. */
function lastPageOf(page: StoredPage | null): string | null {
  if (!page) return null;
  if (!isRecipe(page)) return page.kind === 'end' ? 'An ending' : 'A question';
  switch (page.builder) {
    case 'offer':
      return 'The offer';
    case 'confirm-ani':
      return 'Confirm the number called from';
    case 'read-back':
      return 'Read back the number entered';
    case 'enter-number':
      return page.after ? `Enter a number (again, after ${page.after === 'optedOut' ? 'an opted-out number' : 'an invalid number'})` : 'Enter a number';
    case 'end':
      return `An ending: ${label('result', page.result.status)} (${label('reason', page.result.reason)})`;
  }
}

function callView(call: CallRecord, campaignName: string | null) {
  return {
    id: call.id,
    campaignId: call.campaignId,
    campaignName,
    mode: call.mode,
    dnis: call.dnis,
    ani: call.ani ? maskNumber(call.ani) : 'withheld',
    platformCallId: call.platformCallId,
    state: label('state', call.state),
    destination: call.destination ? maskNumber(call.destination) : null,
    destinationSource: call.destinationSource,
    variant: call.variant,
    channel: call.channel,
    acceptedAt: call.acceptedAt,
    result: call.result ? `${label('result', call.result.status)}: ${label('reason', call.result.reason)}` : null,
    lastPage: lastPageOf(call.lastPage),
    createdAt: call.createdAt,
    expiresAt: call.expiresAt,
  };
}

function messageView(m: MessageRecord) {
  return {
    id: m.id,
    channel: m.channel,
    to: maskNumber(m.to),
    status: m.status,
    statusLabel: label('status', m.status),
    gateway: m.sentVia ?? m.gateway,
    attempts: m.attempts,
    vendorStatus: m.vendorStatus,
    error: m.errorCode ? `${label('error', m.errorCode)}${m.errorDetail ? `: ${masked(m.errorDetail)}` : ''}` : '',
    fallbackOf: m.fallbackOf,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

export function callPages(router: Router, { store, catalog }: ConsoleDeps): void {
  router.get('/calls/:id', consoleRole('viewer'), async (req, res) => {
    const id = CallId.safeParse(req.params.id);
    const call = id.success ? await store.getCall(id.data) : undefined;
    // Calls not offered are counted, never stored; kept calls expire with their retention.
    if (!call) throw new PageError(404, 'There is no call with this id: it was not offered (those are only counted), or it is older than the data kept.');
    const [events, messages] = await Promise.all([store.listEvents(call.id), store.listMessages({ callId: call.id, limit: MESSAGES_SHOWN })]);
    const campaignName = call.campaignId ? (catalog.entry(call.campaignId)?.campaign.name ?? null) : null;
    render(res, 'call', {
      // The id goes in the facts (it wraps there): a 22-character heading overflows a phone.
      title: 'Call trace',
      nav: 'messages',
      call: callView(call, campaignName),
      events: events.map((e) => ({ id: e.id, type: e.type, label: label('event', e.type), createdAt: e.createdAt, detail: detailOf(e) })),
      // Oldest first, like the events: the first text, then its fallback.
      messages: messages.map(messageView).reverse(),
    });
  });
}
