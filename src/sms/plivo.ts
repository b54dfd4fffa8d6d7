import { createHmac } from 'node:crypto';
import type { PlivoSettings } from './gateway-config';
import type {
  DeliveryReceipt,
  DeliveryStatus,
  InboundSms,
  OutgoingSms,
  SendOutcome,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { basicAuth, callVendor, excerpt, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { forbidden, invalid, isRecord, safeEqual, stringParam } from './callback-parsing';

/**
 * Plivo's Message API: one JSON POST per text to /v1/Account/{auth_id}/Message/ with HTTP
 * Basic (auth id:auth token). Plivo answers 202 `{api_id, message, message_uuid: [id]}`,
 * or an error `{api_id, error: "<text>"}` with no code beyond the HTTP status. Its status
 * callbacks and inbound texts are form POSTs signed with X-Plivo-Signature-V3 (or, on
 * older set-ups, only X-Plivo-Signature-V2).
 */
export class PlivoGateway implements SmsGateway {
  readonly name = 'plivo';

  constructor(
    private readonly settings: PlivoSettings,
    private readonly callbacks: { statusUrl: string },
  ) {}

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
    if (!isSignedByPlivo(req, this.settings.authToken)) return forbidden('Plivo signature is missing or does not match');
    const vendorMessageId = stringParam(req, 'MessageUUID');
    const vendorStatus = stringParam(req, 'Status');
    if (!vendorMessageId || !vendorStatus) return invalid('MessageUUID and Status are required');
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown Status "${excerpt(vendorStatus, 40)}"`);
    const errorCode = stringParam(req, 'ErrorCode');
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...(errorCode ? { errorCode } : {}) }] };
  }

  /** Plivo gives numbers as country code and digits, without "+"; they are passed on as given. */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    if (!isSignedByPlivo(req, this.settings.authToken)) return forbidden('Plivo signature is missing or does not match');
    const from = stringParam(req, 'From');
    const to = stringParam(req, 'To');
    const text = stringParam(req, 'Text');
    if (!from || !to || text === undefined) return invalid('From, To and Text are required');
    // Plivo's inbound request carries no time: MessageUUID is what tells a replay apart.
    const uuid = stringParam(req, 'MessageUUID');
    return { ok: true, value: { from, to, text, ...(uuid ? { vendorMessageId: uuid } : {}) } };
  }
}

// --- Send outcomes ---------------------------------------------------------------------

function outcomeOf(reply: VendorReply, dst: string): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) return acceptedOf(reply, dst);
  const error = isRecord(reply.json) && typeof reply.json.error === 'string' ? reply.json.error : reply.body;
  const detail = `Plivo answered ${reply.status}: ${error}`;
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
 * V3 (what plivo-node's validateV3Signature and plivo-python's validate_v3_signature
 * check) covers the URL, the query and every POST field. The older V2 signs only the URL
 * and a nonce, so a captured request could be replayed with other fields (a forged STOP
 * for any number): V2 alone is not enough.
 */
function isSignedByPlivo(req: WebhookRequest, authToken: string): boolean {
  const v3 = req.headers['x-plivo-signature-v3'];
  const v3Nonce = req.headers['x-plivo-signature-v3-nonce'];
  return !!v3 && !!v3Nonce && anyMatches(v3, hmacSha256(authToken, `${v3SignedString(req)}.${v3Nonce}`));
}

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

