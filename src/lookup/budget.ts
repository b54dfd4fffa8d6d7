import { FixedWindowBudget } from '../fixed-window-budget';
import type { LineTypeAnswer, LineTypeLookup } from './port';

/**
 * A cap on paid lookups per clock hour. Each lookup is billed, and anyone who can walk
 * calls can make the server look numbers up, so past the budget the answer is the one a
 * failed lookup gives: the number rules decide alone. Sits behind the cache, so answers
 * the cache already holds cost nothing. One counter per instance (constant memory).
 */
export class BudgetedLineTypeLookup implements LineTypeLookup {
  private readonly budget: FixedWindowBudget;

  constructor(
    private readonly inner: LineTypeLookup,
    perHour: number,
    /** Milliseconds; injectable so tests can move time. */
    now: () => number = Date.now,
  ) {
    if (!Number.isInteger(perHour) || perHour < 1) throw new RangeError(`perHour must be a whole number of at least 1, not ${perHour}`);
    this.budget = new FixedWindowBudget(perHour, 3_600_000, now);
  }

  lookup(e164: string, signal: AbortSignal): Promise<LineTypeAnswer> {
    if (!this.budget.take()) {
      return Promise.resolve({ kind: 'error', detail: `line-type lookup budget spent (${this.budget.max} per hour)` });
    }
    return this.inner.lookup(e164, signal);
  }
}
