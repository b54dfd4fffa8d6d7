import type { QueryResult, QueryResultRow } from 'pg';

/**
 * How far events out may read call events on PostgreSQL: the highest id at or below which
 * every event is committed or never will be.
 *
 * Why a horizon: an event's id is drawn when it is inserted but becomes visible when its
 * transaction commits, and transactions commit in any order. A cursor that moved past id
 * 41 while the transaction holding 40 still ran would never send 40. Writers no longer
 * queue through one lock to prevent that (postgres-events.ts says why); the reader waits.
 *
 * Why it is exact. One statement reads `top`, the largest id its snapshot sees, then the
 * transactions holding a write lock on call_events. An event that snapshot does not see,
 * with an id below `top`, drew its id before `top` was drawn (the identity has no cache,
 * so ids are drawn in time order), so before the snapshot; its transaction had taken
 * call_events' write lock before drawing it and keeps it to its end. So that transaction
 * has ended (its event is committed, or never will be) or is among those the statement
 * found holding the lock. Once those have ended, everything up to `top` is final. They are
 * found by the lock on this schema's table, so another schema's, another database's or a
 * reader's transactions never hold the horizon back.
 *
 * What it costs: one small statement per read and, when writers were running, a wait of
 * about one statement's time for them (ours are single statements). A writer that stays
 * open (an admin's psql session that wrote events, a long retention batch) holds the
 * horizon: a read answers up to the last settled id after `waitMs`, and goes further
 * once it ends. Nothing is skipped; events wait.
 */

interface Queryable {
  query<R extends QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

export interface EventHorizonOptions {
  /** How long one read waits for the writers running when it looked. */
  waitMs: number;
  /** Waits between checks (tests watch it); a timer by default. */
  pause?: (ms: number) => Promise<void>;
}

const FIRST_PAUSE_MS = 1;
const LONGEST_PAUSE_MS = 50;

export class EventHorizon {
  /** The highest id known final; it only grows. */
  private settled = 0;

  constructor(
    private readonly db: Queryable,
    private readonly options: EventHorizonOptions,
  ) {}

  async settledId(): Promise<number> {
    // Granted locks only: a writer still waiting for the lock has drawn no id yet.
    const { rows } = await this.db.query<{ top: string; writers: string[] }>(
      `SELECT COALESCE((SELECT max(id) FROM call_events), 0)::text AS top,
              ARRAY(SELECT DISTINCT virtualtransaction FROM pg_locks
                    WHERE locktype = 'relation' AND relation = 'call_events'::regclass AND mode = 'RowExclusiveLock'
                      AND granted AND pid <> pg_backend_pid()) AS writers`,
    );
    const { top, writers } = rows[0]!;
    const candidate = Number(top);
    if (candidate <= this.settled) return this.settled;
    if (!writers.length || (await this.ended(writers))) this.settled = Math.max(this.settled, candidate);
    return this.settled;
  }

  /** Whether these transactions (virtual ids) have all ended, within waitMs. Each holds the lock on its own virtual id until it ends. */
  private async ended(writers: string[]): Promise<boolean> {
    const pause = this.options.pause ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + this.options.waitMs;
    for (let wait = FIRST_PAUSE_MS; ; wait = Math.min(wait * 2, LONGEST_PAUSE_MS)) {
      const { rows } = await this.db.query<{ running: boolean }>(
        `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'virtualxid' AND virtualxid = ANY($1::text[])) AS running`,
        [writers],
      );
      if (!rows[0]!.running) return true;
      if (Date.now() + wait > deadline) return false;
      await pause(wait);
    }
  }
}
