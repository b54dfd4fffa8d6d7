/**
 * The SMS gateway port. Adapters (sandbox, and one module per vendor) translate the
 * vendor's answer into one of three outcomes; the call flow never sees vendor formats.
 */
export interface OutgoingSms {
  /** Our message id: adapters pass it to vendors that accept a client reference. */
  id: string;
  /** E.164. */
  to: string;
  body: string;
}

export type SendOutcome =
  | { outcome: 'accepted'; vendorMessageId: string }
  /** Worth trying again later: throttling, a timeout, the vendor's 5xx. */
  | { outcome: 'retryable'; code: string; detail: string }
  /** Will never succeed as it is; invalidDestination lets the caller try another number. */
  | { outcome: 'permanent'; code: string; detail: string; invalidDestination: boolean };

export interface SmsGateway {
  /** Recorded on every message, e.g. "sandbox" or "twilio". */
  readonly name: string;
  send(sms: OutgoingSms): Promise<SendOutcome>;
}
