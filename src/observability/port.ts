import type { SendOutcome } from '../sms/port';

/**
 * What the outbox tells the metrics about vendor requests. A port, so the dispatcher
 * knows nothing of prom-client, and tests that build a dispatcher need no registry.
 */
export interface GatewayMetrics {
  /** One vendor request ended with this outcome after this many seconds. */
  requestEnded(gateway: string, outcome: SendOutcome, seconds: number): void;
}
