import type { Logger } from 'pino';
import type { AuditEntry, Store } from '../store/port';
import type { Actor } from './actor';
import { detailText } from './detail';

/** Counts audit writes that failed (a metric: a trail with holes must be noticed). */
export interface AuditCounters {
  writeFailed(action: string): void;
}

/** Thrown by recordOrRefuse: the action must not happen, since it could not be recorded. */
export class AuditUnavailable extends Error {
  constructor() {
    super('the audit trail could not record this action, so it was not done; try again');
  }
}

const ACTION = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*$/;

/**
 * The audit trail: who did what, when, from where. Actions are dotted names
 * ("campaign.update", "reveal.messages", "sign-in.failed"); target names the thing acted
 * on ("campaign:spring"); detail says how (a diff, a reason), bounded (detail.ts).
 *
 * record() never throws into the request: a change already made stays made, and a failed
 * write is logged and counted. recordOrRefuse() is for sensitive reads (whole phone
 * numbers): recorded first, and refused when it cannot be, since a read without its record
 * is exactly what the trail is for.
 */
export class AuditTrail {
  constructor(
    private readonly store: Pick<Store, 'appendAudit'>,
    private readonly log: Logger,
    private readonly now: () => Date,
    private readonly counters?: AuditCounters,
  ) {}

  async record(actor: Actor, action: string, target: string | null, detail?: Record<string, unknown>): Promise<AuditEntry | undefined> {
    try {
      return await this.append(actor, action, target, detail);
    } catch (err) {
      this.counters?.writeFailed(action);
      this.log.error({ err: (err as Error).message, action, target, actor: actor.name }, 'audit entry could not be written');
      return undefined;
    }
  }

  async recordOrRefuse(actor: Actor, action: string, target: string | null, detail?: Record<string, unknown>): Promise<AuditEntry> {
    const entry = await this.record(actor, action, target, detail);
    if (!entry) throw new AuditUnavailable();
    return entry;
  }

  private append(actor: Actor, action: string, target: string | null, detail?: Record<string, unknown>): Promise<AuditEntry> {
    if (!ACTION.test(action)) throw new Error(`not an audit action name: ${action}`);
    return this.store.appendAudit({
      at: this.now().toISOString(),
      actorKind: actor.kind,
      actorName: actor.name.slice(0, 200),
      ip: actor.ip ?? null,
      action,
      target: target === null ? null : target.slice(0, 200),
      detail: detailText(detail),
    });
  }
}
