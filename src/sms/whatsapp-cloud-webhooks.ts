import type { DeliveryReceipt, DeliveryStatus, InboundSms, WebhookVerdict } from './port';
import { e164Of, invalid, isRecord } from './callback-parsing';
import { classifyInboundText } from './opt-out';

/**
 * Reading Meta's webhook for the `messages` field: `{object: "whatsapp_business_account",
 * entry: [{id, changes: [{field: "messages", value: {messaging_product, metadata:
 * {display_phone_number, phone_number_id}, statuses?: [...], contacts?: [...],
 * messages?: [...]}}]}]}`
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples,
 * https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/components).
 * The signature is checked before any of this runs (whatsapp-cloud.ts).
 */

/**
 * Every change value of the messages field for our phone number. An app subscribed for
 * several numbers gets all their callbacks at one URL: another number's are not ours to apply.
 */
export function valuesOf(body: unknown, phoneNumberId: string): WebhookVerdict<Record<string, unknown>[]> {
  if (!isRecord(body) || body.object !== 'whatsapp_business_account' || !Array.isArray(body.entry)) {
    return invalid('object "whatsapp_business_account" and entry[] are required');
  }
  const values: Record<string, unknown>[] = [];
  for (const entry of body.entry) {
    const changes = isRecord(entry) && Array.isArray(entry.changes) ? entry.changes : [];
    for (const change of changes) {
      if (!isRecord(change) || change.field !== 'messages' || !isRecord(change.value)) continue;
      const metadata = change.value.metadata;
      if (!isRecord(metadata) || metadata.phone_number_id !== phoneNumberId) continue;
      values.push(change.value);
    }
  }
  return { ok: true, value: values };
}

/** Meta's status words; "failed" is refined by its error code below. */
const STATUS_OF = new Map<string, DeliveryStatus>([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['read', 'read'],
  ['failed', 'failed'],
]);
/** Message undeliverable (not on WhatsApp...): the number may still take an SMS. */
const NOT_ON_WHATSAPP = '131026';
/** The user stopped marketing messages from this business. */
const STOPPED_MARKETING = '131050';

/**
 * One receipt per status we know. Statuses Meta may add (or "deleted", "warning") are
 * skipped rather than refusing the callback: Meta would retry a refused one for days.
 */
export function receiptsOf(values: Record<string, unknown>[]): DeliveryReceipt[] {
  const receipts: DeliveryReceipt[] = [];
  for (const value of values) {
    for (const status of Array.isArray(value.statuses) ? value.statuses : []) {
      if (!isRecord(status) || typeof status.id !== 'string' || status.id === '' || typeof status.status !== 'string') continue;
      const known = STATUS_OF.get(status.status);
      if (!known) continue;
      const [error] = Array.isArray(status.errors) ? status.errors : [];
      const errorCode = isRecord(error) && (typeof error.code === 'number' || typeof error.code === 'string') ? String(error.code) : undefined;
      receipts.push({
        vendorMessageId: status.id.slice(0, 200),
        // Not on WhatsApp is "undelivered": the channel could not reach them, a fallback may.
        status: known === 'failed' && errorCode === NOT_ON_WHATSAPP ? 'undelivered' : known,
        vendorStatus: status.status,
        ...(errorCode ? { errorCode } : {}),
        ...(errorCode === STOPPED_MARKETING ? { optedOut: true } : {}),
      });
    }
  }
  return receipts;
}

/**
 * The text message to our number that matters: the route applies one text per callback,
 * and only a STOP or START changes anything. Meta usually sends one message per callback
 * but may batch several, so the latest opt-out keyword among them wins (the person's last
 * word), and otherwise the first text. Each carries its wamid (a replay carries the same
 * one) and Meta's timestamp (Unix seconds). Other types (image, button, reaction) carry no
 * text and are left alone.
 */
export function inboundOf(values: Record<string, unknown>[], phoneNumberId: string): InboundSms | undefined {
  const texts: InboundSms[] = [];
  for (const value of values) {
    const metadata = isRecord(value.metadata) ? value.metadata : {};
    const to = typeof metadata.display_phone_number === 'string' ? e164Of(metadata.display_phone_number.replace(/\D/g, '')) : phoneNumberId;
    for (const message of Array.isArray(value.messages) ? value.messages : []) {
      if (!isRecord(message) || message.type !== 'text' || typeof message.from !== 'string' || !/^\d{1,20}$/.test(message.from)) continue;
      const text = isRecord(message.text) ? message.text.body : undefined;
      if (typeof text !== 'string') continue;
      const seconds = typeof message.timestamp === 'string' && /^\d{1,12}$/.test(message.timestamp) ? Number(message.timestamp) : undefined;
      texts.push({
        from: e164Of(message.from),
        to,
        text: text.slice(0, 1600),
        channel: 'whatsapp',
        ...(typeof message.id === 'string' && message.id !== '' ? { vendorMessageId: message.id.slice(0, 200) } : {}),
        ...(seconds !== undefined ? { sentAt: new Date(seconds * 1000).toISOString() } : {}),
      });
    }
  }
  const keywords = texts.filter((t) => classifyInboundText(t.text) === 'stop' || classifyInboundText(t.text) === 'start');
  // ISO times sort as text; a keyword without a time counts as the earliest.
  keywords.sort((a, b) => (a.sentAt ?? '').localeCompare(b.sentAt ?? ''));
  return keywords.at(-1) ?? texts[0];
}
