import { createHmac } from 'node:crypto';
import type { WhatsappCloudSettings } from './gateway-config';
import type {
  DeliveryReceipt,
  InboundSms,
  OutgoingSms,
  SendOutcome,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { callVendor } from './vendor-http';
import { forbidden, invalid, safeEqual } from './callback-parsing';
import { outcomeOfWhatsappReply } from './whatsapp-cloud-errors';
import { inboundOf, receiptsOf, valuesOf } from './whatsapp-cloud-webhooks';

/**
 * WhatsApp through Meta's Cloud API: one JSON POST per message to
 * {base}/{version}/{phone-number-id}/messages with `Authorization: Bearer <token>`
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages; the
 * OpenAPI spec: ../shared/vendor-specs/whatsapp_business_messaging_v23.0.yaml,
 * operation sendMessage). Meta answers 200 `{messaging_product, contacts: [{input,
 * wa_id}], messages: [{id}]}`: the message id (a "wamid") is what its status webhooks
 * name. Errors are Graph API errors `{error: {message, type, code, error_data: {details},
 * fbtrace_id}}`, read in whatsapp-cloud-errors.ts.
 *
 * Outside the 24-hour window a customer opens by writing to us, only an approved template
 * may be sent; a deflection is always outside it, so campaigns give a template
 * (OutgoingSms.template) and a plain text goes out only when none is given.
 *
 * Webhooks (whatsapp-cloud-webhooks.ts): one callback URL per app gets both delivery
 * statuses and inbound messages, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
 * the raw body, keyed with the app secret>`; before Meta posts anything it checks the URL
 * with a GET handshake (hub.mode=subscribe, hub.verify_token, hub.challenge)
 * (https://developers.facebook.com/docs/graph-api/webhooks/getting-started).
 *
 * Resend safety: none documented. The messages endpoint takes no client reference or
 * idempotency key, and Meta offers no lookup of sent messages by anything but the wamid,
 * which a send whose answer was lost never gave us. So a resend after an unknown outcome
 * may send twice: at least once.
 */
export class WhatsappCloudGateway implements SmsGateway {
  readonly name = 'whatsapp-cloud';
  readonly channels = ['whatsapp'] as const;
  /** Meta has one callback URL for statuses and messages: see inboundOnStatusUrl on the port. */
  readonly inboundOnStatusUrl = true;
  /**
   * "Your endpoint should respond to all Event Notifications with 200 OK", and one POST may
   * batch up to 1,000 updates (https://developers.facebook.com/docs/graph-api/webhooks/getting-started);
   * a refused or too-large batch is retried for days and then the subscription is disabled.
   * 1 MB holds a full batch of status updates with room to spare, and is still a bound.
   */
  readonly callbackHandling = { okStatus: 200 as const, maxBodyBytes: 1_048_576 };

  constructor(private readonly settings: WhatsappCloudSettings) {}

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const { accessToken, baseUrl, apiVersion, phoneNumberId } = this.settings;
    const call = await callVendor({
      method: 'POST',
      url: `${baseUrl}/${apiVersion}/${phoneNumberId}/messages`,
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(messageBody(sms)),
      signal,
    });
    return call.ok ? outcomeOfWhatsappReply(call.reply) : call.outcome;
  }

  /**
   * The GET Meta sends when the callback URL is saved in the app dashboard: answer the
   * challenge only when the verify token is ours. The challenge is echoed as text/plain,
   * and only when it looks like what Meta sends (digits), so the route cannot be used to
   * reflect arbitrary text.
   */
  verifySubscription(req: WebhookRequest): WebhookVerdict<string> {
    const mode = req.params['hub.mode'];
    const token = req.params['hub.verify_token'];
    const challenge = req.params['hub.challenge'];
    if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string') {
      return invalid('hub.mode=subscribe, hub.verify_token and hub.challenge are required');
    }
    if (!safeEqual(this.settings.verifyToken, token)) return forbidden('hub.verify_token does not match WHATSAPP_VERIFY_TOKEN');
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(challenge)) return invalid('hub.challenge is not a challenge Meta sends');
    return { ok: true, value: challenge };
  }

  /** statuses[] of every change for our phone number: sent, delivered, read, failed. */
  parseReceipt(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> {
    const values = this.verifiedValues(req);
    return values.ok ? { ok: true, value: receiptsOf(values.value) } : values;
  }

  /**
   * The first text in messages[] (a STOP, a START). A callback with only statuses, or a
   * message that is not text (an image, a button reply), carries no text: undefined.
   */
  parseInbound(req: WebhookRequest): WebhookVerdict<InboundSms | undefined> {
    const values = this.verifiedValues(req);
    return values.ok ? { ok: true, value: inboundOf(values.value, this.settings.phoneNumberId) } : values;
  }

  /**
   * The signature is checked over the raw body before a byte of it is parsed. Meta signs
   * nothing else (no time, no URL), so a captured callback verifies forever: replays are
   * harmless because receipts only move a message forward and an inbound text's wamid is
   * remembered by the opt-out store.
   */
  private verifiedValues(req: WebhookRequest): WebhookVerdict<Record<string, unknown>[]> {
    const header = req.headers['x-hub-signature-256'];
    if (!header) return { ok: false, status: 401, error: 'X-Hub-Signature-256 is missing' };
    const expected = `sha256=${createHmac('sha256', this.settings.appSecret).update(req.rawBody, 'utf8').digest('hex')}`;
    if (!safeEqual(expected, header.trim().toLowerCase())) return forbidden('X-Hub-Signature-256 does not match the body');
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return invalid('body must be JSON');
    }
    return valuesOf(body, this.settings.phoneNumberId);
  }
}

/**
 * The request body: a template (name, language, body variables, the URL button's
 * variable) or, without one, a text. The text goes without a link preview: WhatsApp would
 * fetch the link to draw it, and some chat links work only once.
 */
export function messageBody(sms: OutgoingSms): Record<string, unknown> {
  const common = { messaging_product: 'whatsapp', recipient_type: 'individual', to: sms.to };
  const t = sms.template;
  if (!t) return { ...common, type: 'text', text: { preview_url: false, body: sms.body } };
  const components: Record<string, unknown>[] = [];
  if (t.body.length) components.push({ type: 'body', parameters: t.body.map((text) => ({ type: 'text', text })) });
  // A URL button's variable is the part appended to the base URL approved with the template.
  if (t.urlButton !== undefined) {
    components.push({ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: t.urlButton }] });
  }
  return {
    ...common,
    type: 'template',
    template: {
      name: t.name,
      // "deterministic" is the only language policy there is: that exact language or an error.
      language: { policy: 'deterministic', code: t.language },
      ...(components.length ? { components } : {}),
    },
  };
}
