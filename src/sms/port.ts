import type { C2mInvite, ChannelName, TemplateContent } from '../channels/channel';

/**
 * The SMS gateway port (every channel's: WhatsApp, RCS and LivePerson's invites go
 * through it too; see src/channels/channel.ts). Adapters (sandbox, and one module per vendor) translate the
 * vendor's answer into one of three outcomes, and the vendor's callbacks into receipts
 * and inbound texts; nothing else in the server sees a vendor format.
 */
export interface OutgoingSms {
  /** Our message id: adapters pass it to vendors that accept a client reference. */
  id: string;
  /** E.164. */
  to: string;
  /** The text (SMS, RCS, a WhatsApp text); for a template, its wording for our records. */
  body: string;
  /** Absent: sms. A gateway is only given messages of the channels it lists. */
  channel?: ChannelName;
  /** A template message (WhatsApp): sent instead of body. */
  template?: TemplateContent;
  /** LivePerson Connect-to-Messaging: the invite's eligibility call id. */
  c2m?: C2mInvite;
  /**
   * RCS: the campaign asks the vendor to send this text as an SMS itself when the handset
   * cannot take RCS (the channel entry's smsFallbackByVendor). Vonage Messages adds a
   * failover to its request; Twilio's RCS Messaging Service always falls back.
   */
  smsFallbackByVendor?: boolean;
}

/** Why a send can never succeed as it is. */
export type PermanentReason =
  /** The number does not exist or cannot take texts: the caller may give another. */
  | 'invalid-number'
  /** The recipient replied STOP (to us or the vendor): never text them again. */
  | 'unsubscribed'
  /** Refused by the vendor or a carrier (content, spam filter, blocked destination). */
  | 'blocked'
  /** Anything else the vendor says will never work (bad sender id, bad request). */
  | 'rejected'
  /**
   * The number cannot be reached on this channel (not on WhatsApp, no RCS, not eligible
   * for LivePerson's invite): the campaign's fallback channel may still reach it.
   */
  | 'not-on-channel';

/**
 * detail quotes the vendor's answer whole; redacting-gateway.ts takes credentials and
 * numbers out of it and cuts it short before anyone logs or stores it.
 */
export type SendOutcome =
  /** code: the vendor's own status or code when it gives one, kept for support cases. */
  | { outcome: 'accepted'; vendorMessageId: string; code?: string }
  /**
   * Worth trying again later: a timeout, a network error, the vendor's 5xx, throttling.
   * throttled marks a vendor saying "slow down" (HTTP 429 or its own equivalent);
   * retryAfterMs is its Retry-After, when it gave one.
   */
  | { outcome: 'retryable'; code: string; detail: string; throttled?: boolean; retryAfterMs?: number }
  | { outcome: 'permanent'; code: string; detail: string; reason: PermanentReason };

/** Delivery states a receipt can report; a message's status only ever moves forward. */
/** read: the recipient opened it (WhatsApp, RCS): a step past delivered. */
export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'undelivered' | 'failed';

export interface DeliveryReceipt {
  vendorMessageId: string;
  status: DeliveryStatus;
  /** The vendor's own status word and error code, kept as they came. */
  vendorStatus: string;
  errorCode?: string;
  /**
   * The vendor says the recipient has opted out (Twilio 21610, Vonage 9, Plivo 200,
   * Clickatell's opted-out...): the number goes on the opt-out list, as a STOP would.
   */
  optedOut?: boolean;
}

/** A text someone sent to one of our sender numbers (STOP, START, HELP, anything). */
export interface InboundSms {
  /** E.164 when the vendor gives a full number (most do, sometimes without the "+"). */
  from: string;
  to: string;
  text: string;
  /** The vendor's id for this text (Twilio MessageSid, Plivo MessageUUID, Vonage messageId...): a replay carries the same one. */
  vendorMessageId?: string;
  /** When the vendor says it was sent or received (ISO 8601), for vendors that say. */
  sentAt?: string;
  /** The channel it came in on (absent: sms): a STOP suppresses that channel only. */
  channel?: ChannelName;
}

/** A vendor's HTTP callback as it reached us. */
export interface WebhookRequest {
  /** The absolute URL the vendor called: PUBLIC_BASE_URL + path + query (signatures cover it). */
  url: string;
  method: string;
  /** Lower-case names. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received (signatures cover it); empty for GET. */
  rawBody: string;
  /** Query string and body fields (form or JSON object), merged; body wins. */
  params: Record<string, unknown>;
}

/** The verdict on a callback: its content, or why it was refused (the HTTP status to answer). */
export type WebhookVerdict<T> =
  | { ok: true; value: T }
  | { ok: false; status: 400 | 401 | 403; error: string };

/**
 * What the vendor knows of a message we may already have sent (our id), asked before
 * resending one whose last attempt's outcome is unknown (a crash or a timeout mid-request).
 */
export type SentLookup =
  /** The vendor has it: record it as sent, never send it again. */
  | { kind: 'found'; vendorMessageId: string; code?: string }
  /** The vendor certainly has no such message: sending it now texts the caller once. */
  | { kind: 'not-found' }
  /** The vendor could not tell (its lookup failed or lags): ask again later, do not send. */
  | { kind: 'unknown'; detail: string };

/**
 * How a resend after an unknown outcome is kept from texting twice (the README's table):
 * - 'idempotent': the vendor deduplicates by a reference we choose (our message id), so
 *   sending again is safe: effectively once.
 * - 'lookup': the adapter's findSent asks the vendor first: effectively once.
 * - absent: at least once (a text whose answer was lost may be sent again).
 */
export type ResendSafety = 'idempotent' | 'lookup';

export interface SmsGateway {
  /** Recorded on every message: "sandbox", "twilio", "vonage", ... */
  readonly name: string;
  /** The channels it can carry (absent: sms only); campaigns are checked against it at load. */
  readonly channels?: readonly ChannelName[];
  readonly resendSafety?: ResendSafety;
  /**
   * Required when resendSafety is 'lookup'. since: when the unknown attempt began (look
   * no further back than a little before it). Never throws: trouble is 'unknown'.
   */
  findSent?(sms: OutgoingSms, since: string, signal: AbortSignal): Promise<SentLookup>;
  /**
   * Sends one text. Never throws for vendor or network trouble: that is an outcome.
   * The signal aborts the attempt when the dispatcher's per-attempt timeout passes.
   */
  send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome>;
  /**
   * Verifies and reads a delivery-status callback (vendors that send them). May answer
   * later: verifying can need a fetch (Amazon SNS's signing certificate). An empty list is
   * a verified callback with nothing to apply (a subscription handshake).
   */
  parseReceipt?(req: WebhookRequest): WebhookVerdict<DeliveryReceipt[]> | Promise<WebhookVerdict<DeliveryReceipt[]>>;
  /**
   * Verifies and reads an inbound-text callback (vendors that send them). undefined: a
   * verified callback that carries no text (a subscription handshake), answered 204.
   */
  parseInbound?(req: WebhookRequest): WebhookVerdict<InboundSms | undefined> | Promise<WebhookVerdict<InboundSms | undefined>>;
  /**
   * A vendor that checks our callback URL with a GET before it posts to it (Meta's
   * hub.challenge): the text to answer (200 text/plain), or why not. Asked for every GET
   * to this gateway's callback routes.
   */
  verifySubscription?(req: WebhookRequest): WebhookVerdict<string>;
  /**
   * The vendor posts receipts and inbound texts to one callback URL (Meta): the status
   * route also reads the callback as inbound (parseInbound) after applying its receipts.
   */
  readonly inboundOnStatusUrl?: boolean;
  /**
   * How its callbacks are taken, where the vendor needs other than the default (answered
   * 204, bodies up to 64 kB): Meta wants 200 and batches many updates in one POST.
   */
  readonly callbackHandling?: { okStatus?: 200 | 204; maxBodyBytes?: number };
}
