import { createHmac } from 'node:crypto';
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

/**
 * Twilio Programmable Messaging (REST API 2010-04-01): one form POST per text to
 * .../Accounts/{AccountSid}/Messages.json with HTTP Basic (AccountSid:AuthToken). Twilio
 * answers 201 with the Message resource, or an error `{code, message, more_info, status}`
 * whose code (https://www.twilio.com/docs/api/errors) says more than the HTTP status.
 * Its status callbacks and inbound texts are form POSTs signed with X-Twilio-Signature.
 */
export class TwilioGateway implements SmsGateway {
  readonly name = 'twilio';
  /** Twilio takes no client reference, but lists an account's Messages by recipient and sender. */
  readonly resendSafety = 'lookup' as const;

  constructor(
    private readonly settings: TwilioSettings,
    private readonly callbacks: { statusUrl: string },
  ) {}

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
      body: formBody({ To: sms.to, ...senderOf(this.settings), Body: sms.body, StatusCallback: this.callbacks.statusUrl }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  findSent(sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
    return findTwilioMessage(this.settings, sms, since, signal);
  }

  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    if (!isSignedByTwilio(req, this.settings.authToken)) return forbidden('X-Twilio-Signature is missing or does not match');
    const vendorMessageId = stringParam(req, 'MessageSid');
    const vendorStatus = stringParam(req, 'MessageStatus');
    if (!vendorMessageId || !vendorStatus) return invalid('MessageSid and MessageStatus are required');
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown MessageStatus "${excerpt(vendorStatus, 40)}"`);
    const errorCode = stringParam(req, 'ErrorCode');
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...(errorCode ? { errorCode } : {}) }] };
  }

  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    if (!isSignedByTwilio(req, this.settings.authToken)) return forbidden('X-Twilio-Signature is missing or does not match');
    const from = stringParam(req, 'From');
    const to = stringParam(req, 'To');
    // An empty Body is a real (if odd) text; a missing one is not a Twilio inbound request.
    const text = stringParam(req, 'Body');
    if (!from || !to || text === undefined) return invalid('From, To and Body are required');
    // Twilio's inbound request carries no time: MessageSid is what tells a replay apart.
    const sid = stringParam(req, 'MessageSid');
    return { ok: true, value: { from, to, text, ...(sid ? { vendorMessageId: sid } : {}) } };
  }
}

/**
 * A Messaging Service picks the sender from its pool (sticky sender, local numbers),
 * so it wins over a fixed From when both are configured: sending both would pin one number.
 */
function senderOf(settings: TwilioSettings): Record<string, string | undefined> {
  return settings.messagingServiceSid ? { MessagingServiceSid: settings.messagingServiceSid } : { From: settings.from };
}

// --- The resend lookup -----------------------------------------------------------------

/** Pages of 50 read at most: per-destination limits keep a number's recent texts few. */
const LOOKUP_PAGES = 3;
const LOOKUP_PAGE_SIZE = 50;
/** Clock skew allowed between us and Twilio when comparing date_created with `since`. */
const LOOKUP_SKEW_MS = 60_000;

/**
 * Does Twilio have this text? Twilio takes no reference of ours, so the lookup is its
 * Message list (GET .../Messages.json, https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources;
 * the ListMessageResponse in twilio_api_v2010.json) filtered by To, newest first, matched
 * on the body and a date_created no earlier than the unknown attempt (less the skew).
 * Not by From: a Messaging Service picks the sender from a pool, and instances (or a
 * changed TWILIO_FROM) may send from different numbers.
 * Not the DateSent filter the API also offers: it filters on date_sent, which stays null
 * until Twilio hands the text to the carrier, so a text still queued behind the sender's
 * rate limit (exactly what a burst leaves in doubt) would be missed and sent twice.
 * (A minimal version, kept apart, for the outbox's resend check; the Twilio adapter's
 * owner may replace it.)
 */
async function findTwilioMessage(settings: TwilioSettings, sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
  const { accountSid, authToken, baseUrl } = settings;
  const filter = new URLSearchParams({ To: sms.to, PageSize: String(LOOKUP_PAGE_SIZE) });
  let url = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json?${filter}`;
  const oldest = Date.parse(since) - LOOKUP_SKEW_MS;
  for (let page = 0; page < LOOKUP_PAGES; page += 1) {
    const call = await callVendor({ method: 'GET', url, headers: { Authorization: basicAuth(accountSid, authToken), Accept: 'application/json' }, signal });
    if (!call.ok) return { kind: 'unknown', detail: call.outcome.outcome === 'accepted' ? 'unexpected answer' : call.outcome.detail };
    const { reply } = call;
    if (reply.status !== 200 || !isRecord(reply.json) || !Array.isArray(reply.json.messages)) {
      return { kind: 'unknown', detail: `Twilio answered the Message list ${reply.status}: ${reply.body}` };
    }
    let olderThanSince = false;
    for (const message of reply.json.messages as unknown[]) {
      if (!isRecord(message)) continue;
      const created = typeof message.date_created === 'string' ? Date.parse(message.date_created) : Number.NaN;
      if (created < oldest) {
        olderThanSince = true;
        continue;
      }
      const outbound = typeof message.direction === 'string' && message.direction.startsWith('outbound');
      if (outbound && message.body === sms.body && typeof message.sid === 'string') {
        return { kind: 'found', vendorMessageId: message.sid, ...(typeof message.status === 'string' ? { code: message.status } : {}) };
      }
    }
    const next = reply.json.next_page_uri;
    // Newest first: once a page reaches back past the attempt, older pages cannot hold it.
    if (olderThanSince || typeof next !== 'string' || next === '') return { kind: 'not-found' };
    const nextUrl = new URL(next, `${baseUrl}/`);
    // The next page is Twilio's, on the host we called: never a URL the answer points elsewhere.
    if (nextUrl.origin !== new URL(baseUrl).origin) return { kind: 'unknown', detail: 'next_page_uri points to another host' };
    url = nextUrl.href;
  }
  return { kind: 'unknown', detail: `no match in the ${LOOKUP_PAGES * LOOKUP_PAGE_SIZE} newest messages to the number, and more remain` };
}

// --- Send outcomes ---------------------------------------------------------------------

/** Error codes that mean this text can never go as it is. */
const PERMANENT_CODES: ReadonlyMap<number, PermanentReason> = new Map<number, PermanentReason>([
  [21610, 'unsubscribed'], // the recipient replied STOP to this sender
  [21211, 'invalid-number'], // invalid 'To' number
  [21614, 'invalid-number'], // 'To' is not a mobile number
  [21612, 'invalid-number'], // 'To' cannot be reached by SMS from this sender
  [21408, 'blocked'], // sending to the destination's region is not enabled on the account
  [30004, 'blocked'], // message blocked
  [30007, 'blocked'], // carrier filtering (spam)
]);

/**
 * 20003 is our credentials, not this message: a fallback gateway can still send it,
 * whatever HTTP status Twilio pairs it with.
 */
const AUTHENTICATION_FAILED = 20003;

function outcomeOf(reply: VendorReply): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) return acceptedOf(reply);
  const error = twilioErrorOf(reply.json);
  if (!error) return outcomeOfHttpStatus(reply, `Twilio answered ${reply.status}: ${reply.body}`);
  const code = `twilio-${error.code}`;
  const detail = `Twilio answered ${reply.status}: ${error.code} ${error.message}`;
  const reason = PERMANENT_CODES.get(error.code);
  if (reason) return { outcome: 'permanent', code, detail, reason };
  if (error.code === AUTHENTICATION_FAILED) return { outcome: 'retryable', code, detail };
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

const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['accepted', 'queued'],
  ['scheduled', 'queued'],
  ['queued', 'queued'],
  ['sending', 'queued'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'delivered'],
  ['undelivered', 'undelivered'],
  ['failed', 'failed'],
  ['canceled', 'failed'],
]);

/**
 * Twilio's request validation: base64 HMAC-SHA1, keyed with the auth token, of the URL
 * it called (query included) followed by every POST field's name and value, sorted by
 * name. The query is covered by the URL, so req.params (query and body merged) can be
 * trusted once this passes.
 */
function isSignedByTwilio(req: WebhookRequest, authToken: string): boolean {
  const signature = req.headers['x-twilio-signature'];
  if (!signature) return false;
  const fields = sortedFieldString(req.rawBody);
  return urlVariants(req.url).some((url) =>
    safeEqual(createHmac('sha1', authToken).update(url + fields, 'utf8').digest('base64'), signature),
  );
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

