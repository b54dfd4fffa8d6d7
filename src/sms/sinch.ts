import { createHmac } from 'node:crypto';
import type { SinchSettings } from './gateway-config';
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
import { callVendor, excerpt, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { basicCredentialsOf, e164Of, forbidden, invalid, isoTime, isRecord, safeEqual } from './callback-parsing';

/**
 * Sinch SMS REST API ("XMS"): one batch per text, POST {base}/xms/v1/{service_plan_id}/batches
 * with the service plan's API token as a Bearer token
 * (https://developers.sinch.com/docs/sms/api-reference/sms/batches). Sinch answers 201 with
 * the batch (its `id` is the message id), or 400/403 `{code, text}`
 * (https://developers.sinch.com/docs/sms/api-reference/status-codes). Delivery reports come
 * per recipient (`recipient_delivery_report_sms`) to the batch's callback_url, inbound texts
 * (`mo_text`) to the service plan's callback URL
 * (https://developers.sinch.com/docs/sms/api-reference/sms/tag/Webhooks/).
 *
 * Sinch does not deduplicate batches, but keeps our client_reference and lets the batch
 * list filter on it (release notes, "Enabled filtering on client reference when listing
 * batches"): a resend after an unknown outcome asks first (findSent).
 */
export class SinchGateway implements SmsGateway {
  readonly name = 'sinch';
  readonly resendSafety = 'lookup' as const;
  private readonly now: () => Date;

  constructor(
    private readonly settings: SinchSettings,
    private readonly callbacks: { statusUrl: string },
    options: { now?: () => Date } = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const call = await callVendor({
      method: 'POST',
      url: this.batchesUrl(),
      headers: this.headers(),
      body: JSON.stringify({
        from: this.settings.from,
        to: [sms.to],
        body: sms.body,
        // One callback per recipient with a final status (the intermediate ones are not pushed).
        delivery_report: 'per_recipient',
        callback_url: this.callbacks.statusUrl,
        // Stored with the batch and filterable in the batch list: how findSent finds it.
        client_reference: sms.id,
      }),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  /**
   * GET the batch list filtered by our client_reference, from a minute before the attempt
   * began (clocks drift). A batch for the same number is the text we may have sent.
   */
  async findSent(sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup> {
    const from = new Date(Date.parse(since) - 60_000);
    if (Number.isNaN(from.getTime())) return { kind: 'unknown', detail: `since is not a time: ${excerpt(since, 40)}` };
    const query = new URLSearchParams({ client_reference: sms.id, start_date: from.toISOString(), page_size: '30' });
    const call = await callVendor({ method: 'GET', url: `${this.batchesUrl()}?${query}`, headers: this.headers(), signal });
    if (!call.ok) return { kind: 'unknown', detail: 'detail' in call.outcome ? call.outcome.detail : call.outcome.outcome };
    const { reply } = call;
    if (reply.status !== 200 || !isRecord(reply.json) || !Array.isArray(reply.json.batches)) {
      return { kind: 'unknown', detail: `Sinch answered ${reply.status} to the batch list` };
    }
    const match = reply.json.batches.find(
      (b): b is Record<string, unknown> =>
        isRecord(b) && b.client_reference === sms.id && Array.isArray(b.to) && b.to.some((to) => samePhone(to, sms.to)),
    );
    return match && typeof match.id === 'string' ? { kind: 'found', vendorMessageId: match.id } : { kind: 'not-found' };
  }

  /** A recipient_delivery_report_sms (or a batch delivery_report_sms, one receipt per recipient). */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const body = this.verifiedJson(req);
    if (!body.ok) return body;
    const report = body.value;
    const batchId = report.batch_id;
    if (typeof batchId !== 'string' || batchId === '') return invalid('batch_id is required');
    if (report.type === 'recipient_delivery_report_sms') {
      const receipt = receiptOf(batchId, report.status, report.code);
      return receipt ? { ok: true, value: [receipt] } : invalid(`unknown status "${excerpt(String(report.status), 40)}"`);
    }
    if (report.type === 'delivery_report_sms' && Array.isArray(report.statuses)) {
      // A batch report groups recipients by status; every text of ours has one recipient.
      const receipts = report.statuses.map((s) => (isRecord(s) ? receiptOf(batchId, s.status, s.code) : undefined));
      if (receipts.some((r) => r === undefined)) return invalid('unknown status in statuses');
      return { ok: true, value: receipts as DeliveryReceipt[] };
    }
    return invalid(`not a delivery report: type "${excerpt(String(report.type), 40)}"`);
  }

  /** An mo_text: `from`, `to`, `body`, `id`, `received_at`. */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms> {
    const body = this.verifiedJson(req);
    if (!body.ok) return body;
    const { type, from, to, id } = body.value;
    const text = body.value.body;
    if (type !== 'mo_text') return invalid(`not a text: type "${excerpt(String(type), 40)}"`);
    if (typeof from !== 'string' || typeof to !== 'string' || typeof text !== 'string' || !from || !to) {
      return invalid('from, to and body are required');
    }
    const sentAt = isoTime(typeof body.value.sent_at === 'string' ? body.value.sent_at : undefined)
      ?? isoTime(typeof body.value.received_at === 'string' ? body.value.received_at : undefined);
    return {
      ok: true,
      value: { from: e164Of(from), to: e164Of(to), text, ...(typeof id === 'string' && id ? { vendorMessageId: id } : {}), ...(sentAt ? { sentAt } : {}) },
    };
  }

  private batchesUrl(): string {
    return `${this.settings.baseUrl}/xms/v1/${encodeURIComponent(this.settings.servicePlanId)}/batches`;
  }

  private headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.settings.apiToken}`, 'Content-Type': 'application/json', Accept: 'application/json' };
  }

  /** Authenticates the callback, then parses the raw (signed) bytes, not the merged params. */
  private verifiedJson(req: WebhookRequest): WebhookVerdict<Record<string, unknown>> {
    const refused = this.unauthenticated(req);
    if (refused) return refused;
    let parsed: unknown;
    try {
      parsed = JSON.parse(req.rawBody);
    } catch {
      return invalid('body must be JSON');
    }
    return isRecord(parsed) ? { ok: true, value: parsed } : invalid('body must be a JSON object');
  }

  /**
   * Sinch authenticates SMS callbacks the way the account manager set it up: the service
   * plan's HMAC secret, or HTTP Basic. With neither configured nothing is trusted; with
   * both, a callback must pass both.
   */
  private unauthenticated(req: WebhookRequest): { ok: false; status: 401 | 403; error: string } | undefined {
    const { callbackSecret, callbackUser, callbackPassword } = this.settings;
    const basic = callbackUser && callbackPassword ? `${callbackUser}:${callbackPassword}` : undefined;
    if (!callbackSecret && !basic) {
      return forbidden('SINCH_CALLBACK_SECRET or SINCH_CALLBACK_USER/PASSWORD are not set');
    }
    if (callbackSecret) {
      const problem = sinchSignatureProblem(req, callbackSecret, this.now());
      if (problem) return { ok: false, status: 401, error: problem };
    }
    if (basic) {
      const given = basicCredentialsOf(req.headers.authorization);
      if (given === undefined || !safeEqual(basic, given)) return { ok: false, status: 401, error: 'HTTP Basic credentials are missing or wrong' };
    }
    return undefined;
  }
}

// --- Send outcomes ---------------------------------------------------------------------

/**
 * 201 with the batch's id: accepted. 400 and 403 carry `{code, text}`; the codes that say
 * the number is wrong refuse it as an invalid number, those about our account are
 * retryable (a fallback gateway can send), the rest refuse the text.
 */
function outcomeOf(reply: VendorReply): SendOutcome {
  const answer = isRecord(reply.json) ? reply.json : {};
  if (reply.status >= 200 && reply.status < 300) {
    if (typeof answer.id === 'string' && answer.id) return { outcome: 'accepted', vendorMessageId: answer.id };
    return { outcome: 'retryable', code: 'malformed-reply', detail: `Sinch answered ${reply.status} without a batch id: ${reply.body}` };
  }
  const detail = `Sinch answered ${reply.status}: ${reply.body}`;
  const code = typeof answer.code === 'string' ? answer.code : undefined;
  if ((reply.status === 400 || reply.status === 403) && code) {
    const text = typeof answer.text === 'string' ? answer.text : '';
    return outcomeOfSinchCode(code, text, detail);
  }
  return outcomeOfHttpStatus(reply, detail);
}

function outcomeOfSinchCode(code: string, text: string, detail: string): SendOutcome {
  const ours = `sinch-${code}`;
  switch (code) {
    // "Illegal phone number type of MSISDN for a chosen region was used. Send to a different MSISDN."
    case 'illegal_number_type':
      return { outcome: 'permanent', code: ours, detail, reason: 'invalid-number' };
    // A field's format is wrong: the number, when the text names it (our other fields are fixed).
    case 'syntax_invalid_parameter_format':
      return { outcome: 'permanent', code: ours, detail, reason: /\b(to|msisdn|recipient|phone)\b/i.test(text) ? 'invalid-number' : 'rejected' };
    // Our account or service plan, not the text: another gateway (or the account, fixed) can send it.
    case 'unauthorized':
    case 'unprovisioned_region':
    case 'blocked_account':
      return { outcome: 'retryable', code: ours, detail };
    default:
      return { outcome: 'permanent', code: ours, detail, reason: 'rejected' };
  }
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * Sinch's delivery report statuses
 * (https://developers.sinch.com/docs/sms/api-reference/sms/tag/Delivery-reports/):
 * Aborted, Cancelled and Rejected never left Sinch for the handset (failed); Deleted,
 * Failed and Expired were in the network and did not arrive (undelivered); Unknown reached
 * the operator with no receipt back, which is as far as we can say (sent).
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['Queued', 'queued'],
  ['Dispatched', 'sent'],
  ['Aborted', 'failed'],
  ['Cancelled', 'failed'],
  ['Rejected', 'failed'],
  ['Deleted', 'undelivered'],
  ['Delivered', 'delivered'],
  ['Failed', 'undelivered'],
  ['Expired', 'undelivered'],
  ['Unknown', 'sent'],
]);

function receiptOf(batchId: string, status: unknown, code: unknown): DeliveryReceipt | undefined {
  const mapped = typeof status === 'string' ? DELIVERY_STATUS_OF.get(status) : undefined;
  if (!mapped) return undefined;
  // code 0 means no error; Queued (400) and Dispatched (401) are states, not errors.
  const errorCode = (typeof code === 'number' || typeof code === 'string') && mapped !== 'delivered' && mapped !== 'queued' && String(code) !== '0'
    ? { errorCode: String(code) }
    : {};
  return { vendorMessageId: batchId, status: mapped, vendorStatus: status as string, ...errorCode };
}

/** How far a signed callback's timestamp may be from our clock (both ways). */
export const SINCH_SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

const HMAC_OF: Readonly<Record<string, string>> = { HmacSHA256: 'sha256', HmacSHA512: 'sha512' };

/**
 * The x-sinch-webhook-signature scheme, as Sinch's SDKs verify SMS callbacks
 * (sinch-sdk-node SmsCallbackWebhooks → validateWebhookSignature): base64 HMAC (the
 * algorithm in x-sinch-webhook-signature-algorithm, HmacSHA256 by default) of
 * "<raw body>.<nonce>.<timestamp>" with the secret, UTF-8. The timestamp is unix seconds,
 * and signed, so a stale one is refused: a captured callback cannot be replayed later.
 */
function sinchSignatureProblem(req: WebhookRequest, secret: string, now: Date): string | undefined {
  const signature = req.headers['x-sinch-webhook-signature'];
  const nonce = req.headers['x-sinch-webhook-signature-nonce'];
  const timestamp = req.headers['x-sinch-webhook-signature-timestamp'];
  const algorithm = req.headers['x-sinch-webhook-signature-algorithm'] ?? 'HmacSHA256';
  if (!signature || !nonce || !timestamp) return 'x-sinch-webhook-signature, -nonce or -timestamp is missing';
  const hash = HMAC_OF[algorithm];
  if (!hash) return `unsupported signature algorithm "${excerpt(algorithm, 20)}"`;
  if (!/^\d{1,12}$/.test(timestamp)) return 'x-sinch-webhook-signature-timestamp must be unix seconds';
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > SINCH_SIGNATURE_TOLERANCE_SECONDS) {
    return `x-sinch-webhook-signature-timestamp is more than ${SINCH_SIGNATURE_TOLERANCE_SECONDS} seconds away`;
  }
  const expected = createHmac(hash, secret).update(`${req.rawBody}.${nonce}.${timestamp}`, 'utf8').digest('base64');
  return safeEqual(expected, signature.trim()) ? undefined : 'x-sinch-webhook-signature does not match';
}

function samePhone(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\D/g, '') === b.replace(/\D/g, '');
}
