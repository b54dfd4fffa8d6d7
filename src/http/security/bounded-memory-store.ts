import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';

/**
 * express-rate-limit's counts in a Map of at most `maxKeys` clients, so a flood of new
 * keys (addresses, typed user names) cannot grow the limiter without bound. Each key has a
 * fixed window from its first hit. When the map is full, expired windows go first, then
 * the oldest window: a client pushed out starts again from zero, which costs an attacker
 * `maxKeys` fresh keys per reset, and the limits that count more widely (per address,
 * overall) still hold.
 */
export class BoundedMemoryStore implements Store {
  /** Counts are kept in this process; the limiter may count before its own answer. */
  readonly localKeys = true;
  private windowMs = 60_000;
  // Insertion order is window-start order: a key is re-inserted when its window restarts.
  private readonly hits = new Map<string, { totalHits: number; resetTime: Date }>();

  constructor(
    private readonly maxKeys: number,
    private readonly now: () => number = Date.now,
  ) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  get(key: string): ClientRateLimitInfo | undefined {
    return this.current(key);
  }

  increment(key: string): ClientRateLimitInfo {
    const entry = this.current(key) ?? this.start(key);
    entry.totalHits += 1;
    return { totalHits: entry.totalHits, resetTime: entry.resetTime };
  }

  decrement(key: string): void {
    const entry = this.current(key);
    if (entry && entry.totalHits > 0) entry.totalHits -= 1;
  }

  resetKey(key: string): void {
    this.hits.delete(key);
  }

  resetAll(): void {
    this.hits.clear();
  }

  /** How many clients are counted now (for tests and metrics). */
  get size(): number {
    return this.hits.size;
  }

  private current(key: string): { totalHits: number; resetTime: Date } | undefined {
    const entry = this.hits.get(key);
    if (entry && entry.resetTime.getTime() <= this.now()) {
      this.hits.delete(key);
      return undefined;
    }
    return entry;
  }

  private start(key: string): { totalHits: number; resetTime: Date } {
    this.makeRoom();
    const entry = { totalHits: 0, resetTime: new Date(this.now() + this.windowMs) };
    this.hits.set(key, entry);
    return entry;
  }

  private makeRoom(): void {
    const now = this.now();
    for (const [key, entry] of this.hits) {
      if (this.hits.size < this.maxKeys && entry.resetTime.getTime() > now) return;
      // Expired, or the oldest window while the map is full.
      this.hits.delete(key);
    }
  }
}
