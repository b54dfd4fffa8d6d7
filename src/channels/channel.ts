/**
 * The channels a deflection can reach the caller on. A text message (SMS) is what every
 * campaign had before channels existed, and stays the default: a message, a consent
 * record or a suppression that names no channel is SMS.
 *
 * - sms: a text message through one of our SMS gateways.
 * - whatsapp: a WhatsApp template message (outside the 24-hour customer window only an
 *   approved template may be sent, and only to a user who opted in: the key press and the
 *   wording heard at the offer are that opt-in), through Meta's Cloud API, Twilio or the
 *   Vonage Messages API.
 * - rcs: an RCS business message (Twilio or Vonage Messages), which those vendors can
 *   turn into an SMS themselves when the handset cannot take RCS.
 * - c2m: LivePerson Connect-to-Messaging: LivePerson sends the invite itself (SMS or
 *   WhatsApp, its choice or ours), so no gateway of ours carries it.
 */
export const CHANNEL_NAMES = ['sms', 'whatsapp', 'rcs', 'c2m'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];

export const DEFAULT_CHANNEL: ChannelName = 'sms';

/** How the channel is named to people (reports, console, logs). */
export const CHANNEL_LABELS: Record<ChannelName, string> = {
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  rcs: 'RCS',
  c2m: 'LivePerson Connect-to-Messaging',
};

/**
 * A pre-approved template message with its variables already filled (the link among
 * them). Stored on the message as it was sent, so a resend after a restart sends the
 * same thing whatever the campaign says by then.
 */
export interface TemplateContent {
  /**
   * WhatsApp Cloud API and Vonage Messages: the approved template's name; Twilio: the
   * Content SID (HX...) of the Content template.
   */
  name: string;
  /** The template's language as the vendor spells it (WhatsApp: "en_US", "es"). */
  language: string;
  /** The body's variables in order ({{1}}, {{2}}, ...), filled. */
  body: string[];
  /** The variable of a URL button (the part the template appends to its base URL), filled. */
  urlButton?: string;
}

/**
 * LivePerson Connect-to-Messaging: what the invite call needs. The eligibility call at
 * the offer (or again at the send, when the caller gave another number) returned the
 * callId; overrideChannel asks LivePerson for one of the channels it said were available.
 */
export interface C2mInvite {
  callId: string;
  overrideChannel?: string;
}

/**
 * What goes out when the first channel does not get through, decided when the first
 * message is created and stored with it (so any instance, after any restart, sends
 * exactly this, once). The fallback is itself a message; it has no fallback of its own.
 */
export interface FallbackPlan {
  channel: ChannelName;
  gateway: string;
  fallbackGateway: string | null;
  body: string;
  template?: TemplateContent;
  /**
   * No delivery (or read) receipt this long after the first message was created: send the
   * fallback. null: only when the first channel fails (not on it, refused, vendor down).
   */
  afterSeconds: number | null;
}
