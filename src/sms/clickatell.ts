import type { ClickatellSettings } from './gateway-config';
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
import { callVendor, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { e164Of, invalid, isoTime, isRecord, safeEqual, stringParam } from './callback-parsing';

/**
 * Clickatell Platform (portal.clickatell.com accounts, the SMS REST integration): one JSON
 * POST per text to {base}/messages with the integration's API key as the whole
 * Authorization header. It answers 202 with one `messages[]` entry per recipient, each
 * `accepted` or carrying an `error`; a refused request carries a top-level `error`.
 * Callbacks cannot be signed, so they must present HTTP Basic credentials (set in the
 * integration's callback settings).
 */
export class ClickatellGateway implements SmsGateway {
  readonly name = 'clickatell';

  constructor(private readonly settings: ClickatellSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const from = this.settings.from?.replace(/^\+/, '');
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/messages`,
      headers: { Authorization: this.settings.apiKey, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        content: sms.body,
        // International format without "+" or "00".
        to: [sms.to.replace(/^\+/, '')],
        ...(from ? { from } : {}),
        // Echoed in status callbacks: ties a receipt to our message for support cases.
        clientMessageId: sms.id,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  /** The message status callback: one message's state, as a JSON (or form) body. */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const refusal = this.unauthenticated(req);
    if (refusal) return refusal;
    const vendorMessageId = stringParam(req, 'messageId') ?? stringParam(req, 'apiMessageId');
    // statusCode is the number; status is its name, or the number itself on older callbacks.
    const code = numberOf(req.params.statusCode) ?? numberOf(req.params.status);
    if (!vendorMessageId || code === undefined) return invalid('messageId and statusCode are required');
    const status = DELIVERY_STATUS_OF.get(code);
    if (!status) return invalid(`unknown statusCode ${code}`);
    const vendorStatus = stringParam(req, 'status') ?? threeDigits(code);
    // A failed status's number is the only error code Clickatell gives.
    const error = status === 'failed' || status === 'undelivered' ? { errorCode: threeDigits(code) } : {};
    return { ok: true, value: [{ vendorMessageId, status, vendorStatus, ...error }] };
  }

  /** The reply (MO) callback: `fromNumber`, `toNumber`, `text`, among others. */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const refusal = this.unauthenticated(req);
    if (refusal) return refusal;
    const from = stringParam(req, 'fromNumber');
    const to = stringParam(req, 'toNumber');
    const text = stringParam(req, 'text');
    if (!from || !to || text === undefined) return invalid('fromNumber, toNumber and text are required');
    const messageId = stringParam(req, 'messageId');
    // timestamp: milliseconds since the epoch (or an ISO time).
    const raw = req.params.timestamp;
    const timestamp = typeof raw === 'number' ? String(raw) : stringParam(req, 'timestamp');
    const sentAt = timestamp && /^\d+$/.test(timestamp) ? isoTime(new Date(Number(timestamp)).toISOString()) : isoTime(timestamp);
    return { ok: true, value: { from: e164Of(from), to: e164Of(to), text, ...(messageId ? { vendorMessageId: messageId } : {}), ...(sentAt ? { sentAt } : {}) } };
  }

  /** Anyone can post to a callback URL: without credentials configured to check, nothing is trusted. */
  private unauthenticated(req: WebhookRequest): { ok: false; status: 401 | 403; error: string } | undefined {
    const { callbackUser, callbackPassword } = this.settings;
    if (!callbackUser || !callbackPassword) {
      return { ok: false, status: 403, error: 'CLICKATELL_CALLBACK_USER/PASSWORD are not set' };
    }
    const given = basicCredentialsOf(req.headers.authorization);
    if (given === undefined || !safeEqual(`${callbackUser}:${callbackPassword}`, given)) {
      return { ok: false, status: 401, error: 'HTTP Basic credentials are missing or wrong' };
    }
    return undefined;
  }
}

// --- Send outcomes ---------------------------------------------------------------------

function outcomeOf(reply: VendorReply): SendOutcome {
  const success = reply.status >= 200 && reply.status < 300;
  const message = firstMessageOf(reply.json);
  if (success && message?.accepted === true && typeof message.apiMessageId === 'string' && message.apiMessageId) {
    return { outcome: 'accepted', vendorMessageId: message.apiMessageId };
  }
  const detail = `Clickatell answered ${reply.status}: ${reply.body}`;
  // Throttling and outages: the status (and Retry-After) says all there is to say.
  if (reply.status === 429 || reply.status >= 500) return outcomeOfHttpStatus(reply, detail);
  const error = clickatellErrorOf(message?.error) ?? clickatellErrorOf(isRecord(reply.json) ? reply.json.error : undefined);
  if (error) return outcomeOfClickatellError(error);
  if (success) return { outcome: 'retryable', code: 'malformed-reply', detail };
  return outcomeOfHttpStatus(reply, detail);
}

function firstMessageOf(json: unknown): Record<string, unknown> | undefined {
  if (!isRecord(json) || !Array.isArray(json.messages)) return undefined;
  const [first] = json.messages;
  return isRecord(first) ? first : undefined;
}

export interface ClickatellError {
  /** Clickatell's error number ("105" arrives as 105), when the answer gives one. */
  code?: number;
  description: string;
}

/**
 * Clickatell has written errors as plain descriptions ("Invalid destination address.")
 * and as objects `{code, description, documentation}`: both are read.
 */
function clickatellErrorOf(value: unknown): ClickatellError | undefined {
  if (typeof value === 'string' && value.trim()) return { description: value.trim() };
  if (!isRecord(value)) return undefined;
  const code = numberOf(value.code);
  const description = typeof value.description === 'string' ? value.description : '';
  if (code === undefined && !description) return undefined;
  return { ...(code !== undefined ? { code } : {}), description };
}

type Verdict = { retry: true } | { reason: PermanentReason };

/**
 * Clickatell's error numbers (shared by the Platform and the legacy HTTP API), each with
 * the words of its description, since some answers carry only the description. Errors
 * about our account (credentials, IP lockdown, credit, volume caps) are retryable: the
 * text itself is fine, and a fallback gateway, or the account once fixed, can send it.
 * Any error not listed refuses the text as sent.
 */
const CLICKATELL_ERRORS: readonly { code: number; words: RegExp; verdict: Verdict }[] = [
  { code: 1, words: /authentication failed/i, verdict: { retry: true } },
  { code: 2, words: /unknown user ?name or password/i, verdict: { retry: true } },
  { code: 4, words: /account frozen/i, verdict: { retry: true } },
  { code: 7, words: /ip lockdown/i, verdict: { retry: true } },
  { code: 105, words: /invalid destination/i, verdict: { reason: 'invalid-number' } },
  { code: 108, words: /invalid or missing api id/i, verdict: { retry: true } },
  { code: 113, words: /message parts exceeded/i, verdict: { reason: 'rejected' } },
  { code: 114, words: /cannot route/i, verdict: { reason: 'blocked' } },
  { code: 121, words: /number blocked/i, verdict: { reason: 'blocked' } },
  { code: 122, words: /opted out/i, verdict: { reason: 'unsubscribed' } },
  { code: 128, words: /number delisted/i, verdict: { reason: 'invalid-number' } },
  { code: 130, words: /mt limit exceeded/i, verdict: { retry: true } },
  { code: 301, words: /no credit/i, verdict: { retry: true } },
  { code: 901, words: /internal error/i, verdict: { retry: true } },
];

/** What a Clickatell error means for this text; the legacy HTTP adapter reads its ERR lines with it too. */
export function outcomeOfClickatellError(error: ClickatellError): SendOutcome {
  const known =
    error.code !== undefined
      ? CLICKATELL_ERRORS.find((e) => e.code === error.code)
      : CLICKATELL_ERRORS.find((e) => e.words.test(error.description));
  const number = error.code ?? known?.code;
  const code = number !== undefined ? `clickatell-${threeDigits(number)}` : 'clickatell-error';
  const detail = number !== undefined ? `${threeDigits(number)}: ${error.description}` : error.description;
  const verdict = known?.verdict ?? { reason: 'rejected' };
  return 'reason' in verdict ? { outcome: 'permanent', code, detail, reason: verdict.reason } : { outcome: 'retryable', code, detail };
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * Clickatell's message status numbers (written "004" or 4). "Received by recipient" is
 * the handset's own receipt; "delivered to gateway" only means a carrier took it.
 * "Error delivering message" is the carrier failing to reach the handset (undelivered);
 * the other errors mean the text never left Clickatell as it should (failed).
 */
const DELIVERY_STATUS_OF: ReadonlyMap<number, DeliveryStatus> = new Map<number, DeliveryStatus>([
  [1, 'queued'], // message unknown (yet): reporting can lag the send
  [2, 'queued'], // queued
  [3, 'sent'], // delivered to gateway
  [4, 'delivered'], // received by recipient
  [5, 'failed'], // error with message (its content)
  [6, 'failed'], // user cancelled message delivery
  [7, 'undelivered'], // error delivering message to the handset
  [8, 'queued'], // received by gateway
  [9, 'failed'], // routing error
  [10, 'failed'], // expired before it reached a carrier
  [11, 'queued'], // queued for later delivery
  [12, 'failed'], // out of credit
  [14, 'failed'], // maximum MT limit exceeded
]);

/** 4, "4" and "004" are the same status; a name ("RECEIVED_BY_RECIPIENT") is not a number. */
function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,3}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function threeDigits(code: number): string {
  return String(code).padStart(3, '0');
}

/** The "user:password" of an HTTP Basic Authorization header. */
function basicCredentialsOf(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
}

