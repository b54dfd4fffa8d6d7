import { Counter, Histogram, type Registry } from 'prom-client';
import type { SendOutcome } from '../sms/port';
import type { GatewayMetrics, ResendVerdict } from './port';

/** From a fast vendor (tens of ms) to SMS_ATTEMPT_TIMEOUT_MS at its largest (60 s). */
const BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * What went wrong, in words a dashboard can group by without knowing vendor codes:
 * a refusal for good is its reason (invalid-number, unsubscribed, blocked, rejected);
 * a failure worth retrying is timeout, throttled, network or retryable (a 5xx, an
 * unreadable answer, the vendor's own "try later").
 */
function errorKind(outcome: Exclude<SendOutcome, { outcome: 'accepted' }>): string {
  if (outcome.outcome === 'permanent') return outcome.reason;
  if (outcome.throttled) return 'throttled';
  if (outcome.code === 'timeout' || outcome.code === 'network') return outcome.code;
  return 'retryable';
}

/** Vendor requests: latency by gateway and outcome, and errors by gateway and kind. */
export class PromGatewayMetrics implements GatewayMetrics {
  private readonly duration: Histogram<'gateway' | 'outcome'>;
  private readonly errors: Counter<'gateway' | 'kind'>;
  private readonly resends: Counter<'gateway' | 'verdict'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'ivr_deflect_gateway_request_duration_seconds',
      help: 'SMS vendor requests by gateway and outcome (accepted, retryable, permanent)',
      labelNames: ['gateway', 'outcome'],
      buckets: BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'ivr_deflect_gateway_errors_total',
      help: 'SMS vendor requests that did not get the text accepted, by gateway and kind',
      labelNames: ['gateway', 'kind'],
      registers: [registry],
    });
    this.resends = new Counter({
      name: 'ivr_deflect_outbox_resend_checks_total',
      help: 'Texts whose last attempt had an unknown outcome, checked before resending: found, not-found, unknown (lookup), idempotent, possible-duplicate',
      labelNames: ['gateway', 'verdict'],
      registers: [registry],
    });
  }

  resendChecked(gateway: string, verdict: ResendVerdict): void {
    this.resends.inc({ gateway, verdict });
  }

  requestEnded(gateway: string, outcome: SendOutcome, seconds: number): void {
    this.duration.observe({ gateway, outcome: outcome.outcome }, seconds);
    if (outcome.outcome !== 'accepted') this.errors.inc({ gateway, kind: errorKind(outcome) });
  }
}
