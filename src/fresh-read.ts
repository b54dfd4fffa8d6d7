/**
 * One read shared by everyone who asks at about the same time, without anyone getting an
 * answer older than their question: each caller gets the result of a read that began
 * after it called.
 *
 * Why: on PostgreSQL every request checked the campaigns' revision (and every call start
 * the service switch) with a query of its own. At saturation that was a third of the
 * queries of a deflection, all reading the same row. A cache kept for N ms would be
 * cheaper still, but a campaign switched off through one instance would then be served by
 * the others for up to N ms after the switch; here it never is: a request that comes in
 * after the change committed waits for a read that began after it came in.
 *
 * How: while a read is in flight, callers arriving meanwhile cannot use it (it may have
 * begun before the change they must see); they all wait for the next read, which starts
 * as soon as the current one ends. So at most one read runs and one waits, however many
 * requests there are: under load, one query per round trip instead of one per request.
 * When nothing else is asking, a caller's read starts at once, as before.
 */
export class FreshRead<T> {
  private current: Promise<T> | undefined;
  private next: Promise<T> | undefined;

  constructor(private readonly read: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.current) return this.start();
    if (!this.next) {
      const settled = this.current.then(
        () => undefined,
        () => undefined,
      );
      this.next = settled.then(() => {
        this.next = undefined;
        return this.start();
      });
    }
    return this.next;
  }

  private start(): Promise<T> {
    const reading: Promise<T> = this.read().finally(() => {
      if (this.current === reading) this.current = undefined;
    });
    this.current = reading;
    return reading;
  }
}
