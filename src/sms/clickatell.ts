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
import { e164Of, invalid, isRecord, safeEqual } from './callback-parsing';

/**
 * Clickatell One API (portal.clickatell.com "SMS setup" of type One API).
 *
 * Sending: one JSON POST per text to {base}/v1/message with the integration's API key as
 * the whole Authorization header, `{"messages": [{"channel": "sms", "to", "content",
 * "from", "clientMessageId"}]}`. The answer is 202 with one `messages[]` entry per
 * message, `accepted` under an `apiMessageId` or carrying an `error` `{code, description}`;
 * a request refused whole carries a top-level `error` (400, 401, 402...; 207 when some
 * messages of a batch were taken and some not).
 *   https://guides.clickatell.com/clickatell-chat-commerce-platform/developer/channels/whatsapp-and-sms-one-api/api-reference/messages/send-messages
 *   https://www.clickatell.com/developers/api-documentation/one-api-send-plain-text-message/
 *
 * Callbacks are nested: `{"integrationId", "integrationName", "event": {"messageStatusUpdate":
 * [...]}}` for status and `{"event": {"moText": [...]}}` for replies, one event per request
 * for now, more later; unknown events and fields must not break us, and a callback
 * answered with anything but 2xx is retried (so duplicates happen).
 *   https://help.clickatell.com/developers-api-reference/reference/one-api-client-callbacks
 *
 * Clickatell does not sign callbacks. The only check it offers is HTTP Basic credentials
 * set with the callback URL in the portal, so every callback must present those (compared
 * in constant time). There is no signed timestamp, so a stale callback cannot be told
 * from a fresh one: replays are harmless instead (receipts only move forward; an inbound
 * text's messageId is remembered).
 *
 * Resend after an unknown outcome: at least once. The One API neither deduplicates by
 * clientMessageId nor lets us look a message up by it: its only lookup,
 * GET /v1/message/{omniMessageId}, takes Clickatell's own id, which a lost answer never
 * gave us (https://help.clickatell.com/developers-api-reference/reference/one-api). So
 * neither resendSafety nor findSent is offered.
 */
export class ClickatellGateway implements SmsGateway {
  readonly name = 'clickatell';

  constructor(private readonly settings: ClickatellSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const from = this.settings.from?.replace(/^\+/, '');
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/v1/message`,
      headers: { Authorization: this.settings.apiKey, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        messages: [
          {
            channel: 'sms',
            // International format without "+" or "00".
            to: sms.to.replace(/^\+/, ''),
            content: sms.body,
            // A two-way number of the integration; without it Clickatell picks the sender.
            ...(from ? { from } : {}),
            // Echoed in status callbacks (and replies, as relatedClientMessageId): ties
            // them to our message for support cases.
            clientMessageId: sms.id,
          },
        ],
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  /** The status callback: `event.messageStatusUpdate[]`, one receipt per entry. */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const refusal = this.unauthenticated(req);
    if (refusal) return refusal;
    const event = req.params.event;
    if (!isRecord(event)) return invalid('a One API callback has an event object');
    // Another kind of event (a reply sent to the status URL, a future event type): nothing
    // to apply, and answering 2xx keeps Clickatell from retrying it forever.
    if (event.messageStatusUpdate === undefined) return { ok: true, value: [] };
    if (!Array.isArray(event.messageStatusUpdate)) return invalid('event.messageStatusUpdate must be a list');
    const receipts: DeliveryReceipt[] = [];
    for (const entry of event.messageStatusUpdate) {
      if (!isRecord(entry) || typeof entry.messageId !== 'string' || !entry.messageId) {
        return invalid('each messageStatusUpdate needs a messageId');
      }
      const code = statusCodeOf(entry.statusCode);
      if (code === undefined) return invalid('each messageStatusUpdate needs a numeric statusCode');
      const receipt = receiptOf(entry.messageId, code, typeof entry.status === 'string' ? entry.status : undefined);
      if (receipt) receipts.push(receipt);
    }
    return { ok: true, value: receipts };
  }

  /** The reply callback: `event.moText[]` (`from`, `to`, `content`, `messageId`, `timestamp`). */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const refusal = this.unauthenticated(req);
    if (refusal) return refusal;
    const event = req.params.event;
    if (!isRecord(event)) return invalid('a One API callback has an event object');
    // One event per callback today (the docs say batches may come later; we read the first).
    const text = firstOf(event.moText);
    // A media or other reply has no text to act on; it is acknowledged (as text "")
    // so that Clickatell does not retry it.
    const entry = text ?? firstOf(event.moMedia) ?? firstOf(event.moLocation);
    if (!entry || typeof entry.from !== 'string' || typeof entry.to !== 'string' || !entry.from || !entry.to) {
      return invalid('event.moText needs from and to');
    }
    if (text && typeof text.content !== 'string') return invalid('event.moText needs content');
    const messageId = typeof entry.messageId === 'string' && entry.messageId ? entry.messageId : undefined;
    // Millisecond timestamps, stamped when Clickatell received the reply.
    const sentAt =
      typeof entry.timestamp === 'number' && Number.isFinite(entry.timestamp) && entry.timestamp > 0
        ? new Date(entry.timestamp).toISOString()
        : undefined;
    return {
      ok: true,
      value: {
        from: e164Of(entry.from),
        to: e164Of(entry.to),
        text: text ? String(text.content) : '',
        ...(messageId ? { vendorMessageId: messageId } : {}),
        ...(sentAt ? { sentAt } : {}),
      },
    };
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
  const message = firstOf(isRecord(reply.json) ? reply.json.messages : undefined);
  if (success && message?.accepted === true && typeof message.apiMessageId === 'string' && message.apiMessageId) {
    return { outcome: 'accepted', vendorMessageId: message.apiMessageId };
  }
  const detail = `Clickatell answered ${reply.status}: ${reply.body}`;
  // An outage says all there is to say in its status, whatever the body.
  if (reply.status >= 500) return outcomeOfHttpStatus(reply, detail);
  // A message-level error explains this text; a request-level one the whole request.
  const error = errorOf(message?.error) ?? errorOf(isRecord(reply.json) ? reply.json.error : undefined);
  if (error) return outcomeOfOneApiError(error, reply, detail);
  if (success) return { outcome: 'retryable', code: 'malformed-reply', detail };
  return outcomeOfHttpStatus(reply, detail);
}

function firstOf(list: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  const [first] = list;
  return isRecord(first) ? first : undefined;
}

interface OneApiError {
  code: number;
  description: string;
}

/** `{"code": 25, "description": "Invalid recipient address: ..."}` (the code may come as "25"). */
function errorOf(value: unknown): OneApiError | undefined {
  if (!isRecord(value)) return undefined;
  const code = statusCodeOf(value.code);
  if (code === undefined) return undefined;
  return { code, description: typeof value.description === 'string' ? value.description : '' };
}

type Verdict = { retry: true; throttled?: true } | { reason: PermanentReason };

/**
 * The One API error table, every documented code:
 *   https://docs.clickatell.com/channels/one-api/one-api-errors-table/
 *   https://www.clickatell.com/developers/api-documentation/one-api-error-messages/
 * Errors about our account or integration (key, activation, IP, balance, sender number,
 * channel set-up, US two-way rules) are retryable: the text itself is fine, and a
 * fallback gateway, or the account once fixed, can send it. An error not listed refuses
 * the text as sent.
 */
const ONE_API_ERRORS: ReadonlyMap<number, Verdict> = new Map<number, Verdict>([
  [1, { retry: true }], // 401 invalid or missing integration API key
  [2, { retry: true }], // account is not active
  [3, { retry: true }], // integration is not active
  [7, { retry: true }], // originating IP address is not approved in the account
  [18, { retry: true }], // 500 internal error
  [19, { retry: true }], // 503 internal error, please retry
  [20, { retry: true }], // 402 insufficient account balance
  [21, { reason: 'rejected' }], // payload data is malformed
  [22, { reason: 'rejected' }], // maximum messages per request exceeded
  [23, { reason: 'rejected' }], // invalid or missing parameter
  [24, { reason: 'rejected' }], // maximum message content size exceeded
  [25, { reason: 'invalid-number' }], // invalid recipient address
  [26, { reason: 'unsubscribed' }], // recipient opted out
  [27, { reason: 'invalid-number' }], // recipient not available on channel: this number cannot take texts
  [28, { retry: true }], // recipient not available on sandbox: the integration is a sandbox
  [30, { reason: 'rejected' }], // content type not supported
  [31, { reason: 'rejected' }], // media file size exceeds limit
  [32, { reason: 'rejected' }], // media payload size exceeds limit
  [33, { reason: 'rejected' }], // media item not found
  [38, { retry: true }], // channel/feature is not active on integration
  [39, { retry: true }], // channel is not available on integration
  [40, { reason: 'rejected' }], // character set is not supported
  [41, { reason: 'rejected' }], // resource does not exist
  [42, { reason: 'rejected' }], // HTTP method is not supported on this resource
  [43, { retry: true, throttled: true }], // rate limit
  [44, { retry: true }], // FROM number is suspended
  [45, { retry: true }], // FROM number is not related to integration
  [46, { retry: true }], // demo access has expired
  [100, { reason: 'rejected' }], // maximum message parts exceeded
  [101, { reason: 'blocked' }], // destination does not support two-way messaging
  [110, { retry: true }], // USA: must use a two-way integration
  [111, { retry: true }], // USA: must enable STOP/SUBSCRIBE commands on the integration
]);

function outcomeOfOneApiError(error: OneApiError, reply: VendorReply, detail: string): SendOutcome {
  const code = `clickatell-${error.code}`;
  const verdict = ONE_API_ERRORS.get(error.code) ?? { reason: 'rejected' };
  if ('reason' in verdict) return { outcome: 'permanent', code, detail, reason: verdict.reason };
  if (!verdict.throttled) return { outcome: 'retryable', code, detail };
  // The rate limit comes as 400 (or 429): honour a Retry-After when there is one.
  const retryAfter = outcomeOfHttpStatus({ ...reply, status: 429 }, detail);
  const retryAfterMs = retryAfter.outcome === 'retryable' ? retryAfter.retryAfterMs : undefined;
  return { outcome: 'retryable', code, detail, throttled: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

// --- Status callbacks ------------------------------------------------------------------

/**
 * The One API message status table (codes in callbacks; names as `status`):
 *   https://docs.clickatell.com/channels/one-api/one-api-message-status-table/
 *   https://www.clickatell.com/developers/api-documentation/one-api-message-status-codes-descriptions/
 * Codes below 20 are progress; 20 and up are errors. "Undelivered" is the carrier or
 * handset not taking it; "failed" is the text never going out as it should (Clickatell,
 * our account, or its content).
 */
const DELIVERY_STATUS_OF: ReadonlyMap<number, DeliveryStatus> = new Map<number, DeliveryStatus>([
  [1, 'queued'], // UNKNOWN: message not found (yet): reporting can lag the send
  [2, 'queued'], // QUEUED
  [3, 'queued'], // SCHEDULED for later delivery
  [4, 'sent'], // SENT_TO_SUPPLIER: a carrier has it
  [5, 'delivered'], // DEVICE_ACK: the handset acknowledged it
  [6, 'delivered'], // READ (read receipt)
  [20, 'undelivered'], // EXPIRED before it could be delivered
  [21, 'failed'], // STOPPED_BY_USER: the account's user stopped it (not the recipient)
  [22, 'failed'], // STOPPED_BY_ADMIN
  [23, 'undelivered'], // DELIVERY_FAILURE: error delivering message
  [24, 'failed'], // EMULATED: a test integration, nothing was sent
  [25, 'failed'], // INSUFFICIENT_ACCOUNT_BALANCE
  [26, 'failed'], // VOLUME_LIMIT
  [27, 'failed'], // VOLUME_LIMIT_DAILY
  [28, 'failed'], // VOLUME_LIMIT_MONTHLY
  [29, 'undelivered'], // RECIPIENT_DOES_NOT_EXIST on the channel
  [60, 'failed'], // ENCRYPTION_ACCESS_DENIED
  [61, 'failed'], // ENCRYPTION_CONTENT_ERROR
  [80, 'failed'], // MEDIA_NOT_FOUND
  [81, 'failed'], // MEDIA_SIZE_ERROR
  [82, 'failed'], // MEDIA_CHECKSUM_FAILURE
  [83, 'failed'], // MEDIA_REJECTED_BY_SUPPLIER
  [84, 'failed'], // MEDIA_METADATA_ERROR
  [85, 'failed'], // MEDIA_ACCESS_ERROR
  [100, 'failed'], // ROUTING_ERROR
]);

/**
 * The status names that mean the recipient opted out. The SMS status table has none (an
 * SMS opt-out comes back at send time as error 26); the One API's status list names
 * STOP_MARKETING_MESSAGES, the recipient's stop for a business's messages
 * (https://help.clickatell.com/developers-api-reference/reference/one-api).
 */
const OPTED_OUT_STATUSES: ReadonlySet<string> = new Set(['STOP_MARKETING_MESSAGES']);

function receiptOf(vendorMessageId: string, code: number, name: string | undefined): DeliveryReceipt | undefined {
  const optedOut = name !== undefined && OPTED_OUT_STATUSES.has(name);
  // Clickatell adds statuses as channels grow: an unknown error (20 and up) still means the
  // text did not arrive; an unknown progress code tells us nothing we can record.
  const status: DeliveryStatus | undefined = optedOut ? 'failed' : DELIVERY_STATUS_OF.get(code) ?? (code >= 20 ? 'failed' : undefined);
  if (!status) return undefined;
  const failed = status === 'failed' || status === 'undelivered';
  return {
    vendorMessageId,
    status,
    vendorStatus: name ?? String(code),
    // The status code is the only error code a One API status callback gives.
    ...(failed ? { errorCode: String(code) } : {}),
    ...(optedOut ? { optedOut: true } : {}),
  };
}

/** 5, "5" and "005" are the same code; a name ("DEVICE_ACK") is not a number. */
function statusCodeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,4}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** The "user:password" of an HTTP Basic Authorization header. */
function basicCredentialsOf(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
}
