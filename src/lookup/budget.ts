import type { LineTypeAnswer, LineTypeLookup } from './port';

/**
 * A cap on paid lookups per clock hour. Each lookup is billed, and anyone who can walk
 * calls can make the server look numbers up, so past the budget the answer is the one a
 * failed lookup gives: the number rules decide alone. Sits behind the cache, so answers
 * the cache already holds cost nothing. One counter per instance (constant memory).
 */
export class BudgetedLineTypeLookup implements LineTypeLookup {
  private hour = -1;
  private used = 0;

  constructor(
    private readonly inner: LineTypeLookup,
    private readonly perHour: number,
    /** Milliseconds; injectable so tests can move time. */
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(perHour) || perHour < 1) throw new RangeError(`perHour must be a whole number of at least 1, not ${perHour}`);
  }

  lookup(e164: string, signal: AbortSignal): Promise<LineTypeAnswer> {
    const hour = Math.floor(this.now() / 3_600_000);
    if (hour !== this.hour) {
      this.hour = hour;
      this.used = 0;
    }
    if (this.used >= this.perHour) {
      return Promise.resolve({ kind: 'error', detail: `line-type lookup budget spent (${this.perHour} per hour)` });
    }
    this.used += 1;
    return this.inner.lookup(e164, signal);
  }
}
