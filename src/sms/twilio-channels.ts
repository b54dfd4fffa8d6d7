import { DEFAULT_CHANNEL, type ChannelName, type TemplateContent } from '../channels/channel';
import type { TwilioSettings } from './gateway-config';
import type { OutgoingSms, PermanentReason } from './port';

/**
 * How Twilio's Messages resource addresses each channel (the form fields of one send),
 * and the WhatsApp error codes that say something about the channel.
 *
 * - SMS: To=+E164, From or MessagingServiceSid, Body.
 * - WhatsApp: To=whatsapp:+E164 and From=whatsapp:<sender> (or the Messaging Service,
 *   whose pool holds the WhatsApp sender); a template is ContentSid (HX...) plus
 *   ContentVariables, a JSON object {"1": ..., "2": ...}
 *   (https://www.twilio.com/docs/content/send-templates-created-with-the-content-template-builder,
 *   https://www.twilio.com/en-us/changelog/content-templates-messaging-services-optional).
 * - RCS: MessagingServiceSid of a service with an RCS sender and an SMS sender, To=+E164:
 *   "Programmable Messaging defaults to RCS as the first-attempt channel ... Messages that
 *   can't be delivered over RCS automatically fall back to SMS or MMS, using other senders
 *   in the Messaging Service's Sender Pool" (https://www.twilio.com/docs/rcs/send-an-rcs-message).
 *   An rcs: To address would send RCS only, with no fallback (https://www.twilio.com/docs/api/errors/21664).
 */

/** SMS always; WhatsApp with a WhatsApp sender or a Messaging Service; RCS with its service. */
export function twilioChannels(settings: TwilioSettings): ChannelName[] {
  return [
    'sms',
    ...(settings.whatsappFrom || settings.messagingServiceSid ? (['whatsapp'] as const) : []),
    ...(settings.rcsMessagingServiceSid ? (['rcs'] as const) : []),
  ];
}

/** The To address Twilio knows the recipient by on this message's channel. */
export function twilioAddressOf(sms: Pick<OutgoingSms, 'to' | 'channel'>): string {
  return (sms.channel ?? DEFAULT_CHANNEL) === 'whatsapp' ? `whatsapp:${sms.to}` : sms.to;
}

/** To, the sender and the content of one send, as form fields. */
export function addressedFields(settings: TwilioSettings, sms: OutgoingSms): Record<string, string | undefined> {
  const channel = sms.channel ?? DEFAULT_CHANNEL;
  const content = sms.template ? templateFields(sms.template) : { Body: sms.body };
  if (channel === 'whatsapp') {
    const sender = settings.whatsappFrom
      ? { From: `whatsapp:${settings.whatsappFrom}` }
      : { MessagingServiceSid: settings.messagingServiceSid };
    return { To: twilioAddressOf(sms), ...sender, ...content };
  }
  if (channel === 'rcs') return { To: sms.to, MessagingServiceSid: settings.rcsMessagingServiceSid, ...content };
  return { To: sms.to, ...smsSenderOf(settings), ...content };
}

/**
 * A Messaging Service picks the sender from its pool (sticky sender, local numbers),
 * so it wins over a fixed From when both are configured: sending both would pin one number.
 */
function smsSenderOf(settings: TwilioSettings): Record<string, string | undefined> {
  return settings.messagingServiceSid ? { MessagingServiceSid: settings.messagingServiceSid } : { From: settings.from };
}

/**
 * A Content template: its SID, and its variables numbered from 1 in the order the
 * template declares them: the body's, then the URL button's (the template's last variable).
 */
function templateFields(template: TemplateContent): Record<string, string> {
  const values = [...template.body, ...(template.urlButton !== undefined ? [template.urlButton] : [])];
  const variables = Object.fromEntries(values.map((value, i) => [String(i + 1), value]));
  return { ContentSid: template.name, ...(values.length ? { ContentVariables: JSON.stringify(variables) } : {}) };
}

/** "whatsapp:+1415..." → the number and its channel; a plain number is SMS (or RCS: no prefix either). */
export function channelAddressOf(address: string): { address: string; channel?: ChannelName } {
  const match = /^(whatsapp|rcs):(.*)$/i.exec(address);
  if (!match) return { address };
  return { address: match[2]!, channel: match[1]!.toLowerCase() as ChannelName };
}

/**
 * Twilio's WhatsApp error codes (https://www.twilio.com/docs/api/errors/<code>, and the
 * mapping to Meta's codes at https://www.twilio.com/docs/whatsapp/api/error-code-mapping).
 */
export const CHANNEL_PERMANENT_CODES: readonly [number, PermanentReason][] = [
  // 63003 "Channel could not find To address": not a WhatsApp user (Meta 1006, 1013, 1021).
  [63003, 'not-on-channel'],
  // 63024 "Invalid message recipient" (Meta 1002, 1026): the number cannot get WhatsApp messages.
  [63024, 'not-on-channel'],
  // 63032 (Meta 472): WhatsApp will not deliver to this user (its experiment group):
  // the number still takes an SMS.
  [63032, 'not-on-channel'],
  // 63016 (Meta 470): outside the 24-hour window a free-form message is refused; only a
  // template may go. A campaign configuration problem, not the caller's.
  [63016, 'rejected'],
  // 63014 "Channel message blocked by user action": the recipient blocked our sender.
  [63014, 'blocked'],
];

/**
 * 63007 (https://www.twilio.com/docs/api/errors/63007): no channel (WhatsApp sender) with
 * our From, or it is pending approval: ours to fix, and another gateway may still send.
 */
export const CHANNEL_OTHER_ROUTE_CODES: readonly number[] = [63007];
