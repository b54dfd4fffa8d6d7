import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import type { TelnyxSettings } from './gateway-config';
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
import { callVendor, excerpt, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { forbidden, invalid, isoTime, isRecord } from './callback-parsing';

/**
 * Telnyx Messaging API v2: one JSON POST per text to {base}/v2/messages with
 * `Authorization: Bearer <API key>`
 * (https://developers.telnyx.com/api-reference/messages/send-a-message). Telnyx answers
 * 200 `{data: {id, to: [{phone_number, status}], ...}}`, or `{errors: [{code, title,
 * detail, source}]}` whose code (https://developers.telnyx.com/docs/messaging/messages/error-codes)
 * says more than the HTTP status.
 *
 * Webhooks (delivery updates to the message's webhook_url, inbound texts to the messaging
 * profile's webhook URL) are JSON `{data: {event_type, id, occurred_at, payload}, meta}`
 * signed with Ed25519: `telnyx-signature-ed25519` is the base64 signature of
 * `${telnyx-timestamp}|${raw body}` by Telnyx's key; the account's public key (portal:
 * Keys & Credentials → Public Key) verifies it
 * (https://developers.telnyx.com/docs/development/api-fundamentals/webhooks).
 *
 * Resend safety: none documented. POST /v2/messages takes no idempotency key or client
 * reference that Telnyx deduplicates, and a message can be fetched only by Telnyx's own
 * id (GET /v2/messages/{id}), which a send whose answer was lost never gave us; message
 * detail records come through asynchronous reports, not a lookup. So a resend after an
 * unknown outcome may text twice: at least once.
 */

/** How far a webhook's timestamp may be from our clock, either way (telnyx-node uses 300 s). */
export const TELNYX_TIMESTAMP_TOLERANCE_SECONDS = 300;

export class TelnyxGateway implements SmsGateway {
  readonly name = 'telnyx';
  private readonly publicKey: KeyObject;
  private readonly now: () => Date;

  constructor(
    private readonly settings: TelnyxSettings,
    private readonly callbacks: { statusUrl: string },
    options: { now?: () => Date } = {},
  ) {
    this.publicKey = ed25519PublicKeyOf(settings.publicKey);
    this.now = options.now ?? (() => new Date());
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const { apiKey, baseUrl, from, messagingProfileId } = this.settings;
    const call = await callVendor({
      method: 'POST',
      url: `${baseUrl}/v2/messages`,
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        ...(from ? { from } : {}),
        ...(messagingProfileId ? { messaging_profile_id: messagingProfileId } : {}),
        to: sms.to,
        text: sms.body,
        type: 'SMS',
        webhook_url: this.callbacks.statusUrl,
        // Delivery updates come to our status route only; the profile's webhook URL is
        // where inbound texts (STOP) go, and would otherwise get every update as well.
        use_profile_webhooks: false,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  /** message.sent and message.finalized: the state of the message at its one recipient. */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const event = this.verifiedEvent(req);
    if (!event.ok) return event;
    const { eventType, payload } = event.value;
    if (eventType !== 'message.sent' && eventType !== 'message.finalized') {
      return invalid(`event_type "${excerpt(eventType, 40)}" is not a delivery update (inbound texts go to /webhooks/telnyx/inbound)`);
    }
    const vendorMessageId = payload.id;
    // We send to one number, so the message has one recipient.
    const [recipient] = listOf(payload.to);
    const vendorStatus = isRecord(recipient) ? recipient.status : undefined;
    if (typeof vendorMessageId !== 'string' || vendorMessageId === '' || typeof vendorStatus !== 'string') {
      return invalid('payload.id and payload.to[0].status are required');
    }
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown status "${excerpt(vendorStatus, 40)}"`);
    const codes = errorCodesOf(payload.errors);
    const receipt: DeliveryReceipt = {
      vendorMessageId,
      status,
      vendorStatus,
      ...(codes.length ? { errorCode: codes[0] } : {}),
      ...(codes.includes(STOP_BLOCK) ? { optedOut: true } : {}),
    };
    return { ok: true, value: [receipt] };
  }

  /** message.received: a text to one of our numbers. */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const event = this.verifiedEvent(req);
    if (!event.ok) return event;
    const { eventType, occurredAt, payload } = event.value;
    if (eventType !== 'message.received') {
      return invalid(`event_type "${excerpt(eventType, 40)}" is not an inbound text (delivery updates go to /webhooks/telnyx/status)`);
    }
    const from = isRecord(payload.from) ? payload.from.phone_number : undefined;
    const [recipient] = listOf(payload.to);
    const to = isRecord(recipient) ? recipient.phone_number : undefined;
    // An MMS may carry no text; a missing text field is not Telnyx's inbound event.
    const text = payload.text ?? (payload.type === 'MMS' ? '' : undefined);
    if (typeof from !== 'string' || from === '' || typeof to !== 'string' || to === '' || typeof text !== 'string') {
      return invalid('payload.from.phone_number, payload.to[0].phone_number and payload.text are required');
    }
    const sentAt = isoTime(typeof payload.received_at === 'string' ? payload.received_at : occurredAt);
    // The message id tells a replay (or Telnyx's own redelivery) of the same text apart.
    const id = typeof payload.id === 'string' && payload.id !== '' ? { vendorMessageId: payload.id } : {};
    return { ok: true, value: { from, to, text, ...id, ...(sentAt ? { sentAt } : {}) } };
  }

  /**
   * The signature and its timestamp are checked before a byte of the body is parsed, and
   * the body parsed is the raw one that was signed (params also merge in the unsigned
   * query string). A signed request replayed within the tolerance changes nothing:
   * receipts only move a message forward, and an inbound text's id is remembered.
   */
  private verifiedEvent(req: WebhookRequest): WebhookVerdict<{ eventType: string; occurredAt?: string; payload: Record<string, unknown> }> {
    const refused = this.signatureProblem(req);
    if (refused) return forbidden(refused);
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return invalid('body must be JSON');
    }
    const data = isRecord(body) ? body.data : undefined;
    if (!isRecord(data) || typeof data.event_type !== 'string' || !isRecord(data.payload)) {
      return invalid('data.event_type and data.payload are required');
    }
    const occurredAt = typeof data.occurred_at === 'string' ? { occurredAt: data.occurred_at } : {};
    return { ok: true, value: { eventType: data.event_type, ...occurredAt, payload: data.payload } };
  }

  private signatureProblem(req: WebhookRequest): string | undefined {
    const signature = req.headers['telnyx-signature-ed25519'];
    const timestamp = req.headers['telnyx-timestamp'];
    if (!signature || !timestamp) return 'telnyx-signature-ed25519 or telnyx-timestamp is missing';
    if (!/^\d{1,12}$/.test(timestamp)) return 'telnyx-timestamp must be unix seconds';
    const skew = Math.abs(this.now().getTime() / 1000 - Number(timestamp));
    if (skew > TELNYX_TIMESTAMP_TOLERANCE_SECONDS) {
      return `telnyx-timestamp is more than ${TELNYX_TIMESTAMP_TOLERANCE_SECONDS} seconds away`;
    }
    // Strict base64 of 64 bytes: Buffer.from would quietly skip junk characters.
    if (!/^[A-Za-z0-9+/]{86}==$/.test(signature)) return 'telnyx-signature-ed25519 is not a base64 Ed25519 signature';
    const signed = Buffer.from(`${timestamp}|${req.rawBody}`, 'utf8');
    return verify(null, signed, this.publicKey, Buffer.from(signature, 'base64')) ? undefined : 'telnyx-signature-ed25519 does not match';
  }
}

/** The raw 32-byte key Telnyx shows, as a key node:crypto can verify with (a JWK's "x"). */
function ed25519PublicKeyOf(base64: string): KeyObject {
  const x = Buffer.from(base64, 'base64').toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' });
}

// --- Send outcomes ---------------------------------------------------------------------

/** 40300: the recipient texted STOP to this sender (HTTP 409; https://developers.telnyx.com/api/errors/40300). */
const STOP_BLOCK = '40300';

/**
 * Codes that mean this text can never go as it is
 * (https://developers.telnyx.com/docs/messaging/messages/error-codes,
 * https://developers.telnyx.com/api/errors/<code>).
 */
const PERMANENT_CODES: ReadonlyMap<string, PermanentReason> = new Map<string, PermanentReason>([
  [STOP_BLOCK, 'unsubscribed'],
  ['10002', 'invalid-number'], // invalid phone number
  ['10016', 'invalid-number'], // phone number must be in +E.164 format
  ['40310', 'invalid-number'], // invalid 'to' address
  ['40001', 'invalid-number'], // not routable: a landline or a non-routable number, so ask for another
  ['40012', 'invalid-number'], // invalid destination number
  ['40003', 'blocked'], // blocked as spam, permanently
  ['40015', 'blocked'], // Telnyx's own spam filter
]);

/** "Slow down", whatever HTTP status comes with it (10011 too many requests, 40011 upstream). */
const THROTTLED_CODES: ReadonlySet<string> = new Set(['10011', '40011']);

/**
 * The sender or the account, not this message: a fallback gateway can still send it
 * (10009 authentication failed, 10010 authorization failed, 40013 invalid source number).
 */
const OUR_SIDE_CODES: ReadonlySet<string> = new Set(['10009', '10010', '40013']);

function outcomeOf(reply: VendorReply): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) return acceptedOf(reply);
  const error = telnyxErrorOf(reply.json);
  if (!error) return outcomeOfHttpStatus(reply, `Telnyx answered ${reply.status}: ${reply.body}`);
  const code = `telnyx-${error.code}`;
  const detail = `Telnyx answered ${reply.status}: ${error.code} ${error.title}${error.detail ? `: ${error.detail}` : ''}`;
  const reason = PERMANENT_CODES.get(error.code);
  if (reason) return { outcome: 'permanent', code, detail, reason };
  // Read as a 429 whatever status came with it, so Retry-After is honoured.
  if (THROTTLED_CODES.has(error.code)) return { ...outcomeOfHttpStatus({ ...reply, status: 429 }, detail), code };
  if (OUR_SIDE_CODES.has(error.code)) return { outcome: 'retryable', code, detail };
  // Outages and plain refusals keep the status's meaning, with Telnyx's code.
  return { ...outcomeOfHttpStatus(reply, detail), code };
}

/**
 * A 2xx without a message id is not Telnyx's answer (a proxy, most likely): the text
 * probably never reached Telnyx, and no receipt could be matched to it anyway. A retry
 * risking a duplicate beats a caller who never gets the link.
 */
function acceptedOf(reply: VendorReply): SendOutcome {
  const data = isRecord(reply.json) && isRecord(reply.json.data) ? reply.json.data : {};
  if (typeof data.id !== 'string' || data.id === '') {
    return { outcome: 'retryable', code: 'malformed-reply', detail: `Telnyx answered ${reply.status} without a message id: ${reply.body}` };
  }
  const [recipient] = listOf(data.to);
  const status = isRecord(recipient) && typeof recipient.status === 'string' ? { code: recipient.status } : {};
  return { outcome: 'accepted', vendorMessageId: data.id, ...status };
}

/** The first of Telnyx's errors: its code is a string in the API reference, a number in older answers. */
function telnyxErrorOf(json: unknown): { code: string; title: string; detail?: string } | undefined {
  const [first] = isRecord(json) ? listOf(json.errors) : [];
  if (!isRecord(first)) return undefined;
  const code = codeOf(first.code);
  if (!code) return undefined;
  return {
    code,
    title: typeof first.title === 'string' ? first.title : '',
    ...(typeof first.detail === 'string' ? { detail: first.detail } : {}),
  };
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * to[].status (https://developers.telnyx.com/api-reference/callbacks/delivery-update):
 * delivery_unconfirmed means the carrier took the text but sent no final receipt, so it
 * is no worse than sent; sending_failed never left Telnyx; delivery_failed and expired
 * left Telnyx and were not delivered.
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['queued', 'queued'],
  ['sending', 'queued'],
  ['sent', 'sent'],
  ['delivery_unconfirmed', 'sent'],
  ['delivered', 'delivered'],
  ['delivery_failed', 'undelivered'],
  ['expired', 'undelivered'],
  ['sending_failed', 'failed'],
]);

function errorCodesOf(errors: unknown): string[] {
  return listOf(errors)
    .map((e) => (isRecord(e) ? codeOf(e.code) : undefined))
    .filter((c): c is string => c !== undefined);
}

function codeOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  return typeof value === 'string' && /^\d{1,10}$/.test(value) ? value : undefined;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}
