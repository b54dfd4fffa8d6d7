import { Counter, Gauge, type Registry } from 'prom-client';
import type { RetentionCounters } from '../retention/job';

/** Retention: rows deleted per class, and when the last run of this instance ended. */
export class RetentionMetrics implements RetentionCounters {
  private readonly deletedTotal: Counter<'class'>;
  private readonly lastRun: Gauge;

  constructor(registry: Registry) {
    this.deletedTotal = new Counter({
      name: 'ivr_deflect_retention_deleted_rows_total',
      help: 'Rows the retention job deleted, by data class',
      labelNames: ['class'],
      registers: [registry],
    });
    this.lastRun = new Gauge({
      name: 'ivr_deflect_retention_last_run_timestamp_seconds',
      help: 'When the last retention run of this instance ended (0: none yet)',
      registers: [registry],
    });
  }

  deleted(dataClass: string, rows: number): void {
    this.deletedTotal.inc({ class: dataClass }, rows);
  }

  finished(at: Date): void {
    this.lastRun.set(at.getTime() / 1000);
  }
}
