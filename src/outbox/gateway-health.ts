import type { SendOutcome } from '../sms/port';

/** Consecutive failures that open the breaker and send traffic to the fallback gateway. */
export const BREAKER_THRESHOLD = 3;
export const BREAKER_COOLDOWN_MS = 30_000;
/** Pause after a throttle answer without Retry-After: doubles per throttle in a row. */
const THROTTLE_PAUSE_MS = 1_000;
const MAX_THROTTLE_PAUSE_MS = 60_000;

/**
 * What the dispatcher has learned about one gateway from its answers:
 * - a circuit breaker: after BREAKER_THRESHOLD retryable failures in a row the gateway is
 *   "open" for a cool-down, and messages that have a fallback go there instead; the next
 *   attempt after the cool-down probes it again;
 * - a pause: a vendor that says "slow down" (429) gets no requests until its Retry-After
 *   (or a doubling pause) has passed.
 */
export class GatewayHealth {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private pausedUntil = 0;
  private throttlesInARow = 0;

  /** Learns from one answer; true when it ends an outage (a run of failures that opened the breaker). */
  record(outcome: SendOutcome, nowMs: number): boolean {
    if (outcome.outcome !== 'retryable') {
      // Accepted, or refused for reasons of the message itself: the gateway works.
      const recovered = this.consecutiveFailures >= BREAKER_THRESHOLD;
      this.consecutiveFailures = 0;
      this.throttlesInARow = 0;
      return recovered;
    }
    if (outcome.throttled) {
      this.throttlesInARow += 1;
      const pause =
        outcome.retryAfterMs ?? Math.min(MAX_THROTTLE_PAUSE_MS, THROTTLE_PAUSE_MS * 2 ** (this.throttlesInARow - 1));
      this.pausedUntil = Math.max(this.pausedUntil, nowMs + pause);
      return false;
    }
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures >= BREAKER_THRESHOLD) this.openUntil = nowMs + BREAKER_COOLDOWN_MS;
    return false;
  }

  isOpen(nowMs: number): boolean {
    return this.openUntil > nowMs;
  }

  /** Milliseconds until this gateway may be sent to again (0: now). */
  pausedForMs(nowMs: number): number {
    return Math.max(0, this.pausedUntil - nowMs);
  }
}
