/**
 * Reads by key, gathered: the keys asked for while the event loop runs one turn are read
 * together in one statement, and each asker gets its own answer from it.
 *
 * Why: on PostgreSQL a statement costs this process a round trip (a socket write, a
 * read, the driver's parsing; about a third of its CPU per deflection at saturation, more
 * than the statement costs the database). At saturation many requests reach the same step
 * in one turn, each reading its call and checking its number's opt-out: one statement
 * for them all instead of one each.
 *
 * Nobody gets an older answer than a read of their own would give: the statement is sent
 * in the turn's check phase (setImmediate), after every asker in the batch has asked, so
 * under READ COMMITTED it sees everything committed before each of them asked. A quiet
 * process pays one event-loop turn, microseconds.
 */

/** Reads these keys; answers with a lookup that gives each key's value. */
export type ReadMany<K, V> = (keys: K[]) => Promise<(key: K) => V>;

// Taken when the module loads: the batch is flushed by the real check phase even where a
// test replaces the timers later.
const inCheckPhase = setImmediate;

interface Waiter<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

export class BatchedRead<K, V> {
  private waiting: Waiter<K, V>[] = [];

  /** `maxKeys`: at most this many keys in one statement; more are read in further ones. */
  constructor(
    private readonly readMany: ReadMany<K, V>,
    private readonly maxKeys = 100,
  ) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      if (this.waiting.push({ key, resolve, reject }) === 1) inCheckPhase(() => this.flush());
    });
  }

  private flush(): void {
    const all = this.waiting;
    this.waiting = [];
    for (let i = 0; i < all.length; i += this.maxKeys) {
      const batch = all.slice(i, i + this.maxKeys);
      this.readMany(batch.map((w) => w.key)).then(
        (lookup) => {
          for (const w of batch) {
            try {
              w.resolve(lookup(w.key));
            } catch (error) {
              w.reject(error);
            }
          }
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      );
    }
  }
}
