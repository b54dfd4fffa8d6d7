import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own.
 *
 * In WAL mode every commit appends the pages it changed to the -wal file, and by default
 * the connection that commits past 1,000 pages copies them back into the database file
 * there and then: two fsyncs and the copy, 6 to 10 ms on the request's own thread. At 15
 * deflections a second that was one request in twenty, which made the slowest submits
 * (issue 21's paced p99). Here a second connection, in a worker thread, runs
 * `wal_checkpoint(PASSIVE)`, which never blocks the writer: the request thread only
 * appends. The request thread keeps an automatic checkpoint of its own, at a larger WAL
 * (BACKSTOP_PAGES), for when this thread falls behind or dies: the WAL stays bounded
 * either way.
 *
 * Durability does not change: a checkpoint only copies committed pages, and SQLite
 * recovers an interrupted one from the WAL.
 */

/**
 * The request thread's own automatic checkpoint, as a backstop: 2,000 pages of 4 KiB, 8 MiB
 * of WAL. At 15 deflections a second (800 pages) the thread keeps up and this never fires.
 * At saturation it can: a PASSIVE checkpoint copies the frames that were there when it
 * began, and the WAL starts over only when one has copied them all before the next commit,
 * which a writer committing every millisecond rarely allows; the request thread's own
 * checkpoint then copies what the thread has not yet (little) and lets the WAL start over.
 * 2,000 and 8,000 measured the same at saturation (301-308 deflections/s, and 292-307
 * without the thread); the smaller WAL is less disk and a shorter recovery.
 */
export const BACKSTOP_PAGES = 2_000;
/** SQLite's default, which the request thread goes back to if the worker dies. */
export const SQLITE_DEFAULT_PAGES = 1_000;
/** The worker checkpoints this often while writes keep coming... */
const BUSY_INTERVAL_MS = 100;
/** ...and this often when the WAL has not changed since its last look (an idle server). */
const IDLE_INTERVAL_MS = 1_000;

/** One checkpoint's result, as SQLite reports it: the WAL's frames and how many are in the database file. */
export interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

/** Plain JS: workers cannot load TypeScript. The driver's path comes from the main thread. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file, { fileMustExist: true });
  // This connection only checkpoints; it never writes, so it never checkpoints on commit.
  db.pragma('wal_autocheckpoint = 0');
} catch (err) {
  // Said as text: the driver's own error class does not cross between threads intact.
  parentPort.postMessage({ fatal: String((err && err.message) || err) });
  process.exit(1);
}
let timer;
let lastLog = -1;
function checkpoint() {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)');
  return row;
}
function loop() {
  // The WAL's frame count changed since the last look: writes are coming, look again soon.
  let writing = false;
  try {
    const row = checkpoint();
    writing = row.log !== lastLog;
    lastLog = row.log;
  } catch {
    // Nobody to answer: the next one tries again, and the writer's own backstop
    // checkpoint keeps the WAL bounded meanwhile.
  }
  timer = setTimeout(loop, writing ? workerData.busyMs : workerData.idleMs);
}
parentPort.on('message', (message) => {
  if (message === 'close') {
    clearTimeout(timer);
    db.close();
    parentPort.close();
    return;
  }
  try {
    parentPort.postMessage({ checkpoint: checkpoint() });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
loop();
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  /** Callers of checkpointNow, in the order the thread answers them. */
  private readonly waiting: ((result: CheckpointResult | Error) => void)[] = [];
  private closing = false;
  private dead = false;

  /**
   * Starts the thread on `file` (a WAL database another connection has open). `onDeath`
   * is told if the thread ends on its own (an error, the file gone), so the owner can
   * checkpoint on its own thread again.
   */
  constructor(
    file: string,
    private readonly onDeath: (err: Error) => void,
  ) {
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { file, driver: require.resolve('better-sqlite3'), busyMs: BUSY_INTERVAL_MS, idleMs: IDLE_INTERVAL_MS },
    });
    // A checkpoint thread must never keep the process alive.
    this.worker.unref();
    this.worker.on('message', (message: { checkpoint?: CheckpointResult; error?: string; fatal?: string }) => {
      if (message.fatal) this.died(new Error(`the checkpoint thread could not start: ${message.fatal}`));
      else this.waiting.shift()?.(message.checkpoint ?? new Error(message.error));
    });
    this.worker.once('error', (err) => this.died(err));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        this.died(new Error(`the checkpoint thread ended (exit code ${code})`));
        resolve();
      }),
    );
  }

  /** Stops the thread after its checkpoint in progress, closing its connection. */
  async close(): Promise<void> {
    this.closing = true;
    if (!this.dead) this.worker.postMessage('close');
    await this.exited;
    this.answerAll(new Error('the checkpoint thread has stopped'));
  }

  /** A checkpoint now, answered when done (tests, and anyone who must see the WAL copied). */
  checkpointNow(): Promise<CheckpointResult> {
    if (this.dead || this.closing) return Promise.reject(new Error('the checkpoint thread has stopped'));
    return new Promise((resolve, reject) => {
      this.waiting.push((result) => (result instanceof Error ? reject(result) : resolve(result)));
      this.worker.postMessage('checkpoint');
    });
  }

  private died(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.answerAll(err);
    if (!this.closing) this.onDeath(err);
  }

  private answerAll(err: Error): void {
    for (const answer of this.waiting.splice(0)) answer(err);
  }
}
