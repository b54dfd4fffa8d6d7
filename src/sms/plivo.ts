import { createHash, createHmac } from 'node:crypto';
import type { PlivoSettings } from './gateway-config';
import type {
  DeliveryReceipt,
  DeliveryStatus,
  InboundSms,
  OutgoingSms,
  SendOutcome,
  SentLookup,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { basicAuth, callVendor, excerpt, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { forbidden, invalid, isRecord, safeEqual, stringParam } from './callback-parsing';

/**
 * Plivo's Message API (https://www.plivo.com/docs/messaging/api/message/send-a-message):
 * one JSON POST per text to /v1/Account/{auth_id}/Message/ with HTTP Basic (auth id:auth
 * token). Plivo answers 202 `{api_id, message, message_uuid: [id]}`, or an error
 * `{api_id, error: "<text>"}` with no code beyond the HTTP status. Its status callbacks and
 * inbound texts are form POSTs signed with X-Plivo-Signature-V2 (messaging; and -Ma-V2 with
 * the main account's token) or, on newer accounts, X-Plivo-Signature-V3 / -Ma-V3.
 *
 * Resend safety is a lookup: the send takes no reference of ours, but the Message list
 * API filters outbound texts by recipient, sender and time
 * (https://www.plivo.com/docs/messaging/api/message/list-all-messages).
 */
export class PlivoGateway implements SmsGateway {
  readonly name = 'plivo';
  readonly resendSafety = 'lookup' as const;
  /** V2 nonces seen, with the body each came with (see isSignedByPlivo). */
  private readonly v2Nonces = new BoundedMemory(V2_NONCES_REMEMBERED);

  constructor(
    private readonly settings: PlivoSettings,
    private readonly callbacks: { statusUrl: string },
  ) {}

  /**
   * Whether Plivo has an outbound text from our number to this recipient since the unknown
   * attempt began. Plivo's message records carry no text and no reference of ours, so a
   * text to the same number in that window counts as this one: the outbox sends a number
   * at most one text a minute, so another in the same few seconds is not expected. The
   * record exists once Plivo has answered 202 (the answer carries its uuid); the list API
   * is limited to 20 requests a minute, and a 429 or any other trouble is 'unknown'.
   */
  async findSent(sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
    const { authId, authToken, baseUrl, from } = this.settings;
    const start = new Date(Date.parse(since) - LOOKUP_SLACK_MS);
    if (Number.isNaN(start.getTime())) return { kind: 'unknown', detail: `since is not a time: ${since}` };
    const query = new URLSearchParams({
      message_direction: 'outbound',
      to_number: `+${sms.to.replace(/\D/g, '')}`,
      from_number: /^\+?\d+$/.test(from) ? `+${from.replace(/\D/g, '')}` : from,
      message_time__gte: plivoTime(start),
      limit: '20',
    });
    const call = await callVendor({
      method: 'GET',
      url: `${baseUrl}/v1/Account/${encodeURIComponent(authId)}/Message/?${query.toString()}`,
      headers: { Authorization: basicAuth(authId, authToken), Accept: 'application/json' },
      signal,
    });
    if (!call.ok) return { kind: 'unknown', detail: `Plivo's message list could not be read: ${call.outcome.outcome === 'accepted' ? '' : call.outcome.detail}` };
    return lookupOf(call.reply);
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const { authId, authToken, baseUrl, from } = this.settings;
    // Plivo wants country code and digits; it would strip "+" itself, but "<" separates
    // several destinations, so nothing but digits goes in dst.
    const dst = sms.to.replace(/\D/g, '');
    const call = await callVendor({
      method: 'POST',
      url: `${baseUrl}/v1/Account/${encodeURIComponent(authId)}/Message/`,
      headers: { Authorization: basicAuth(authId, authToken), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ src: from, dst, text: sms.body, url: this.callbacks.statusUrl, method: 'POST' }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply, dst) : call.outcome;
  }

  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    if (!this.isSignedByPlivo(req)) return forbidden('Plivo signature is missing or does not match');
    const vendorMessageId = stringParam(req, 'MessageUUID');
    const vendorStatus = stringParam(req, 'Status');
    if (!vendorMessageId || !vendorStatus) return invalid('MessageUUID and Status are required');
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown Status "${excerpt(vendorStatus, 40)}"`);
    const errorCode = stringParam(req, 'ErrorCode');
    // Plivo blocks a text to a number that replied STOP and reports it failed with error
    // 200 (https://www.plivo.com/docs/messaging/troubleshooting/error-codes).
    const optedOut = errorCode === OPTED_OUT_ERROR_CODE ? { optedOut: true } : {};
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...(errorCode ? { errorCode } : {}), ...optedOut }] };
  }

  /** Plivo gives numbers as country code and digits, without "+"; they are passed on as given. */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    if (!this.isSignedByPlivo(req)) return forbidden('Plivo signature is missing or does not match');
    const from = stringParam(req, 'From');
    const to = stringParam(req, 'To');
    const text = stringParam(req, 'Text');
    if (!from || !to || text === undefined) return invalid('From, To and Text are required');
    // Plivo's inbound request carries no time: MessageUUID is what tells a replay apart.
    const uuid = stringParam(req, 'MessageUUID');
    return { ok: true, value: { from, to, text, ...(uuid ? { vendorMessageId: uuid } : {}) } };
  }

  /**
   * Plivo's documented schemes (https://www.plivo.com/docs/messaging/concepts/signature-validation,
   * and plivo-node's validateV3Signature for V3), each checked with our auth token:
   * - V3 (and -Ma-V3) covers the URL, the query and every POST field: when a V3 header is
   *   there, it alone decides (a wrong V3 never falls back to V2).
   * - V2 (and -Ma-V2), what messaging callbacks carry, covers only the URL and a nonce, so
   *   a captured request's headers would pass with other fields (a forged STOP). A V2
   *   nonce seen before is accepted again only with the very same body (Plivo retrying,
   *   or a replay that changes nothing); with another body it is refused.
   * The -Ma- headers are signed with the main account's token: they match when
   * PLIVO_AUTH_TOKEN is the main account's, the plain ones when it is the subaccount's.
   */
  private isSignedByPlivo(req: WebhookRequest): boolean {
    const token = this.settings.authToken;
    const v3Headers = [req.headers['x-plivo-signature-v3'], req.headers['x-plivo-signature-ma-v3']].filter(isPresent);
    if (v3Headers.length) {
      const nonce = req.headers['x-plivo-signature-v3-nonce'];
      if (!nonce) return false;
      const expected = hmacSha256(token, `${v3SignedString(req)}.${nonce}`);
      return v3Headers.some((header) => anyMatches(header, expected));
    }
    const v2Headers = [req.headers['x-plivo-signature-v2'], req.headers['x-plivo-signature-ma-v2']].filter(isPresent);
    const nonce = req.headers['x-plivo-signature-v2-nonce'];
    if (!v2Headers.length || !nonce) return false;
    const expected = hmacSha256(token, urlWithoutQuery(req.url) + nonce);
    if (!v2Headers.some((header) => anyMatches(header, expected))) return false;
    return this.v2Nonces.firstOrSame(nonce, createHash('sha256').update(`${req.url}\n${req.rawBody}`).digest('base64'));
  }
}

/** Plivo's error code for a text blocked because the recipient replied STOP. */
const OPTED_OUT_ERROR_CODE = '200';

/** How far before the unknown attempt's start the lookup reaches (clock differences). */
const LOOKUP_SLACK_MS = 60_000;

/** V2 nonces kept, oldest forgotten first: a day of callbacks for a busy account. */
const V2_NONCES_REMEMBERED = 100_000;

function isPresent(value: string | undefined): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * Remembers what each key first came with, up to a fixed number of keys (the oldest are
 * forgotten first), so the memory a stream of forged callbacks can take is bounded.
 */
class BoundedMemory {
  private readonly seen = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  /** True the first time a key is seen, and again only with the same value. */
  firstOrSame(key: string, value: string): boolean {
    const before = this.seen.get(key);
    if (before !== undefined) return before === value;
    this.seen.set(key, value);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value as string);
    return true;
  }
}

// --- Resend lookup -----------------------------------------------------------------------

/** Plivo's filter times: "YYYY-MM-DD HH:MM:ss", UTC. */
function plivoTime(at: Date): string {
  return at.toISOString().slice(0, 19).replace('T', ' ');
}

/** The list answer `{api_id, meta, objects: [{message_uuid, message_direction, ...}]}`. */
function lookupOf(reply: VendorReply): SentLookup {
  if (reply.status !== 200) {
    const error = isRecord(reply.json) && typeof reply.json.error === 'string' ? reply.json.error : reply.body;
    return { kind: 'unknown', detail: `Plivo's message list answered ${reply.status}: ${error}` };
  }
  if (!isRecord(reply.json) || !Array.isArray(reply.json.objects)) {
    return { kind: 'unknown', detail: `Plivo's message list answered without objects: ${reply.body}` };
  }
  const found = (reply.json.objects as unknown[]).find(
    (record): record is Record<string, unknown> => isRecord(record) && typeof record.message_uuid === 'string' && record.message_uuid !== '',
  );
  if (!found) return { kind: 'not-found' };
  return { kind: 'found', vendorMessageId: found.message_uuid as string, ...(typeof found.message_state === 'string' ? { code: found.message_state } : {}) };
}

// --- Send outcomes ---------------------------------------------------------------------

function outcomeOf(reply: VendorReply, dst: string): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) return acceptedOf(reply, dst);
  const error = isRecord(reply.json) && typeof reply.json.error === 'string' ? reply.json.error : reply.body;
  const detail = `Plivo answered ${reply.status}: ${error}`;
  // After a text fails with error 900, Plivo refuses sends with "Insufficient Credit" for
  // two minutes (https://support.plivo.com/support/solutions/articles/17000088423): our
  // account's trouble, not the text's, so a fallback gateway may still send it.
  if (/insufficient credit/i.test(error)) return { outcome: 'retryable', code: 'plivo-insufficient-credit', detail };
  if (reply.status === 400 && namesInvalidDestination(error)) {
    return { outcome: 'permanent', code: 'http-400', detail, reason: 'invalid-number' };
  }
  return outcomeOfHttpStatus(reply, detail);
}

/**
 * A 2xx without a message uuid is either Plivo listing our one destination under
 * invalid_number (nothing was queued, and never will be), or not Plivo's answer at all
 * (a proxy, most likely): then the text probably never reached Plivo, and a retry risking
 * a duplicate beats a caller who never gets the link.
 */
function acceptedOf(reply: VendorReply, dst: string): SendOutcome {
  const answer = isRecord(reply.json) ? reply.json : {};
  const [uuid] = listOf(answer.message_uuid);
  if (typeof uuid === 'string' && uuid !== '') return { outcome: 'accepted', vendorMessageId: uuid };
  const detail = `Plivo answered ${reply.status} without a message uuid: ${reply.body}`;
  if (listOf(answer.invalid_number).map(String).includes(dst)) {
    return { outcome: 'permanent', code: 'plivo-invalid-number', detail, reason: 'invalid-number' };
  }
  return { outcome: 'retryable', code: 'malformed-reply', detail };
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

/** Plivo's 400 texts are free-form ("invalid dst", "dst parameter is not valid", ...). */
function namesInvalidDestination(error: string): boolean {
  return /\b(dst|destination)\b/i.test(error) && /\b(invalid|not valid)\b/i.test(error);
}

// --- Webhooks --------------------------------------------------------------------------

const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['queued', 'queued'],
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['undelivered', 'undelivered'],
  ['failed', 'failed'],
  ['rejected', 'failed'],
]);

/**
 * The URL without its query, then "?" and the query's pairs sorted as "name=value" joined
 * by "&", then (when both are present) ".", then the POST fields sorted as "namevalue"
 * with no separator. The "?" appears whenever there is a query or a field.
 */
function v3SignedString(req: WebhookRequest): string {
  const query = sortedPairs(new URLSearchParams(queryOf(req.url))).map(([name, value]) => `${name}=${value}`).join('&');
  const fields = sortedPairs(new URLSearchParams(req.rawBody));
  const separator = query && fields.length ? '.' : '';
  const head = query || fields.length ? `${urlWithoutQuery(req.url)}?${query}${separator}` : urlWithoutQuery(req.url);
  return head + fields.map(([name, value]) => name + value).join('');
}

/** Sorted by name, then a repeated name's values sorted, as both Plivo SDKs do. */
function sortedPairs(params: URLSearchParams): [string, string][] {
  return [...params].sort(([n1, v1], [n2, v2]) => compare(n1, n2) || compare(v1, v2));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function urlWithoutQuery(url: string): string {
  return url.split('#')[0].split('?')[0];
}

function queryOf(url: string): string {
  const withoutFragment = url.split('#')[0];
  const at = withoutFragment.indexOf('?');
  return at < 0 ? '' : withoutFragment.slice(at + 1);
}

function hmacSha256(key: string, data: string): string {
  return createHmac('sha256', key).update(data, 'utf8').digest('base64');
}

/** An account with several active auth tokens gets a comma-separated list of signatures. */
function anyMatches(header: string, expected: string): boolean {
  return header.split(',').some((signature) => safeEqual(expected, signature.trim()));
}

