import type { InfobipSettings } from './gateway-config';
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
import { basicCredentialsOf, e164Of, forbidden, invalid, isoTime, isRecord, safeEqual } from './callback-parsing';
import { classifyInboundText } from './opt-out';

/**
 * Infobip SMS API: one JSON POST per text to {base}/sms/2/text/advanced
 * (https://www.infobip.com/docs/api/channels/sms/sms-messaging/outbound-sms/send-sms-message)
 * with `Authorization: App <API key>`, on the account's own base URL (xxxxx.api.infobip.com).
 * Infobip answers 200 with one `messages[]` entry per destination, each with a status object
 * `{groupId, groupName, id, name, description}`; a refused request answers 4xx/5xx with
 * `{requestError: {serviceException: {messageId, text}}}`. Status and error codes:
 * https://www.infobip.com/docs/essentials/response-status-and-error-codes.
 *
 * We set each destination's messageId to our own message id. Infobip refuses a second
 * message with a messageId it already has (status 23 REJECTED_DUPLICATE_MESSAGE_ID, "message
 * ID-s should be a unique value"), so a resend after an unknown outcome cannot text twice:
 * that refusal means the first one stands.
 *
 * Delivery reports and inbound texts arrive as `{results: [...]}` JSON on the URLs set in
 * the account's subscriptions. Infobip does not sign SMS webhooks; the subscription's
 * notification profile sends HTTP Basic credentials, which we check.
 */
export class InfobipGateway implements SmsGateway {
  readonly name = 'infobip';
  readonly resendSafety = 'idempotent' as const;

  constructor(private readonly settings: InfobipSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const to = sms.to.replace(/\D/g, '');
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/sms/2/text/advanced`,
      headers: { Authorization: `App ${this.settings.apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({
        messages: [
          {
            ...(this.settings.from ? { from: this.settings.from } : {}),
            // International format, digits only; messageId is ours (Infobip's dedupe key).
            destinations: [{ to, messageId: sms.id }],
            text: sms.body,
          },
        ],
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply, sms) : call.outcome;
  }

  /** A delivery report: `results[]`, each with messageId, status and error. */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const body = this.verifiedResults(req);
    if (!body.ok) return body;
    const receipts: DeliveryReceipt[] = [];
    for (const result of body.value) {
      const messageId = result.messageId;
      const status = statusOf(result.status);
      if (typeof messageId !== 'string' || !messageId || !status) return invalid('each result needs messageId and status');
      // The report of a refused duplicate carries the original's messageId: it says nothing
      // about the original text, which must not be marked failed by it.
      if (status.id === DUPLICATE_MESSAGE_ID) continue;
      const mapped = deliveryStatusOf(status);
      if (!mapped) return invalid(`unknown status group ${status.groupId}`);
      const error = statusOf(result.error);
      receipts.push({
        vendorMessageId: messageId,
        status: mapped,
        vendorStatus: status.name,
        ...(error && error.id !== 0 ? { errorCode: String(error.id) } : status.groupId === REJECTED ? { errorCode: String(status.id) } : {}),
        ...(status.id === REJECTED_DND ? { optedOut: true } : {}),
      });
    }
    return { ok: true, value: receipts };
  }

  /**
   * An inbound (MO) push: `results[]` of `{messageId, from, to, text, receivedAt}`. The port
   * takes one text per callback; Infobip pushes one per request as a rule, and when it
   * groups several the opt-out change (STOP, then START) is the one kept.
   */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const body = this.verifiedResults(req);
    if (!body.ok) return body;
    const texts = body.value.filter((r) => typeof r.from === 'string' && r.from && typeof r.to === 'string' && r.to && typeof r.text === 'string');
    if (texts.length === 0) return invalid('results need from, to and text');
    const chosen =
      texts.find((r) => classifyInboundText(r.text as string) === 'stop') ??
      texts.find((r) => classifyInboundText(r.text as string) === 'start') ??
      texts[0]!;
    const sentAt = isoTime(typeof chosen.receivedAt === 'string' ? chosen.receivedAt : undefined);
    return {
      ok: true,
      value: {
        from: e164Of(chosen.from as string),
        to: e164Of(chosen.to as string),
        text: chosen.text as string,
        ...(typeof chosen.messageId === 'string' && chosen.messageId ? { vendorMessageId: chosen.messageId } : {}),
        ...(sentAt ? { sentAt } : {}),
      },
    };
  }

  /** Checks the Basic credentials before reading anything, then the body's results[]. */
  private verifiedResults(req: WebhookRequest): WebhookVerdict<Record<string, unknown>[]> {
    const { callbackUser, callbackPassword } = this.settings;
    if (!callbackUser || !callbackPassword) return forbidden('INFOBIP_CALLBACK_USER/PASSWORD are not set');
    const given = basicCredentialsOf(req.headers.authorization);
    if (given === undefined || !safeEqual(`${callbackUser}:${callbackPassword}`, given)) {
      return { ok: false, status: 401, error: 'HTTP Basic credentials are missing or wrong' };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.rawBody);
    } catch {
      return invalid('body must be JSON');
    }
    if (!isRecord(parsed) || !Array.isArray(parsed.results)) return invalid('body must be an object with results[]');
    return { ok: true, value: parsed.results.filter(isRecord) };
  }
}

// --- Status objects --------------------------------------------------------------------

interface InfobipStatus {
  groupId: number;
  id: number;
  name: string;
}

// Status groups (https://www.infobip.com/docs/essentials/response-status-and-error-codes).
const PENDING = 1;
const UNDELIVERABLE = 2;
const DELIVERED = 3;
const EXPIRED = 4;
const REJECTED = 5;

const PENDING_ACCEPTED = 26;
const DELIVERED_TO_HANDSET = 5;
/** "The request has been rejected due to a duplicate message ID specified in the submit request." */
const DUPLICATE_MESSAGE_ID = 23;
/** The destination is on a do-not-disturb list: the recipient does not want these texts. */
const REJECTED_DND = 10;

function statusOf(value: unknown): InfobipStatus | undefined {
  if (!isRecord(value) || typeof value.groupId !== 'number' || typeof value.id !== 'number') return undefined;
  return { groupId: value.groupId, id: value.id, name: typeof value.name === 'string' ? value.name : String(value.id) };
}

/**
 * PENDING_ACCEPTED has not left Infobip (queued); other pending states are with the
 * operator (sent). DELIVERED_TO_OPERATOR is only the operator's acknowledgement, so only
 * DELIVERED_TO_HANDSET counts as delivered. Undeliverable and expired texts reached the
 * network and did not arrive; rejected ones never left Infobip (failed).
 */
function deliveryStatusOf(status: InfobipStatus): DeliveryStatus | undefined {
  switch (status.groupId) {
    case PENDING:
      return status.id === PENDING_ACCEPTED ? 'queued' : 'sent';
    case DELIVERED:
      return status.id === DELIVERED_TO_HANDSET ? 'delivered' : 'sent';
    case UNDELIVERABLE:
    case EXPIRED:
      return 'undelivered';
    case REJECTED:
      return 'failed';
    default:
      return undefined;
  }
}

// --- Send outcomes ---------------------------------------------------------------------

type Verdict = { retry: true } | { reason: PermanentReason };

/**
 * Infobip's REJECTED (group 5) statuses in a send answer. Those about our account or a
 * route (credit, package, route, a system error) are retryable: the text is fine and a
 * fallback gateway can send it. Any other rejection refuses the text as sent.
 */
const REJECTION_OF: ReadonlyMap<number, Verdict> = new Map<number, Verdict>([
  [6, { reason: 'blocked' }], // REJECTED_NETWORK: the network does not take it
  [8, { reason: 'invalid-number' }], // REJECTED_PREFIX_MISSING: no known network for the number
  [10, { reason: 'unsubscribed' }], // REJECTED_DND: the recipient is on a do-not-disturb list
  [11, { reason: 'rejected' }], // REJECTED_SOURCE
  [12, { retry: true }], // REJECTED_NOT_ENOUGH_CREDITS
  [13, { reason: 'rejected' }], // REJECTED_SENDER: our sender id is refused
  [14, { reason: 'blocked' }], // REJECTED_DESTINATION: the destination is blocked
  [17, { retry: true }], // REJECTED_PREPAID_PACKAGE_EXPIRED
  [18, { reason: 'rejected' }], // REJECTED_DESTINATION_NOT_REGISTERED (a trial account's unverified number)
  [19, { retry: true }], // REJECTED_ROUTE_NOT_AVAILABLE
  [20, { reason: 'blocked' }], // REJECTED_FLOODING_FILTER: too many texts to this number
  [21, { retry: true }], // REJECTED_SYSTEM_ERROR: "please retry submission"
  [24, { reason: 'rejected' }], // REJECTED_INVALID_UDH
  [25, { reason: 'rejected' }], // REJECTED_MESSAGE_TOO_LONG
  [51, { reason: 'invalid-number' }], // MISSING_TO
  [52, { reason: 'invalid-number' }], // REJECTED_INVALID_DESTINATION
]);

function outcomeOf(reply: VendorReply, sms: OutgoingSms): SendOutcome {
  const detail = `Infobip answered ${reply.status}: ${reply.body}`;
  if (reply.status < 200 || reply.status >= 300) return outcomeOfError(reply, detail);
  const answer = isRecord(reply.json) ? reply.json : {};
  const [message] = Array.isArray(answer.messages) ? answer.messages : [];
  const status = isRecord(message) ? statusOf(message.status) : undefined;
  if (!isRecord(message) || !status) return { outcome: 'retryable', code: 'malformed-reply', detail };
  const code = `infobip-${status.name}`;
  // The duplicate of a messageId Infobip already has: the first send went through.
  if (status.id === DUPLICATE_MESSAGE_ID) return { outcome: 'accepted', vendorMessageId: sms.id, code };
  if (status.groupId === PENDING || status.groupId === DELIVERED) {
    const id = typeof message.messageId === 'string' && message.messageId ? message.messageId : sms.id;
    return { outcome: 'accepted', vendorMessageId: id, code };
  }
  const verdict: Verdict = status.groupId === REJECTED ? (REJECTION_OF.get(status.id) ?? { reason: 'rejected' }) : { reason: 'rejected' };
  return 'reason' in verdict ? { outcome: 'permanent', code, detail, reason: verdict.reason } : { outcome: 'retryable', code, detail };
}

/** `{requestError: {serviceException: {messageId, text}}}`: a 400 naming the destination is the number. */
function outcomeOfError(reply: VendorReply, detail: string): SendOutcome {
  const exception = isRecord(reply.json) && isRecord(reply.json.requestError) ? reply.json.requestError.serviceException : undefined;
  const text = isRecord(exception) && typeof exception.text === 'string' ? exception.text : '';
  if (reply.status === 400 && /\b(destination|to|phone number)\b/i.test(text) && /\binvalid\b/i.test(text)) {
    return { outcome: 'permanent', code: 'http-400', detail, reason: 'invalid-number' };
  }
  return outcomeOfHttpStatus(reply, detail);
}

