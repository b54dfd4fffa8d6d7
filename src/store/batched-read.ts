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

/** Reads these keys (on the connection the batch waited for, when there is one); answers with a lookup that gives each key's value. */
export type ReadMany<K, V, C = undefined> = (keys: K[], connection: C) => Promise<(key: K) => V>;

/** A connection the batch holds while it runs: released once, with the error that broke it if any. */
export interface HeldConnection {
  release(error?: Error | boolean): void;
}

// Taken when the module loads: the batch is flushed by the real check phase even where a
// test replaces the timers later.
const inCheckPhase = setImmediate;

interface Waiter<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * With `connect` (the store's pool), the batch is closed only when its connection is in
 * hand, not when the turn ends. Why: at saturation every connection of the pool is busy and
 * a statement waits 100 ms or more for one; the askers who come meanwhile join the batch
 * that is waiting, instead of each forming a batch of its own that waits as long (a
 * batch of two or three per turn became one of ten or more). The guarantee is the same: the
 * statement is sent after every asker in it asked. At most one batch waits for a
 * connection at a time; a quiet pool answers at once, and the batch is the turn's.
 */
export class BatchedRead<K, V, C extends HeldConnection | undefined = undefined> {
  private waiting: Waiter<K, V>[] = [];
  private connecting = false;

  /** `maxKeys`: at most this many keys in one statement; more are read in further ones. */
  constructor(
    private readonly readMany: ReadMany<K, V, C>,
    private readonly maxKeys = 100,
    private readonly connect?: () => Promise<C>,
  ) {}

  get(key: K): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      if (this.connecting) return;
      this.connecting = true;
      inCheckPhase(() => {
        if (this.connect) this.flushOnConnection(this.connect);
        // Each asker has its answer or its error already: nothing more to do with the outcome.
        else this.flush(undefined as C).catch(() => undefined);
      });
    });
  }

  /** Sends everything asked so far: the batches of one connection run one after another on it. */
  private flush(connection: C): Promise<void> {
    const all = this.waiting;
    this.waiting = [];
    this.connecting = false;
    const runs: Promise<void>[] = [];
    for (let i = 0; i < all.length; i += this.maxKeys) {
      const batch = all.slice(i, i + this.maxKeys);
      const previous = runs[runs.length - 1];
      const read = (): Promise<void> =>
        this.readMany(
          batch.map((w) => w.key),
          connection,
        ).then(
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
            throw error;
          },
        );
      // Without a connection of their own the batches go at once (the pool spreads them).
      runs.push(connection && previous ? previous.then(read, read) : read());
    }
    // Settles when every batch has (the connection is released only then), with the first error.
    return Promise.allSettled(runs).then((results) => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
  }

  private flushOnConnection(connect: () => Promise<C>): void {
    connect().then(
      (connection) => {
        this.flush(connection).then(
          () => connection!.release(),
          (error: unknown) => connection!.release(error instanceof Error ? error : true),
        );
      },
      (error: unknown) => {
        // No connection (the database is out of reach, the pool's wait timed out): everyone
        // waiting fails, as their own statements would have.
        const all = this.waiting;
        this.waiting = [];
        this.connecting = false;
        for (const w of all) w.reject(error);
      },
    );
  }
}
