/**
 * Bounds how many vendor requests run at once. Urgent work (a caller waiting on the line)
 * goes ahead of background retries in the queue for a free slot.
 */
export class Limiter {
  private running = 0;
  private readonly urgent: (() => void)[] = [];
  private readonly background: (() => void)[] = [];

  constructor(private readonly slots: number) {}

  get free(): number {
    return Math.max(0, this.slots - this.running - this.urgent.length - this.background.length);
  }

  async run<T>(task: () => Promise<T>, urgent = false): Promise<T> {
    if (this.running >= this.slots) {
      await new Promise<void>((resolve) => (urgent ? this.urgent : this.background).push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await task();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = this.urgent.shift() ?? this.background.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
