import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { RETENTION_CLASSES, type RetentionClass, type Store } from '../store/port';

/** Days each class is kept (0: for ever), and the UTC hour the daily run starts. */
export interface RetentionSettings {
  days: Record<RetentionClass | 'audit', number>;
  hour: number;
}

/** Told what each run deleted (the metrics). */
export interface RetentionCounters {
  deleted(dataClass: RetentionClass | 'audit', rows: number): void;
  finished(at: Date): void;
}

export interface RetentionDeps {
  store: Store;
  settings: RetentionSettings;
  log: Logger;
  now: () => Date;
  counters?: RetentionCounters;
  /**
   * The audit trail's own pruning (h11's AuditTrail, wired at merge): the audit table is
   * not the store's to prune behind the trail's back. Absent: audit is not pruned here.
   */
  pruneAuditBefore?: (before: string) => Promise<number>;
  /** Milliseconds a batch should take: the batch size follows it (default 10). */
  targetBatchMs?: number;
  /** For tests: the clock batches are timed with (default performance.now). */
  clock?: () => number;
}

export type RetentionReport = { ran: false } | { ran: true; deleted: Record<string, number>; ms: number };

const DAY_MS = 86_400_000;
/** A run that dies keeps the others out no longer than this. */
const LEASE_MS = 60 * 60_000;
const MIN_BATCH = 50;
const MAX_BATCH = 1_000;
const FIRST_BATCH = 500;

/** Lets timers, I/O and requests run between two batches. */
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The daily retention run. SQLite deletes synchronously on the event loop, so each class
 * goes in small batches (one short transaction each) with a yield between them, and the
 * batch size follows how long the last one took: it halves when a batch took longer than
 * the target and grows by a quarter when it took less than half (growth is slow: a batch's
 * cost jumps now and then, with a WAL checkpoint), so no batch stalls the IVR's requests
 * for long whatever the machine or the indexes. On PostgreSQL the same keeps each
 * transaction and its locks short. A lease in the store lets one instance run at a time.
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<RetentionReport> | undefined;
  private readonly owner = randomUUID();
  private readonly clock: () => number;
  private readonly targetMs: number;
  /** The batch size per class, carried from run to run. */
  private readonly batch = new Map<RetentionClass, number>();

  constructor(private readonly deps: RetentionDeps) {
    this.clock = deps.clock ?? (() => performance.now());
    this.targetMs = deps.targetBatchMs ?? 10;
  }

  /** Schedules the daily runs (the first at the next RETENTION_HOUR). */
  start(): void {
    this.stopped = false;
    this.schedule();
  }

  /** No further run starts; a run in progress stops after its current batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One run now (the schedule's, or a test's): skipped when another instance holds the lease. */
  run(): Promise<RetentionReport> {
    this.running ??= this.runOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Milliseconds from `now` to the next run at settings.hour UTC. */
  static delayToNext(now: Date, hour: number): number {
    const next = new Date(now);
    next.setUTCHours(hour, 0, 0, 0);
    if (next.getTime() <= now.getTime()) next.setTime(next.getTime() + DAY_MS);
    return next.getTime() - now.getTime();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = RetentionJob.delayToNext(this.deps.now(), this.deps.settings.hour);
    this.timer = setTimeout(() => {
      this.run()
        .catch((err: unknown) => this.deps.log.error({ err: err instanceof Error ? err.message : String(err) }, 'retention run failed'))
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async runOnce(): Promise<RetentionReport> {
    const { store, settings, log, now } = this.deps;
    const started = this.clock();
    const lease = async () => store.claimJobLease('retention', this.owner, now().toISOString(), new Date(now().getTime() + LEASE_MS).toISOString());
    if (!(await lease())) {
      log.info('retention: another instance is running it');
      return { ran: false };
    }
    const deleted: Record<string, number> = {};
    for (const dataClass of RETENTION_CLASSES) {
      const days = settings.days[dataClass];
      if (this.stopped || days <= 0) continue;
      deleted[dataClass] = await this.prune(dataClass, new Date(now().getTime() - days * DAY_MS).toISOString());
      await lease();
    }
    if (!this.stopped && settings.days.audit > 0 && this.deps.pruneAuditBefore) {
      deleted.audit = await this.deps.pruneAuditBefore(new Date(now().getTime() - settings.days.audit * DAY_MS).toISOString());
      this.deps.counters?.deleted('audit', deleted.audit);
    }
    const ms = Math.round(this.clock() - started);
    this.deps.counters?.finished(now());
    log.info({ deleted, ms }, 'retention run done');
    return { ran: true, deleted, ms };
  }

  /** Deletes the class's rows older than `before`, batch after batch, yielding in between. */
  private async prune(dataClass: RetentionClass, before: string): Promise<number> {
    let total = 0;
    for (;;) {
      const size = this.batch.get(dataClass) ?? FIRST_BATCH;
      const t0 = this.clock();
      const rows = await this.deps.store.pruneBatch(dataClass, before, size);
      const took = this.clock() - t0;
      total += rows;
      if (rows) this.deps.counters?.deleted(dataClass, rows);
      if (took > this.targetMs) this.batch.set(dataClass, Math.max(MIN_BATCH, Math.floor(size / 2)));
      else if (took < this.targetMs / 2 && rows === size) this.batch.set(dataClass, Math.min(MAX_BATCH, Math.floor(size * 1.25)));
      await yieldToLoop();
      if (rows < size || this.stopped) return total;
    }
  }
}
