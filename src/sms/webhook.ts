import { signedHeaders, timestampedSignatureProblem } from '../signing/timestamped-hmac';
import type { WebhookSettings } from './gateway-config';
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
import { invalid, isoTime, isRecord } from './callback-parsing';

/**
 * A generic gateway for an in-house SMS service: we POST JSON `{id, to, body}`, and it
 * POSTs delivery receipts `{id, status, errorCode?}` and inbound texts `{from, to, text}`
 * back. Both directions are signed with the shared secret by our one timestamped HMAC
 * scheme (src/signing/timestamped-hmac.ts).
 */

const PERMANENT_REASONS: readonly PermanentReason[] = ['invalid-number', 'unsubscribed', 'blocked', 'rejected'];
const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['queued', 'sent', 'delivered', 'undelivered', 'failed'];

export class WebhookGateway implements SmsGateway {
  readonly name = 'webhook';
  private readonly now: () => Date;

  constructor(
    private readonly settings: WebhookSettings,
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const body = JSON.stringify({ id: sms.id, to: sms.to, body: sms.body });

    const call = await callVendor({
      method: 'POST',
      url: this.settings.url,
      headers: { 'Content-Type': 'application/json', ...signedHeaders(this.settings.secret, body, this.now()) },
      body,
      signal,
    });
    return call.ok ? outcomeOf(call.reply, sms) : call.outcome;
  }

  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const payload = this.verifiedJson(req);
    if (!payload.ok) return payload;
    const { id, status, errorCode } = payload.value;
    if (typeof id !== 'string' || id === '') return invalid('id must be a non-empty string');
    if (!isOneOf(status, DELIVERY_STATUSES)) return invalid(`status must be one of ${DELIVERY_STATUSES.join(', ')}`);
    if (errorCode !== undefined && errorCode !== null && typeof errorCode !== 'string' && typeof errorCode !== 'number') {
      return invalid('errorCode must be a string or a number');
    }
    const receipt: DeliveryReceipt = {
      vendorMessageId: id,
      status,
      vendorStatus: status,
      ...(errorCode !== undefined && errorCode !== null ? { errorCode: String(errorCode) } : {}),
    };
    return { ok: true, value: [receipt] };
  }

  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const payload = this.verifiedJson(req);
    if (!payload.ok) return payload;
    const { from, to, text } = payload.value;
    if (typeof from !== 'string' || from === '') return invalid('from must be a non-empty string');
    if (typeof to !== 'string' || to === '') return invalid('to must be a non-empty string');
    if (typeof text !== 'string') return invalid('text must be a string');
    const { id, sentAt } = payload.value;
    return {
      ok: true,
      value: { from, to, text, ...(typeof id === 'string' && id ? { vendorMessageId: id } : {}), ...(typeof sentAt === 'string' && isoTime(sentAt) ? { sentAt: isoTime(sentAt)! } : {}) },
    };
  }

  /**
   * Checks the signature before reading anything, then parses the raw body: the signed
   * bytes, not `params`, which merges in the unsigned query string.
   */
  private verifiedJson(req: WebhookRequest): WebhookVerdict<Record<string, unknown>> {
    const refused = this.signatureProblem(req);
    if (refused) return { ok: false, status: 401, error: refused };
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.rawBody);
    } catch {
      return invalid('body must be JSON');
    }
    return isRecord(parsed) ? { ok: true, value: parsed } : invalid('body must be a JSON object');
  }

  private signatureProblem(req: WebhookRequest): string | undefined {
    return timestampedSignatureProblem([this.settings.secret], req.headers, req.rawBody, this.now());
  }

}

/**
 * 2xx: accepted (their id, or ours prefixed), unless the body is a rejection
 * `{status: "rejected", reason, code?}`. Any other status means what HTTP says.
 */
function outcomeOf(reply: VendorReply, sms: OutgoingSms): SendOutcome {
  const detail = `gateway answered ${reply.status}: ${reply.body}`;
  if (reply.status < 200 || reply.status >= 300) return outcomeOfHttpStatus(reply, detail);
  const answer = isRecord(reply.json) ? reply.json : {};
  if (answer.status === 'rejected') {
    // An unknown reason is still a refusal: 'rejected' is the catch-all that says so, and
    // the code keeps the gateway's own word for it.
    const reason = isOneOf(answer.reason, PERMANENT_REASONS) ? answer.reason : 'rejected';
    const code = [answer.code, answer.reason].find((c) => typeof c === 'string' || typeof c === 'number');
    return { outcome: 'permanent', code: code === undefined ? 'rejected' : String(code), detail, reason };
  }
  const vendorMessageId = typeof answer.id === 'string' && answer.id !== '' ? answer.id : `webhook-${sms.id}`;
  return { outcome: 'accepted', vendorMessageId };
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value);
}

