import { Worker } from 'node:worker_threads';
import type { PasswordHash } from './password';
import { scryptOptions } from './password';

/**
 * Password checks on their own threads. scrypt costs ~100 ms of CPU and 32 MiB per check;
 * Node's async scrypt runs on libuv's pool of four threads, which file writes and DNS
 * lookups share, so a flood of sign-in attempts used to queue campaign saves and lookups
 * behind it. Here each check runs (synchronously) in one of `concurrency` worker threads
 * of this pool and nowhere else; when all are busy the check is refused at once
 * (PasswordChecksBusy: the sign-in answers 429) instead of queueing, so a flood costs at
 * most `concurrency` threads of CPU and never waits in line.
 */

export class PasswordChecksBusy extends Error {
  constructor() {
    super('every password-check thread is busy');
  }
}

/** What one worker runs: scrypt, then a constant-time compare. Plain JS: workers cannot load TypeScript. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync, timingSafeEqual } = require('node:crypto');
parentPort.on('message', ({ password, salt, key, options }) => {
  try {
    const derived = scryptSync(password, Buffer.from(salt), key.length, options);
    parentPort.postMessage({ matches: timingSafeEqual(derived, Buffer.from(key)) });
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});
`;

/** An idle thread is ended after this long: it holds a few MB, and sign-ins are rare. */
const IDLE_MS = 30_000;

interface Slot {
  worker: Worker;
  busy: boolean;
  idleTimer?: NodeJS.Timeout;
}

export class PasswordChecks {
  private readonly slots: Slot[] = [];

  constructor(private readonly concurrency: number) {}

  /** True when the password matches the hash; throws PasswordChecksBusy when every thread is checking. */
  async matches(password: string, hash: PasswordHash): Promise<boolean> {
    const slot = this.freeSlot();
    slot.busy = true;
    clearTimeout(slot.idleTimer);
    try {
      return await this.run(slot.worker, password, hash);
    } finally {
      slot.busy = false;
      slot.idleTimer = setTimeout(() => this.retire(slot), IDLE_MS).unref();
    }
  }

  /** Ends every thread (for shutdown and tests); a later check starts new ones. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => (clearTimeout(slot.idleTimer), slot.worker.terminate())));
  }

  private freeSlot(): Slot {
    const free = this.slots.find((slot) => !slot.busy);
    if (free) return free;
    if (this.slots.length >= this.concurrency) throw new PasswordChecksBusy();
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    // An idle thread must not keep the process alive.
    worker.unref();
    const slot: Slot = { worker, busy: false };
    // A thread that dies (out of memory) is replaced by the next check.
    worker.on('error', () => this.retire(slot));
    this.slots.push(slot);
    return slot;
  }

  private retire(slot: Slot): void {
    const at = this.slots.indexOf(slot);
    if (at >= 0) this.slots.splice(at, 1);
    clearTimeout(slot.idleTimer);
    void slot.worker.terminate();
  }

  private run(worker: Worker, password: string, hash: PasswordHash): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const onMessage = (answer: { matches?: boolean; error?: string }) => {
        worker.off('error', onError);
        if (answer.error !== undefined) reject(new Error(`password check failed: ${answer.error}`));
        else resolve(answer.matches === true);
      };
      const onError = (err: Error) => {
        worker.off('message', onMessage);
        reject(err);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ password: password.normalize('NFC'), salt: hash.salt, key: hash.key, options: scryptOptions(hash) });
    });
  }
}
