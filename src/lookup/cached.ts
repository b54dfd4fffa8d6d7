import type { LineTypeAnswer, LineTypeLookup } from './port';

export interface CachedLookupSettings {
  /** How long a known answer is reused: numbers are ported between carriers, so not forever. */
  ttlMs: number;
  /** Upper bound on remembered numbers, so a flood of distinct callers cannot grow memory without end. */
  maxEntries: number;
  /** Milliseconds; injectable so tests can move time. */
  now?: () => number;
}

const ABANDONED: LineTypeAnswer = { kind: 'error', detail: 'line-type lookup abandoned by the caller' };

interface Entry {
  answer: LineTypeAnswer;
  expiresAt: number;
}

interface Flight {
  answer: Promise<LineTypeAnswer>;
  controller: AbortController;
  /** Callers still waiting: the request is only abandoned once every one of them has gone. */
  waiting: number;
}

/**
 * A line-type lookup costs money and a caller's time on hold, and the same caller tends to
 * ring back within minutes, so known answers are reused. Errors are not: the next call should
 * try again rather than inherit a timeout. Lookups of a number already under way join that
 * request instead of paying for a second one.
 */
export class CachedLineTypeLookup implements LineTypeLookup {
  // A Map keeps insertion order, and with one TTL for all entries that is also expiry order,
  // so the oldest entry is both the first to expire and the one to evict.
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, Flight>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly inner: LineTypeLookup,
    settings: CachedLookupSettings,
  ) {
    if (!(settings.ttlMs >= 0)) throw new RangeError(`ttlMs must be zero or more, not ${settings.ttlMs}`);
    if (!Number.isInteger(settings.maxEntries) || settings.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a whole number of at least 1, not ${settings.maxEntries}`);
    }
    this.ttlMs = settings.ttlMs;
    this.maxEntries = settings.maxEntries;
    this.now = settings.now ?? Date.now;
  }

  /** Numbers remembered right now (expired ones included until they are next noticed). */
  get size(): number {
    return this.entries.size;
  }

  lookup(e164: string, signal: AbortSignal): Promise<LineTypeAnswer> {
    const cached = this.entries.get(e164);
    if (cached) {
      if (cached.expiresAt > this.now()) return Promise.resolve(cached.answer);
      this.entries.delete(e164);
    }
    if (signal.aborted) return Promise.resolve(ABANDONED);
    const flight = this.flights.get(e164) ?? this.start(e164);
    return this.wait(e164, flight, signal);
  }

  private start(e164: string): Flight {
    const controller = new AbortController();
    const flight: Flight = { answer: Promise.resolve(ABANDONED), controller, waiting: 0 };
    flight.answer = this.ask(e164, controller.signal).then((answer) => {
      if (this.flights.get(e164) === flight) this.flights.delete(e164);
      if (answer.kind === 'known') this.remember(e164, answer);
      return answer;
    });
    this.flights.set(e164, flight);
    return flight;
  }

  /** The port says lookups never throw; one that does must not reject every caller sharing its request. */
  private async ask(e164: string, signal: AbortSignal): Promise<LineTypeAnswer> {
    try {
      return await this.inner.lookup(e164, signal);
    } catch (error) {
      return { kind: 'error', detail: `line-type lookup failed: ${(error as Error)?.message ?? String(error)}` };
    }
  }

  /**
   * Each caller gets its own way out: one hanging up answers that caller at once without
   * cutting off the others, who asked later and still have time left.
   */
  private wait(e164: string, flight: Flight, signal: AbortSignal): Promise<LineTypeAnswer> {
    flight.waiting += 1;
    return new Promise<LineTypeAnswer>((resolve) => {
      const leave = (): void => {
        flight.waiting -= 1;
        if (flight.waiting === 0) {
          // Nobody wants this answer any more; a later caller starts afresh rather than
          // joining a request that is being torn down.
          if (this.flights.get(e164) === flight) this.flights.delete(e164);
          flight.controller.abort(signal.reason);
        }
        resolve(ABANDONED);
      };
      signal.addEventListener('abort', leave, { once: true });
      void flight.answer.then((answer) => {
        signal.removeEventListener('abort', leave);
        resolve(answer);
      });
    });
  }

  private remember(e164: string, answer: LineTypeAnswer): void {
    const now = this.now();
    // Re-inserting moves the number to the back, where its new expiry belongs.
    this.entries.delete(e164);
    this.entries.set(e164, { answer, expiresAt: now + this.ttlMs });
    for (const [number, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && entry.expiresAt > now) break;
      this.entries.delete(number);
    }
  }
}
