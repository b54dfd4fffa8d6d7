/**
 * At most `max` uses per fixed clock window (a minute, an hour): one counter, constant
 * memory, per instance. For paid or costly calls anyone can trigger by walking calls
 * (line-type lookups, availability checks that open chat engagements).
 */
export class FixedWindowBudget {
  private window = -1;
  private used = 0;

  constructor(
    readonly max: number,
    private readonly windowMs: number,
    /** Milliseconds; injectable so tests can move time. */
    private readonly now: () => number = Date.now,
  ) {}

  /** Uses one if any is left in the current window. */
  take(): boolean {
    const window = Math.floor(this.now() / this.windowMs);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    if (this.used >= this.max) return false;
    this.used += 1;
    return true;
  }
}
