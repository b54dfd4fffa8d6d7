import { createHash, createHmac } from 'node:crypto';
import { SegmentedMessage } from 'sms-segments-calculator';
import { VONAGE_SIGNATURE_METHODS, type VonageSettings, type VonageSignatureMethod } from './gateway-config';
import type {
  DeliveryReceipt,
  DeliveryStatus,
  InboundSms,
  OutgoingSms,
  PermanentReason,
  SendOutcome,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { callVendor, excerpt, formBody, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { e164Of, forbidden, invalid, isoTime, isRecord, safeEqual, stringParam } from './callback-parsing';

/**
 * Vonage (Nexmo) SMS API: one form POST per text to {base}/sms/json with the account's
 * api_key and api_secret in the body. Vonage answers HTTP 200 even when it refuses: each
 * part of the text gets a `messages[]` entry whose `status` "0" is the only success
 * (https://developer.vonage.com/en/api-errors/sms). Delivery receipts and inbound texts
 * are trusted only when signed with the account's signature secret.
 *
 * Resending after an unknown outcome is at least once (no resendSafety): the SMS API
 * stores our client-ref but does not deduplicate by it, and the only documented lookup by
 * client-ref is the Reports API, a paid add-on that does not say how soon a text just
 * submitted appears in it, so its "not found" cannot be trusted to mean "never sent".
 */
export class VonageGateway implements SmsGateway {
  readonly name = 'vonage';
  private readonly now: () => Date;

  constructor(
    private readonly settings: VonageSettings,
    private readonly callbacks: { statusUrl: string },
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/sms/json`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      // Credentials in the body, never the query string, where proxies and access logs keep them.
      body: formBody({
        api_key: this.settings.apiKey,
        api_secret: this.settings.apiSecret,
        // Vonage numbers are digits only; an alphanumeric sender id goes as it is.
        from: this.settings.from.replace(/^\+/, ''),
        to: sms.to.replace(/^\+/, ''),
        text: sms.body,
        // Without type=unicode Vonage sends GSM-7 and mangles anything outside it.
        type: isGsm7(sms.body) ? undefined : 'unicode',
        callback: this.callbacks.statusUrl,
        // Echoed in every delivery receipt: ties a receipt to our message for support cases.
        'client-ref': sms.id,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const refusal = this.unverified(req);
    if (refusal) return refusal;
    const vendorMessageId = stringParam(req, 'messageId');
    const vendorStatus = stringParam(req, 'status');
    if (!vendorMessageId || !vendorStatus) return invalid('messageId and status are required');
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown status "${excerpt(vendorStatus, 40)}"`);
    // err-code "0" is Vonage saying "no error", not an error code.
    const errorCode = stringParam(req, 'err-code');
    const error = errorCode && errorCode !== '0' ? { errorCode } : {};
    // Vonage accepts a text to a number that opted out (status "0") and reports it later:
    // a failed or rejected receipt with err-code 9, "Illegal Number: user has requested not
    // to receive messages" (https://developer.vonage.com/en/opt-out-assist/guides/messaging-opted-out-numbers).
    const optedOut = errorCode === OPTED_OUT_ERR_CODE && status === 'failed' ? { optedOut: true } : {};
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...error, ...optedOut }] };
  }

  /**
   * A long text reaches us as separate webhooks, one per part (concat-part): each is
   * passed on as it came. Opt-out words (STOP, HELP) always fit in one part.
   */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const refusal = this.unverified(req);
    if (refusal) return refusal;
    const msisdn = stringParam(req, 'msisdn');
    const to = stringParam(req, 'to');
    // An empty text is a real (if odd) text; a missing one is not a Vonage inbound request.
    const text = stringParam(req, 'text');
    if (!msisdn || !to || text === undefined) return invalid('msisdn, to and text are required');
    const messageId = stringParam(req, 'messageId');
    // message-timestamp is UTC, "2020-01-01 12:00:00".
    const sentAt = isoTime(stringParam(req, 'message-timestamp')?.replace(' ', 'T').concat('Z'));
    return { ok: true, value: { from: e164Of(msisdn), to: e164Of(to), text, ...(messageId ? { vendorMessageId: messageId } : {}), ...(sentAt ? { sentAt } : {}) } };
  }

  /**
   * Vonage callbacks carry no credentials of their own, so an unsigned one could come from
   * anyone: without a signature secret we refuse them all rather than trust them.
   */
  private unverified(req: WebhookRequest): { ok: false; status: 403; error: string } | undefined {
    const secret = this.settings.signatureSecret;
    if (!secret) return forbidden('VONAGE_SIGNATURE_SECRET is not set');
    const params = signedParamsOf(req.params);
    if (!params) return forbidden('callback fields must be plain values to be verified');
    if (!isSignedByVonage(params, secret, this.settings.signatureMethod)) return forbidden('sig is missing or does not match');
    if (!this.isFresh(params.timestamp)) return forbidden('timestamp is missing or more than 5 minutes from now');
    return undefined;
  }

  /** The signed timestamp bounds how long a captured callback can be replayed. */
  private isFresh(timestamp: string | undefined): boolean {
    if (!timestamp || !/^\d+$/.test(timestamp)) return false;
    return Math.abs(this.now().getTime() - Number(timestamp) * 1000) <= MAX_CLOCK_SKEW_MS;
  }
}

const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The delivery-receipt err-code for a recipient who opted out (STOP). */
const OPTED_OUT_ERR_CODE = '9';

/** GSM 03.38 (basic and extension tables) is what Vonage's default type=text can carry. */
function isGsm7(body: string): boolean {
  return new SegmentedMessage(body).encodingName === 'GSM-7';
}

// --- Send outcomes ---------------------------------------------------------------------

type Verdict = { retry: true; throttled?: true } | { reason: PermanentReason };

/**
 * What each documented status means for this text. Statuses about our account (its
 * credentials, suspension, credit, provisioning) are retryable: the text itself is fine,
 * and a fallback gateway, or the account once fixed, can still send it. Any status not
 * listed refuses the text for good, as Vonage documents every non-zero status as an error.
 */
const VERDICT_OF: ReadonlyMap<string, Verdict> = new Map<string, Verdict>([
  ['1', { retry: true, throttled: true }], // throttled: faster than the account limit
  ['2', { reason: 'rejected' }], // missing parameters
  ['3', { reason: 'rejected' }], // invalid parameters
  ['4', { retry: true }], // invalid credentials
  ['5', { retry: true }], // internal error
  ['6', { reason: 'invalid-number' }], // invalid message: e.g. an unrecognised number prefix
  // number barred: "on the list of barred numbers", Vonage's blacklist, where it puts the
  // numbers that replied STOP (https://api.support.vonage.com/hc/en-us/articles/204014713):
  // treated as the opt-out it almost always is, so the number is suppressed here too.
  ['7', { reason: 'unsubscribed' }],
  ['8', { retry: true }], // partner account barred: the account is suspended
  ['9', { retry: true }], // partner quota violation: out of credit
  ['10', { retry: true, throttled: true }], // too many existing binds
  ['11', { retry: true }], // account not enabled for HTTP
  ['12', { reason: 'rejected' }], // message too long
  ['14', { retry: true }], // invalid signature: our credentials
  ['15', { reason: 'rejected' }], // invalid sender address
  ['22', { reason: 'rejected' }], // invalid network code
  ['23', { reason: 'rejected' }], // invalid callback URL
  ['29', { reason: 'blocked' }], // non-whitelisted destination (demo account)
  ['32', { reason: 'rejected' }], // signature and api_secret both sent
  ['33', { reason: 'invalid-number' }], // number de-activated
]);

function outcomeOf(reply: VendorReply): SendOutcome {
  if (reply.status !== 200) return outcomeOfHttpStatus(reply, `Vonage answered ${reply.status}: ${reply.body}`);
  const parts = partsOf(reply.json);
  if (!parts) {
    return { outcome: 'retryable', code: 'malformed-reply', detail: `Vonage answered 200 without messages[]: ${reply.body}` };
  }
  // Every part must have gone: a text missing a part may have lost its link.
  const failed = parts.find((part) => part.status !== '0');
  if (failed) return outcomeOfPart(failed);
  const [first] = parts;
  if (!first.messageId) {
    return { outcome: 'retryable', code: 'malformed-reply', detail: `Vonage accepted the text without a message-id: ${reply.body}` };
  }
  // A long text has one id per part; receipts for the first part are the ones we match.
  return { outcome: 'accepted', vendorMessageId: first.messageId, code: 'vonage-0' };
}

function outcomeOfPart(part: Part): SendOutcome {
  const code = `vonage-${part.status}`;
  const detail = part.errorText || `status ${part.status}`;
  const verdict = VERDICT_OF.get(part.status) ?? { reason: 'rejected' };
  if ('reason' in verdict) return { outcome: 'permanent', code, detail, reason: verdict.reason };
  return { outcome: 'retryable', code, detail, ...(verdict.throttled ? { throttled: true } : {}) };
}

interface Part {
  status: string;
  messageId?: string;
  errorText?: string;
}

/** The parts of a Vonage answer; undefined when the body is not one (empty, or a proxy's page). */
function partsOf(json: unknown): Part[] | undefined {
  if (!isRecord(json) || !Array.isArray(json.messages) || json.messages.length === 0) return undefined;
  const parts: Part[] = [];
  for (const message of json.messages) {
    if (!isRecord(message) || typeof message.status !== 'string') return undefined;
    parts.push({
      status: message.status,
      ...(typeof message['message-id'] === 'string' ? { messageId: message['message-id'] } : {}),
      ...(typeof message['error-text'] === 'string' ? { errorText: message['error-text'] } : {}),
    });
  }
  return parts;
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * "unknown" means the carrier never reported a final state: the text left Vonage and may
 * well have arrived, so it stays "sent" rather than be counted as a failure it may not be.
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['delivered', 'delivered'],
  ['accepted', 'sent'],
  ['buffered', 'sent'],
  ['unknown', 'sent'],
  ['expired', 'failed'],
  ['failed', 'failed'],
  ['rejected', 'failed'],
]);

/**
 * The fields Vonage signed, as text. Vonage sends flat string fields (query, form or JSON);
 * numbers and booleans are taken as their text, and anything nested cannot have been
 * signed the way Vonage signs, so the callback cannot be verified.
 */
function signedParamsOf(params: Record<string, unknown>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return undefined;
    out[name] = String(value);
  }
  return out;
}

/**
 * Vonage's signed webhooks (https://developer.vonage.com/en/getting-started/concepts/signing-messages):
 * every field but sig, sorted by name, as "&name=value" with any "&" or "=" in a value
 * replaced by "_". The account picks its method in the dashboard: "MD5 hash" (the default)
 * is md5(that string + secret); MD5, SHA1, SHA-256 and SHA-512 HMAC key the HMAC with the
 * secret. With VONAGE_SIGNATURE_METHOD set only that method is accepted; unset, any of the
 * five, each computed with the secret. Vonage's libraries differ in hex case (the HMACs
 * come upper-case from some), so case is ignored.
 * These params are the query and body merged, so the callback URL must carry no query
 * string of its own: Vonage would not have signed it.
 */
function isSignedByVonage(params: Record<string, string>, secret: string, method: VonageSignatureMethod | undefined): boolean {
  const { sig, ...signed } = params;
  if (!sig) return false;
  const base = Object.keys(signed)
    .sort()
    .map((name) => `&${name}=${signed[name].replace(/[&=]/g, '_')}`)
    .join('');
  const given = sig.toLowerCase();
  const methods = method ? [method] : VONAGE_SIGNATURE_METHODS;
  return methods.some((m) => safeEqual(vonageSignature(m, base, secret), given));
}

function vonageSignature(method: VonageSignatureMethod, base: string, secret: string): string {
  if (method === 'md5hash') return createHash('md5').update(base + secret, 'utf8').digest('hex');
  return createHmac(method, secret).update(base, 'utf8').digest('hex');
}
