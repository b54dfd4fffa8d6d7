/**
 * How long a message waits before its next attempt: exponential (base, 2×base, 4×base...)
 * capped at MAX_RETRY_DELAY_MS (or the caller's cap: events out's), with jitter of ±50% so that messages failed by one outage
 * do not all come back at the same instant and knock the vendor over again.
 */
export const MAX_RETRY_DELAY_MS = 10 * 60_000;

export function retryDelayMs(failedAttempts: number, baseMs: number, random: () => number = Math.random, capMs = MAX_RETRY_DELAY_MS): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential * (0.5 + random()));
}
