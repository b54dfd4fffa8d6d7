import { createHash, createHmac } from 'node:crypto';
import type { ChannelName } from '../channels/channel';
import type { TwilioSettings } from './gateway-config';
import type {
  DeliveryReceipt,
  DeliveryStatus,
  InboundSms,
  OutgoingSms,
  PermanentReason,
  SendOutcome,
  SentLookup,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { basicAuth, callVendor, excerpt, formBody, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { forbidden, invalid, isRecord, safeEqual, stringParam } from './callback-parsing';
import {
  CHANNEL_OTHER_ROUTE_CODES,
  CHANNEL_PERMANENT_CODES,
  addressedFields,
  channelAddressOf,
  twilioAddressOf,
  twilioChannels,
} from './twilio-channels';

/**
 * Twilio Programmable Messaging (REST API 2010-04-01): one form POST per text to
 * .../Accounts/{AccountSid}/Messages.json with HTTP Basic (AccountSid:AuthToken). Twilio
 * answers 201 with the Message resource, or an error `{code, message, more_info, status}`
 * whose code (https://www.twilio.com/docs/api/errors) says more than the HTTP status.
 * Its status callbacks and inbound texts are form POSTs signed with X-Twilio-Signature.
 *
 * The same resource carries WhatsApp and RCS (see twilio-channels.ts for how each is
 * addressed): a WhatsApp template is a Content template (ContentSid, ContentVariables),
 * RCS goes through a Messaging Service whose pool also holds an SMS sender.
 */
export class TwilioGateway implements SmsGateway {
  readonly name = 'twilio';
  /** Twilio takes no reference of ours, but lists an account's Messages by recipient and sender: see findSent. */
  readonly resendSafety = 'lookup' as const;

  /** SMS always; WhatsApp and RCS only when a sender for them is configured. */
  readonly channels: readonly ChannelName[];

  constructor(
    private readonly settings: TwilioSettings,
    private readonly callbacks: { statusUrl: string },
  ) {
    this.channels = twilioChannels(settings);
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const { accountSid, authToken, baseUrl } = this.settings;
    const call = await callVendor({
      method: 'POST',
      url: `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`,
      headers: {
        Authorization: basicAuth(accountSid, authToken),
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: formBody({ ...addressedFields(this.settings, sms), StatusCallback: this.callbacks.statusUrl }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  /**
   * Whether Twilio already has this text, asked before resending one whose last attempt's
   * outcome is unknown. Twilio's Messages resource has no field for a reference of ours,
   * so this reads the account's Messages list filtered by To (and From when we send from a
   * fixed number), as documented at
   * https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources,
   * and looks for an outbound message with our exact body created since the attempt began.
   */
  findSent(sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
    return findSentMessage(this.settings, sms, since, signal);
  }

  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    if (!isSignedByTwilio(req, this.settings.authToken)) return forbidden('X-Twilio-Signature is missing or does not match');
    const vendorMessageId = stringParam(req, 'MessageSid');
    const vendorStatus = stringParam(req, 'MessageStatus');
    if (!vendorMessageId || !vendorStatus) return invalid('MessageSid and MessageStatus are required');
    if (INBOUND_STATUSES.has(vendorStatus)) {
      return invalid(`MessageStatus "${vendorStatus}" is an incoming text's: point the number's messaging webhook at /webhooks/twilio/inbound`);
    }
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown MessageStatus "${excerpt(vendorStatus, 40)}"`);
    const errorCode = stringParam(req, 'ErrorCode');
    // A message that failed with 21610 went to someone who texted STOP to our sender (or
    // its Messaging Service): Twilio will refuse every later one, so we stop asking.
    const optedOut = errorCode === String(UNSUBSCRIBED);
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...(errorCode ? { errorCode } : {}), ...(optedOut ? { optedOut } : {}) }] };
  }

  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    if (!isSignedByTwilio(req, this.settings.authToken)) return forbidden('X-Twilio-Signature is missing or does not match');
    const rawFrom = stringParam(req, 'From');
    const rawTo = stringParam(req, 'To');
    // An empty Body is a real (if odd) text; a missing one is not a Twilio inbound request.
    const text = stringParam(req, 'Body');
    if (!rawFrom || !rawTo || text === undefined) return invalid('From, To and Body are required');
    // Twilio's inbound request carries no time: MessageSid is what tells a replay apart.
    const sid = stringParam(req, 'MessageSid');
    // "whatsapp:+1415..." is a WhatsApp reply: a STOP there opts out of WhatsApp only.
    const from = channelAddressOf(rawFrom);
    const channel = from.channel ?? channelAddressOf(rawTo).channel;
    return {
      ok: true,
      value: {
        from: from.address,
        to: channelAddressOf(rawTo).address,
        text,
        ...(sid ? { vendorMessageId: sid } : {}),
        ...(channel ? { channel } : {}),
      },
    };
  }
}


// --- Send outcomes ---------------------------------------------------------------------

/**
 * Twilio's error codes that mean this text can never go as it is, from its error
 * dictionary (https://www.twilio.com/docs/api/errors/<code>).
 */
const UNSUBSCRIBED = 21610;
const PERMANENT_CODES: ReadonlyMap<number, PermanentReason> = new Map<number, PermanentReason>([
  // https://www.twilio.com/docs/api/errors/21610: the recipient replied STOP to this sender.
  [UNSUBSCRIBED, 'unsubscribed'],
  // https://www.twilio.com/docs/api/errors/21211: invalid 'To' phone number.
  [21211, 'invalid-number'],
  // https://www.twilio.com/docs/api/errors/21614: 'To' is not a valid mobile number.
  [21614, 'invalid-number'],
  // https://www.twilio.com/docs/api/errors/21635: 'To' is a landline, which Twilio will
  // not text in that country: the caller is asked for another number.
  [21635, 'invalid-number'],
  // https://www.twilio.com/docs/api/errors/30004 and /30007: blocked, carrier filtering.
  [30004, 'blocked'],
  [30007, 'blocked'],
  ...CHANNEL_PERMANENT_CODES,
]);

/**
 * Codes about our account or sender rather than this message or number: another gateway
 * (the campaign's fallback) can still send it, whatever HTTP status Twilio pairs them with.
 * - 20003 (https://www.twilio.com/docs/api/errors/20003): authentication failed.
 * - 21612 (https://www.twilio.com/docs/api/errors/21612): this To/From combination cannot
 *   be routed (a sender that cannot reach that destination or carrier): a route problem,
 *   not a bad number, so the caller is not asked for another.
 * - 21408 (https://www.twilio.com/docs/api/errors/21408): the account has no permission
 *   for the destination's region (Geo Permissions): again ours to fix, not the caller's.
 */
const OTHER_ROUTE_CODES: ReadonlySet<number> = new Set([20003, 21612, 21408, ...CHANNEL_OTHER_ROUTE_CODES]);

function outcomeOf(reply: VendorReply): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) return acceptedOf(reply);
  const error = twilioErrorOf(reply.json);
  if (!error) return outcomeOfHttpStatus(reply, `Twilio answered ${reply.status}: ${reply.body}`);
  const code = `twilio-${error.code}`;
  const detail = `Twilio answered ${reply.status}: ${error.code} ${error.message}`;
  const reason = PERMANENT_CODES.get(error.code);
  if (reason) return { outcome: 'permanent', code, detail, reason };
  if (OTHER_ROUTE_CODES.has(error.code)) return { outcome: 'retryable', code, detail };
  // Throttling, outages and plain refusals keep the status's meaning, with Twilio's code.
  return { ...outcomeOfHttpStatus(reply, detail), code };
}

/**
 * A 2xx without a sid is not Twilio's answer (a proxy or captive portal, most likely), so
 * the text probably never reached Twilio, and nothing could match a receipt to it anyway.
 * Retrying risks a duplicate text, which beats a caller who never gets the link.
 */
function acceptedOf(reply: VendorReply): SendOutcome {
  const message = isRecord(reply.json) ? reply.json : {};
  if (typeof message.sid !== 'string' || message.sid === '') {
    return { outcome: 'retryable', code: 'malformed-reply', detail: `Twilio answered ${reply.status} without a message sid: ${reply.body}` };
  }
  const status = typeof message.status === 'string' ? { code: message.status } : {};
  return { outcome: 'accepted', vendorMessageId: message.sid, ...status };
}

function twilioErrorOf(json: unknown): { code: number; message: string } | undefined {
  if (!isRecord(json)) return undefined;
  const code = typeof json.code === 'string' && /^\d+$/.test(json.code) ? Number(json.code) : json.code;
  if (typeof code !== 'number' || !Number.isInteger(code)) return undefined;
  return { code, message: typeof json.message === 'string' ? json.message : '' };
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * Every status Twilio documents for a Message (the spec's message_enum_status, and
 * https://www.twilio.com/docs/messaging/api/message-resource#message-status-values).
 * partially_delivered is past sent, but not a confirmed delivery of the whole text: kept
 * as sent, so a later delivered or undelivered still moves it on.
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['accepted', 'queued'],
  ['scheduled', 'queued'],
  ['queued', 'queued'],
  ['sending', 'queued'],
  ['sent', 'sent'],
  ['partially_delivered', 'sent'],
  ['delivered', 'delivered'],
  // WhatsApp and RCS read receipts: a step past delivered.
  ['read', 'read'],
  ['undelivered', 'undelivered'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
]);

/** Statuses of a text someone sent us: never a receipt for one of ours. */
const INBOUND_STATUSES: ReadonlySet<string> = new Set(['receiving', 'received']);

/**
 * Twilio's request validation (https://www.twilio.com/docs/usage/webhooks/webhooks-security):
 * base64 HMAC-SHA1, keyed with the auth token, of the URL it called (query included)
 * followed by every POST field's name and value, sorted by name. The query is covered by
 * the URL, so req.params (query and body merged) can be trusted once this passes.
 *
 * A request whose body is not a form (JSON) carries a bodySHA256 query parameter instead:
 * the signature covers the URL alone, and the body must hash (SHA-256, hex) to that value.
 */
function isSignedByTwilio(req: WebhookRequest, authToken: string): boolean {
  const signature = req.headers['x-twilio-signature'];
  if (!signature) return false;
  const bodyHash = URL.canParse(req.url) ? new URL(req.url).searchParams.get('bodySHA256') : null;
  const signed = bodyHash === null ? sortedFieldString(req.rawBody) : '';
  const urlMatches = urlVariants(req.url).some((url) =>
    safeEqual(createHmac('sha1', authToken).update(url + signed, 'utf8').digest('base64'), signature),
  );
  if (!urlMatches) return false;
  return bodyHash === null || safeEqual(createHash('sha256').update(req.rawBody, 'utf8').digest('hex'), bodyHash.toLowerCase());
}

/** Names in order, each followed by its value; a repeated name's distinct values in order, as twilio-node does. */
function sortedFieldString(rawBody: string): string {
  const values = new Map<string, Set<string>>();
  for (const [name, value] of new URLSearchParams(rawBody)) values.set(name, (values.get(name) ?? new Set()).add(value));
  return [...values.keys()]
    .sort()
    .map((name) => [...(values.get(name) ?? [])].sort().map((value) => name + value).join(''))
    .join('');
}

/**
 * Twilio signs the URL as configured, but is inconsistent about an explicit default port
 * (":443"), so like twilio-node we accept the URL with and without it.
 */
function urlVariants(url: string): string[] {
  if (!URL.canParse(url)) return [url];
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  parsed.port = '';
  return [parsed.toString(), `${parsed.protocol}//${parsed.host}:${port}${parsed.pathname}${parsed.search}`];
}


// --- Resend lookup ---------------------------------------------------------------------

/**
 * How far before the unknown attempt began a message may have been created and still be
 * it: Twilio's clock and ours may differ, and date_created has whole seconds. Our body
 * carries the call's own short link, so an older text to the same number cannot match.
 */
const LOOKUP_MARGIN_MS = 5 * 60_000;
/** Messages per list page (Twilio's default is 50, its maximum 1000). */
const LOOKUP_PAGE_SIZE = 100;
/** Pages read before giving up with 'unknown': a number this busy needs a person to look. */
const LOOKUP_MAX_PAGES = 3;

/** The Message fields the lookup reads (the spec's api.v2010.account.message). */
interface ListedMessage {
  sid: string;
  status?: string;
  to?: string;
  from?: string;
  body?: string;
  direction?: string;
  date_created?: string;
  messaging_service_sid?: string | null;
}

/**
 * Reads GET .../Messages.json?To=...&From=...&PageSize=... page by page (following
 * next_page_uri) for an outbound message with our body, created since `since` (less the
 * margin). No DateSent filter: a message still queued has no date_sent yet, and would be
 * missed just when it matters (the crash came right after Twilio accepted it).
 */
async function findSentMessage(settings: TwilioSettings, sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
  const sinceMs = Date.parse(since);
  if (Number.isNaN(sinceMs)) return { kind: 'unknown', detail: `not a time: ${excerpt(since, 40)}` };
  const cutoff = sinceMs - LOOKUP_MARGIN_MS;
  const { accountSid, authToken, baseUrl } = settings;
  // By To only, not From: a Messaging Service picks the sender from a pool, and instances
  // (or a changed TWILIO_FROM) may send from different numbers; the body and time decide.
  const query = formBody({ To: twilioAddressOf(sms), PageSize: String(LOOKUP_PAGE_SIZE) });
  let path = `/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json?${query}`;
  for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
    const call = await callVendor({
      method: 'GET',
      url: `${baseUrl}${path}`,
      headers: { Authorization: basicAuth(accountSid, authToken), Accept: 'application/json' },
      signal,
    });
    // A timeout or network failure: Twilio may have it, we cannot tell.
    if (!call.ok) return { kind: 'unknown', detail: 'detail' in call.outcome ? call.outcome.detail : 'no answer' };
    const listed = messagePageOf(call.reply);
    if (typeof listed === 'string') return { kind: 'unknown', detail: listed };
    const match = listed.messages.find((m) => isOurs(m, sms, cutoff));
    if (match) return { kind: 'found', vendorMessageId: match.sid, ...(match.status ? { code: match.status } : {}) };
    // The list is newest first: a page entirely older than the cutoff ends the search.
    const allOlder = listed.messages.every((m) => createdAt(m) < cutoff);
    if (!listed.next || allOlder) return { kind: 'not-found' };
    path = listed.next;
  }
  return { kind: 'unknown', detail: `more than ${LOOKUP_MAX_PAGES * LOOKUP_PAGE_SIZE} messages to this number since ${since}` };
}

/** One page of the list, or why it cannot be read. */
function messagePageOf(reply: VendorReply): { messages: ListedMessage[]; next: string | undefined } | string {
  if (reply.status !== 200) {
    const error = twilioErrorOf(reply.json);
    return `Twilio answered ${reply.status}${error ? `: ${error.code} ${error.message}` : `: ${reply.body}`}`;
  }
  if (!isRecord(reply.json) || !Array.isArray(reply.json.messages)) return `Twilio answered 200 without a messages list: ${reply.body}`;
  const messages = reply.json.messages.filter(
    (m): m is ListedMessage => isRecord(m) && typeof m.sid === 'string' && m.sid !== '',
  );
  const next = reply.json.next_page_uri;
  if (next === null || next === undefined) return { messages, next: undefined };
  // Only a path on the same API: a page link to another host is never followed.
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//')) return `next_page_uri is not a path: ${excerpt(String(next), 80)}`;
  return { messages, next };
}

/**
 * A template's text is Twilio's rendering of the Content template, not our body: for one,
 * an outbound message to that WhatsApp address since the attempt began is taken as ours
 * (the window is minutes, and we send one deflection per call to a number).
 */
function isOurs(m: ListedMessage, sms: OutgoingSms, cutoff: number): boolean {
  return (
    m.to === twilioAddressOf(sms) &&
    (sms.template !== undefined || m.body === sms.body) &&
    (m.direction ?? '').startsWith('outbound') &&
    createdAt(m) >= cutoff
  );
}

/** date_created is RFC 2822 ("Fri, 24 May 2019 17:44:46 +0000"); a missing one counts as new, never as old. */
function createdAt(m: ListedMessage): number {
  const at = m.date_created ? Date.parse(m.date_created) : Number.NaN;
  return Number.isNaN(at) ? Number.POSITIVE_INFINITY : at;
}
