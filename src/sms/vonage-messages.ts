import { DEFAULT_CHANNEL, type ChannelName, type TemplateContent } from '../channels/channel';
import { e164Of, forbidden, invalid, isRecord, isoTime } from './callback-parsing';
import type { VonageMessagesSettings } from './gateway-config';
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
import { callVendor, excerpt, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { VonageApplicationSigner, verifyVonageWebhook } from './vonage-messages-jwt';

/**
 * The Vonage Messages API (https://developer.vonage.com/en/api/messages): one JSON POST
 * to {base}/v1/messages per message, on the channel it names (sms, whatsapp, rcs),
 * authenticated by an RS256 JWT of our Vonage application. Vonage answers 202
 * {message_uuid}, or an RFC 7807 problem {type, title, detail, instance}
 * (https://developer.vonage.com/en/api-errors, https://developer.vonage.com/en/api-errors/messages).
 * Status and inbound webhooks are JSON, signed with a JWT (vonage-messages-jwt.ts).
 */
export class VonageMessagesGateway implements SmsGateway {
  readonly name = 'vonage-messages';
  /** The channels with a sender configured. */
  readonly channels: readonly ChannelName[];
  private readonly signer: VonageApplicationSigner;

  constructor(
    private readonly settings: VonageMessagesSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.signer = new VonageApplicationSigner(settings.applicationId, settings.privateKey);
    this.channels = [
      ...(settings.smsFrom ? (['sms'] as const) : []),
      ...(settings.whatsappFrom ? (['whatsapp'] as const) : []),
      ...(settings.rcsFrom ? (['rcs'] as const) : []),
    ];
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const body = messageOf(this.settings, sms);
    if (typeof body === 'string') return { outcome: 'permanent', code: 'channel-not-configured', detail: body, reason: 'rejected' };
    const call = await callVendor({
      method: 'POST',
      url: `${this.settings.baseUrl}/v1/messages`,
      headers: {
        Authorization: `Bearer ${await this.signer.sign(this.now())}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(body),
      signal,
    });
    return call.ok ? outcomeOf(call.reply) : call.outcome;
  }

  async parseReceipt(req: WebhookRequest): Promise<WebhookVerdict<DeliveryReceipt[]>> {
    const verified = await this.verified(req);
    if (!verified.ok) return verified;
    const event = verified.value;
    const uuid = event.message_uuid;
    const vendorStatus = event.status;
    if (typeof uuid !== 'string' || uuid === '' || typeof vendorStatus !== 'string') return invalid('message_uuid and status are required');
    const status = DELIVERY_STATUS_OF.get(vendorStatus);
    if (!status) return invalid(`unknown status "${excerpt(vendorStatus, 40)}"`);
    const errorCode = errorCodeOf(event.error);
    return { ok: true, value: [{ vendorMessageId: uuid, status, vendorStatus, ...(errorCode ? { errorCode } : {}) }] };
  }

  async parseInbound(req: WebhookRequest): Promise<WebhookVerdict<InboundSms>> {
    const verified = await this.verified(req);
    if (!verified.ok) return verified;
    const event = verified.value;
    const { from, to, channel } = event;
    if (typeof from !== 'string' || from === '' || typeof to !== 'string' || to === '') return invalid('from and to are required');
    if (typeof channel !== 'string' || !INBOUND_CHANNELS.has(channel)) return invalid(`channel "${excerpt(String(channel), 40)}" is not one we send on`);
    // A button press or a picture has no text: it still reaches us, as an empty text.
    const text = typeof event.text === 'string' ? event.text : replyTitleOf(event.reply);
    const uuid = typeof event.message_uuid === 'string' && event.message_uuid ? { vendorMessageId: event.message_uuid } : {};
    const sentAt = isoTime(typeof event.timestamp === 'string' ? event.timestamp : undefined);
    return {
      ok: true,
      value: {
        from: e164Of(from),
        to: e164Of(to),
        text,
        ...uuid,
        ...(sentAt ? { sentAt } : {}),
        ...(channel !== 'sms' ? { channel: channel as ChannelName } : {}),
      },
    };
  }

  /** The webhook's JSON body, once its JWT is Vonage's over exactly this body. */
  private async verified(req: WebhookRequest): Promise<WebhookVerdict<Record<string, unknown>>> {
    const check = await verifyVonageWebhook(req.headers.authorization, req.rawBody, this.settings.signatureSecret, this.now());
    if (!check.ok) return forbidden(check.error);
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody);
    } catch {
      return invalid('the body is not JSON');
    }
    return isRecord(body) ? { ok: true, value: body } : invalid('the body is not a JSON object');
  }
}

// --- The request -----------------------------------------------------------------------

/** Vonage wants numbers as digits, country code first, no "+" (its examples: "447700900000"). */
const digits = (e164: string): string => e164.replace(/^\+/, '');

/**
 * The message as the API documents it per channel; client_ref carries our id (echoed on
 * every status webhook). A string: why this gateway cannot send it (no sender configured).
 */
function messageOf(settings: VonageMessagesSettings, sms: OutgoingSms): Record<string, unknown> | string {
  const channel = sms.channel ?? DEFAULT_CHANNEL;
  const common = { to: digits(sms.to), client_ref: sms.id };
  if (channel === 'sms') {
    if (!settings.smsFrom) return 'no VONAGE_MESSAGES_SMS_FROM: this gateway does not send SMS';
    return { ...common, from: settings.smsFrom, channel: 'sms', message_type: 'text', text: sms.body };
  }
  if (channel === 'whatsapp') {
    if (!settings.whatsappFrom) return 'no VONAGE_MESSAGES_WHATSAPP_FROM: this gateway does not send WhatsApp';
    const from = digits(settings.whatsappFrom);
    if (!sms.template) return { ...common, from, channel: 'whatsapp', message_type: 'text', text: sms.body };
    return { ...common, from, channel: 'whatsapp', ...whatsappTemplateOf(sms.template) };
  }
  if (channel === 'rcs') {
    if (!settings.rcsFrom) return 'no VONAGE_MESSAGES_RCS_FROM: this gateway does not send RCS';
    // Failover (https://developer.vonage.com/en/messages/guides/failover-message): if the
    // RCS message is rejected (the handset cannot take RCS), Vonage sends the SMS itself.
    const failover =
      sms.smsFallbackByVendor && settings.smsFrom
        ? { failover: [{ to: digits(sms.to), from: settings.smsFrom, channel: 'sms', message_type: 'text', text: sms.body, client_ref: sms.id }] }
        : {};
    return { ...common, from: settings.rcsFrom, channel: 'rcs', message_type: 'text', text: sms.body, ...failover };
  }
  return `channel ${channel} is not carried by the Vonage Messages API here`;
}

/**
 * A WhatsApp template. Without a URL button, the documented template message
 * ({message_type: "template", template: {name, parameters}, whatsapp: {policy, locale}});
 * a URL button's variable can only be given through a custom message, which passes
 * WhatsApp's own template object on (https://developer.vonage.com/en/messages/concepts/whatsapp,
 * "Sending WhatsApp templates with buttons": message_type custom, components body and button).
 */
function whatsappTemplateOf(template: TemplateContent): Record<string, unknown> {
  if (template.urlButton === undefined) {
    return {
      message_type: 'template',
      template: { name: template.name, parameters: template.body },
      whatsapp: { policy: 'deterministic', locale: template.language },
    };
  }
  return {
    message_type: 'custom',
    custom: {
      type: 'template',
      template: {
        name: template.name,
        language: { policy: 'deterministic', code: template.language },
        components: [
          { type: 'body', parameters: template.body.map((text) => ({ type: 'text', text })) },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: template.urlButton }] },
        ],
      },
    },
  };
}

// --- Send outcomes ---------------------------------------------------------------------

/**
 * 202 with message_uuid: accepted. Errors are RFC 7807 problems whose status says what
 * to do (https://developer.vonage.com/en/api/messages#send-a-message, responses):
 * - 401 unauthorized, 402 low balance: ours to fix, not this message's: retryable, so a
 *   fallback gateway can still send it.
 * - 422 invalid parameters (a bad number, a template that does not exist): permanent.
 * - 429 throttled, 5xx: retryable.
 */
function outcomeOf(reply: VendorReply): SendOutcome {
  if (reply.status >= 200 && reply.status < 300) {
    const uuid = isRecord(reply.json) ? reply.json.message_uuid : undefined;
    if (typeof uuid !== 'string' || uuid === '') {
      return { outcome: 'retryable', code: 'malformed-reply', detail: `Vonage answered ${reply.status} without a message_uuid: ${reply.body}` };
    }
    return { outcome: 'accepted', vendorMessageId: uuid };
  }
  const problem = problemOf(reply.json);
  const detail = `Vonage answered ${reply.status}: ${problem ? `${problem.title} ${problem.detail}`.trim() : reply.body}`;
  const code = problem?.code ? `vonage-${problem.code}` : `http-${reply.status}`;
  if (reply.status === 402) return { outcome: 'retryable', code, detail };
  return { ...outcomeOfHttpStatus(reply, detail), code };
}

/** The problem's fields, and its code: the type URL's fragment ("...#low-balance", "...#1020"). */
function problemOf(json: unknown): { title: string; detail: string; code?: string } | undefined {
  if (!isRecord(json) || (typeof json.title !== 'string' && typeof json.type !== 'string')) return undefined;
  const type = typeof json.type === 'string' ? json.type : '';
  const code = /#([A-Za-z0-9_-]{1,60})$/.exec(type)?.[1];
  return {
    title: typeof json.title === 'string' ? json.title : '',
    detail: typeof json.detail === 'string' ? json.detail : '',
    ...(code ? { code } : {}),
  };
}

// --- Webhooks --------------------------------------------------------------------------

/**
 * The statuses Vonage documents (https://developer.vonage.com/en/messages/concepts/messages-status-callbacks):
 * submitted (passed to the provider), delivered, read (WhatsApp, RCS), rejected (by Vonage
 * or the provider, with an error), undeliverable (Vonage could not reach the provider, or
 * the provider could not deliver), failed.
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
  ['submitted', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['rejected', 'failed'],
  ['undeliverable', 'undelivered'],
  ['failed', 'failed'],
]);

const INBOUND_CHANNELS: ReadonlySet<string> = new Set(['sms', 'whatsapp', 'rcs']);

/** A rejected message's error: its code is the type URL's fragment, or its title. */
function errorCodeOf(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  const type = typeof error.type === 'string' ? /#([A-Za-z0-9_-]{1,60})$/.exec(error.type)?.[1] : undefined;
  const title = typeof error.title === 'string' ? error.title : undefined;
  return type ?? (title ? excerpt(title, 60) : undefined);
}

/** An RCS or WhatsApp button press: its title is what the person chose. */
function replyTitleOf(reply: unknown): string {
  return isRecord(reply) && typeof reply.title === 'string' ? reply.title : '';
}
