/**
 * The line-type lookup port: what kind of line a number is, as its carrier records say.
 * Optional: without it, numbers are judged by libphonenumber's metadata alone (which
 * cannot tell fixed from mobile in the US). Twilio Lookup v2 is the adapter we ship.
 */

/** Our own classes; adapters map the vendor's names onto them. */
export type LineType = 'mobile' | 'landline' | 'voip' | 'toll-free' | 'premium' | 'other' | 'unknown';

export type LineTypeAnswer =
  /** vendorType is the vendor's own word ("nonFixedVoip"), for logs and evidence. */
  | { kind: 'known'; lineType: LineType; vendorType: string; textable: boolean; carrier?: string }
  /** Timeout, network failure, HTTP error, malformed answer: the caller falls back to the number rules. */
  | { kind: 'error'; detail: string };

export interface LineTypeLookup {
  /** Never throws. e164 is "+16175551234". */
  lookup(e164: string, signal: AbortSignal): Promise<LineTypeAnswer>;
}
