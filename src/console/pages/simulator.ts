import { randomBytes } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { SIMULATOR_HEADER } from '../../http/security/ivr-access';
import { parseOr400 } from '../../http/validation';
import { extractDialString, maskNumber } from '../../phone';
import { parseInput } from '../../simulator/inputs';
import { LiveCallBusy, LiveCallsFull, UnknownLiveCall, type LiveCallStep } from '../../simulator/live-calls';
import type { Store } from '../../store/port';
import type { ConsoleDeps } from '../routes';
import { render } from '../render';
import { currentSession } from '../session';
import { consoleRole } from '../roles';

/**
 * The call simulator's keypad page: a tester dials a DNIS from an ANI and walks the call
 * in the browser. The calls run here, on the server, against this server's own VoiceXML
 * (over loopback), so they are real calls: recorded, counted in the reports, and texted
 * through the configured gateway (the sandbox by default). The page's script drives them
 * through the small JSON API below.
 */

// Free text, as platforms send it ("tel:+1...", "sip:...@gw"), but never control characters.
// eslint-disable-next-line no-control-regex
const PRINTABLE = /^[^\u0000-\u001f\u007f]*$/;

const NewCall = z.object({
  dnis: z
    .string('must be text')
    .trim()
    .min(1, 'choose or type the number the caller dials')
    .max(100, 'must be at most 100 characters')
    .regex(PRINTABLE, 'must not contain control characters'),
  // Empty: a withheld caller ID.
  ani: z.string('must be text').trim().max(100, 'must be at most 100 characters').regex(PRINTABLE, 'must not contain control characters').default(''),
});

const Input = z.object({
  input: z
    .string('must be keys (0-9 * # A-D), noinput, help or hangup')
    .max(64, 'must be at most 64 characters')
    .transform((text, ctx) => {
      try {
        return parseInput(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
});

/**
 * Caller's numbers for the campaign's paths: a number we may text (confirmed at once), and
 * three we may not, where the caller is asked to key in a mobile number. (US landlines
 * cannot be told from mobiles by their number: that takes LINE_TYPE_LOOKUP.)
 */
const ANI_PRESETS = [
  { value: '+16175551234', label: 'Mobile' },
  { value: '+18005550199', label: 'Toll-free' },
  { value: '+442071838750', label: 'Abroad (UK)' },
  { value: '', label: 'Withheld' },
] as const;

/** A number must have at least this many digits to count as one the tester typed. */
const MIN_NUMBER_DIGITS = 7;

export function simulatorPages(router: Router, { store, catalog, log, liveCalls: calls, simulatorKey }: ConsoleDeps): void {
  router.get('/simulator', consoleRole('editor'), (_req, res) => {
    const dnisChoices = catalog
      .entries()
      .filter((e) => e.campaign.active)
      .sort((a, b) => a.campaign.name.localeCompare(b.campaign.name))
      .flatMap((e) => e.campaign.dnis.map((dnis) => ({ dnis, campaign: e.campaign.name })));
    render(res, 'simulator', { title: 'Call simulator', nav: 'simulator', dnisChoices, aniPresets: ANI_PRESETS });
  });

  router.post('/simulator/calls', consoleRole('editor'), async (req, res) => {
    const body = parseOr400(NewCall, req.body ?? {}, 'body', res);
    if (!body) return;
    // The platform call id our server records and passes on to the chat link as {callId}.
    const callId = `sim-${randomBytes(6).toString('hex')}`;
    const origin = ownServer(req);
    const url = `${origin}/vxml/start?${new URLSearchParams({ dnis: body.dnis, ani: body.ani, callid: callId })}`;
    const headers = { [SIMULATOR_HEADER]: simulatorKey };
    // A campaign's return URL (or any link in the documents) is the IVR's to fetch, not
    // this server's: the call stops there and the page shows where it would have gone.
    const step = await answerErrors(res, () => calls.start({ url, dnis: body.dnis, ani: body.ani, callId, headers, confineTo: origin }));
    if (!step) return;
    log.info({ user: currentSession(res).user, id: step.id, callId }, 'console: simulated call started');
    res.status(201).json(await stepJson(step, store, log));
  });

  router.post('/simulator/calls/:id/input', consoleRole('editor'), async (req, res) => {
    const body = parseOr400(Input, req.body ?? {}, 'body', res);
    if (!body) return;
    const step = await answerErrors(res, () => calls.input(req.params.id, body.input));
    if (step) res.json(await stepJson(step, store, log));
  });

  router.delete('/simulator/calls/:id', consoleRole('editor'), async (req, res) => {
    const hungUp = await answerErrors(res, async () => {
      calls.hangUp(req.params.id);
      return true;
    });
    if (hungUp) res.status(204).end();
  });
}

/**
 * Runs a LiveCalls operation, answering its refusals as JSON: the page's script shows the
 * message. Returns undefined when it has answered.
 */
async function answerErrors<T>(res: Response, operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await operation();
  } catch (err) {
    const status = err instanceof UnknownLiveCall ? 404 : err instanceof LiveCallBusy ? 409 : err instanceof LiveCallsFull ? 429 : 0;
    if (!status) throw err;
    res.status(status).json({ error: (err as Error).message });
    return undefined;
  }
}

/**
 * This server as seen from inside: the address and port the request arrived on, which
 * answer whatever HOST is and whatever proxy is in front (PUBLIC_BASE_URL may not be
 * reachable from here at all).
 */
function ownServer(req: Request): string {
  const { localAddress, localPort } = req.socket;
  if (!localAddress || !localPort) throw new Error('the request came on a socket without a local address');
  const address = localAddress.replace(/^::ffff:/, '');
  return `http://${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}

async function stepJson(step: LiveCallStep, store: Store, log: Logger) {
  const { id, state, entries, listening, outcome } = step;
  if (!outcome) return { id, state, entries, ...(listening ? { listening } : {}) };
  const { transcript, documents, ...ending } = outcome;
  // The engine stopped the call itself (a fault, a step limit, a stalled fetch): worth a look.
  if (outcome.reason === 'aborted') log.warn({ id, message: outcome.message }, 'console: simulated call aborted');
  const typed = typedNumbers(step.start.ani ?? '', transcript);
  const messages = (await Promise.all(ourCallIds(documents, new URL(step.start.url).origin).map((callId) => store.listMessages({ limit: 10, callId })))).flat();
  return {
    id,
    state,
    entries,
    outcome: ending,
    messages: messages.map((m) => {
      const whole = typed.some((digits) => m.to.replace(/\D/g, '').endsWith(digits));
      return { to: whole ? m.to : maskNumber(m.to), masked: !whole, body: m.body, status: m.status, gateway: m.sentVia ?? m.gateway };
    }),
  };
}

/**
 * Our call ids, read from the documents the call fetched: every step after the start
 * links to the next with `call=`. The store files the call's texts under that id.
 */
function ourCallIds(documents: readonly string[], origin: string): string[] {
  const ids = new Set<string>();
  for (const document of documents) {
    const url = new URL(document);
    const id = url.origin === origin && url.pathname.startsWith('/vxml/') ? url.searchParams.get('call') : null;
    if (id) ids.add(id);
  }
  return [...ids];
}

/**
 * The numbers the tester typed in this call: the ANI of the form and every key sequence
 * pressed on the keypad (as digits). A text to one of them is shown whole: the tester
 * knows it already, having typed it and heard it read back. Any other number is masked
 * as on the messages page, so the page never shows more than the tester put in.
 */
function typedNumbers(ani: string, transcript: LiveCallStep['entries']): string[] {
  const keys = transcript.flatMap((e) => (e.kind === 'input' && e.input.kind === 'dtmf' ? [e.input.keys] : []));
  return [extractDialString(ani), ...keys]
    .map((text) => text.replace(/\D/g, ''))
    .filter((digits) => digits.length >= MIN_NUMBER_DIGITS);
}
