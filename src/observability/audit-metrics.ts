import { Counter, type Registry } from 'prom-client';
import type { AuditCounters } from '../audit/trail';

/** Audit writes that failed, by action: any increase is a hole in the trail (the log says why). */
export class AuditMetrics implements AuditCounters {
  private readonly failed: Counter<'action'>;

  constructor(registry: Registry) {
    this.failed = new Counter({
      name: 'ivr_deflect_audit_write_failures_total',
      help: 'Audit entries that could not be written (the action went ahead unless it was a reveal of whole numbers)',
      labelNames: ['action'],
      registers: [registry],
    });
  }

  writeFailed(action: string): void {
    this.failed.inc({ action });
  }
}
