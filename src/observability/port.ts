import type { SendOutcome } from '../sms/port';

/**
 * What the outbox tells the metrics about vendor requests. A port, so the dispatcher
 * knows nothing of prom-client, and tests that build a dispatcher need no registry.
 */
export interface GatewayMetrics {
  /** One vendor request ended with this outcome after this many seconds. */
  requestEnded(gateway: string, outcome: SendOutcome, seconds: number): void;
  /**
   * The outbox took a text whose last attempt's outcome was unknown (a crash or a timeout
   * mid-request) and checked before resending it: the vendor's lookup found it, did not,
   * could not tell; the vendor deduplicates by our reference (idempotent); or nothing
   * could tell and it was sent again, a possible duplicate.
   */
  resendChecked?(gateway: string, verdict: ResendVerdict): void;
}

export type ResendVerdict = 'found' | 'not-found' | 'unknown' | 'idempotent' | 'possible-duplicate';
