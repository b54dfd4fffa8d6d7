import { Pool, type PoolClient } from 'pg';
import type {
  ChannelMessageCount,
  VariantCount,
  CallState,
  AdminSession,
  AuditCheckpoint,
  AuditEntry,
  AuditQuery,
  NewAuditEntry,
  Admission,
  AdmissionRequest,
  AttemptRecord,
  AttemptStart,
  CallEvent,
  CallRecord,
  CallUpdate,
  CallEnding,
  AttemptStarted,
  AttemptTarget,
  ConsentRecord,
  EventObserver,
  EventQuery,
  FunnelQuery,
  FunnelSlot,
  ConversationOutcome,
  OutcomeVerdict,
  TextMatch,
  TextRecontactCount,
  MessageQuery,
  MessageRecord,
  NewCall,
  NewEvent,
  LinkVisit,
  NewMessage,
  ReceiptUpdate,
  ServiceSwitch,
  ShortLink,
  Store,
  Suppression,
  SuppressionQuery,
  OptOutChange,
  OptOutVerdict,
  NotOfferedCall,
  FallbackResult,
  FallbackWhy,
  EventCursor,
  EventDeliveryOutcome,
  ErasureOutcome,
  ErasureRequest,
  LegalHold,
  ApiToken,
  NewApiToken,
  NumberKey,
  RetentionClass,
} from './port';
import type { ChannelName } from '../channels/channel';
import { attemptEvent, fallbackDueAt, fallbackEvent, receiptEvents, withChannel } from './message-events';
import { BatchedRead, type ReadMany } from './batched-read';
import { ADMIT_MANY_SQL, ADMIT_SQL, admissionCall, admissionsCall, type AdmissionCall, type AdmitAnswer } from './postgres-admission';
import { funnelSlotOf, MAX_PREVIEW_EVENTS, UNKNOWN_CLICK } from './port';
import { funnelSlots } from './postgres-funnel';
import { POSTGRES_LAST_TEXT_FOR_MANY_SQL, POSTGRES_TEXT_RECONTACTS_SQL } from './last-text-sql';
import { postgresChannelCounts } from './channel-counts';
import { postgresVariantCounts } from './variant-counts';
import { chainHash, GENESIS } from '../audit/chain';
import { CALL_COLUMNS, toAuditCheckpoint, toAuditEntry, toCall, toConsent, toEvent, toEventCursor, toJson, toMessage, toSession, toShortLink, toSuppression, toTextMatch, toTextRecontactCount, type Row } from './rows';
import { checkSchemaName, migrate } from './postgres-schema';
import { transaction } from './postgres-transaction';
import { isLaterChange } from './opt-out-order';
import { pruneSql } from './retention-sql';
import { toApiToken, toLegalHold } from './rows';
import { EventHorizon, type EventHorizonOptions } from './postgres-event-horizon';
import { eventArrays, eventsCte } from './postgres-events';
import {
  attemptValues,
  CALL_START_COLUMNS,
  CALL_STARTS_SQL,
  callMovesSql,
  callMovesValues,
  callStartsValues,
  callStartValues,
  callValue,
  firstAttemptsSql,
  firstAttemptsValues,
  togetherOrAlone,
  type CallMove,
  type CallMoved,
  type CallStart,
  type FirstAttempt,
  type Outcome,
} from './postgres-gathered-calls';
import { queryPrepared } from './postgres-prepared';
import { FreshRead } from '../fresh-read';

/**
 * The store on PostgreSQL, for several instances sharing one database. It answers the
 * port exactly as SqliteStore does (same tables, same text); what differs is how it stays
 * correct when other processes write at the same time:
 * - the outbox claims with FOR UPDATE SKIP LOCKED, so two dispatchers never take one
 *   message, and a lease that runs out hands a dead instance's messages to the others;
 * - admissions lock the numbers they count (postgres-admission.ts), so limits hold;
 * - single-row changes (leases, receipts, attempts, clicks) are one conditional UPDATE,
 *   which PostgreSQL re-checks against the latest row when another transaction changed it.
 */

export interface PgStoreOptions {
  /** postgres://user:password@host:port/database */
  url: string;
  /** Tables live in this schema (created if missing); default: the role's search_path. */
  schema?: string;
  /** Hears of every call event recorded from then on, once its transaction has committed. */
  observer?: EventObserver;
  /** Finds an erased number on the opt-out list by the key its erasure left (default: none). */
  numberKey?: NumberKey;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /**
   * An idle pooled connection failed (the database restarted, a failover): the pool drops
   * it and opens another when needed. Without a listener pg would crash the process.
   */
  onConnectionError?: (error: Error) => void;
  /** How events out waits for transactions still running (postgres-event-horizon.ts); tests shorten it. */
  eventHorizon?: Partial<EventHorizonOptions>;
}

/** How long one events-out read waits for the transactions running when it began (postgres-event-horizon.ts). */
const EVENT_HORIZON_WAIT_MS = 1_000;

const SERVICE_SWITCH_KEY = 'service.enabled';

/** Keys in one gathered statement (batched-read.ts); a larger batch goes as several, one after another on its connection. */
const GATHERED_MAX_KEYS = 100;

/** SQL for STATUS_RANK, so a receipt's forward-only rule is one atomic UPDATE. */
const RANK_SQL = (expression: string): string =>
  `CASE ${expression} WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'read' THEN 3 ELSE 2 END`;

/**
 * The answer of a gathered write by id: each row written goes to the first asker of its id
 * (the one whose values the statement used); a later asker of the same id in that batch
 * gets nothing, as its own statement would have found the row already taken.
 */
function firstAskerOnly<A>(rows: Row[], column: string, idOf: (ask: A) => string): (ask: A) => Row | undefined {
  const byId = new Map(rows.map((row) => [row[column] as string, row]));
  return (ask) => {
    const id = idOf(ask);
    const row = byId.get(id);
    byId.delete(id);
    return row;
  };
}

/** updateCall's SET list, updated_at (to `at`) first; the values go onto `values`, numbered from where it ends. */
function callSets(update: CallUpdate, at: string, values: unknown[]): string[] {
  const sets = [`updated_at = $${values.push(at)}`];
  for (const [key, value] of Object.entries(update) as [keyof CallUpdate, unknown][]) {
    values.push(callValue(key, value));
    sets.push(`${CALL_COLUMNS[key]} = $${values.length}`);
  }
  return sets;
}

/** The gathered statement for the columns `update` sets, made on first use: one per shape (the steps have a few). */
function ofShape<T>(byShape: Map<string, T>, update: CallUpdate, make: (keys: (keyof CallUpdate)[]) => T): T {
  const keys = Object.keys(update) as (keyof CallUpdate)[];
  const shape = keys.join(',');
  let gathered = byShape.get(shape);
  if (!gathered) byShape.set(shape, (gathered = make(keys)));
  return gathered;
}

/** What an attempt statement wrote: the message, and whether it ended the call. */
type AttemptRecorded = { message: MessageRecord; ended: boolean };

/** A write in progress: its connection, and the call events to announce once it commits. */
interface Tx {
  client: PoolClient;
  recorded: Omit<CallEvent, 'id'>[];
}

export class PgStore implements Store {
  private closed = false;
  private readonly serviceSwitch = new FreshRead(() => this.readServiceSwitch());
  /** getCall, gathered (batched-read.ts): every step of every call reads its call first. */
  private readonly calls = this.gathered<string, CallRecord | undefined>(async (ids, client) => {
    const rows = await this.rows('SELECT * FROM calls WHERE id = ANY($1::text[])', [ids], client, true);
    const byId = new Map(rows.map((row) => [row.id as string, row]));
    return (id) => {
      const row = byId.get(id);
      return row && toCall(row);
    };
  });
  /** isSuppressed, gathered: the confirm step and the send's first attempt both check. */
  private readonly suppressed = this.gathered<{ number: string; channel: ChannelName }, boolean>(async (asks, client) => {
    const numbers: string[] = [];
    const channels: string[] = [];
    for (const { number, channel } of asks) {
      numbers.push(number, this.numberKey(number));
      channels.push(channel, channel);
    }
    const rows = await this.rows(
      `SELECT s.number, s.channel FROM suppressions s
       WHERE (s.number, s.channel) IN (SELECT n, c FROM unnest($1::text[], $2::text[]) AS a(n, c))`,
      [numbers, channels],
      client,
      true,
    );
    const found = new Set(rows.map((row) => `${row.channel as string} ${row.number as string}`));
    return ({ number, channel }) => found.has(`${channel} ${number}`) || found.has(`${channel} ${this.numberKey(number)}`);
  });

  /**
   * claimMessage, gathered: the first attempts of the texts admitted in one event-loop turn
   * take their leases in one statement. Each row's condition is its own (queued, no live
   * lease), so the statement claims exactly what the single claims would have; a message
   * asked for twice in one turn goes to the first asker only, as the second single claim
   * would have found the lease taken.
   */
  private readonly claims = this.gathered<{ id: string; now: string; leaseUntil: string }, MessageRecord | undefined>(async (asks, client) => {
    const rows = await this.rows(
      `UPDATE messages m SET lease_until = c.lease_until
       FROM (SELECT DISTINCT ON (id) id, now, lease_until FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS a(id, now, lease_until, n) ORDER BY id, n) c
       WHERE m.id = c.id AND m.status = 'queued' AND (m.lease_until IS NULL OR m.lease_until <= c.now)
       RETURNING m.*`,
      [asks.map((a) => a.id), asks.map((a) => a.now), asks.map((a) => a.leaseUntil)],
      client,
      true,
    );
    const take = firstAskerOnly(rows, 'id', (ask: { id: string }) => ask.id);
    return (ask) => {
      const row = take(ask);
      return row && toMessage(row);
    };
  });
  /**
   * startAttempt, gathered the same way: each row is written only under the lease its
   * asker holds, so an attempt whose lease another dispatcher took meanwhile writes nothing;
   * and only if its number is not on the opt-out list for its channel (isSuppressed's
   * check, by the number and its numberKey), which the same statement reads: the opt-out
   * check of every attempt was a gathered statement of its own. 'opted-out' only under the
   * asker's lease (as SQLite's), else 'lost'.
   */
  private readonly attemptStarts = this.gathered<{ message: AttemptTarget; start: AttemptStart }, AttemptStarted>(async (asks, client) => {
    const rows = await this.rows(
      `WITH s AS (
         SELECT DISTINCT ON (id) id, held, lease_until, at, via,
                EXISTS (SELECT 1 FROM suppressions o WHERE o.number IN (a.number, a.number_key) AND o.channel = a.channel) AS opted_out
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                WITH ORDINALITY AS a(id, held, lease_until, at, via, number, number_key, channel, n)
          ORDER BY id, n),
       started AS (
         UPDATE messages m SET lease_until = s.lease_until, attempt_started_at = s.at, attempt_via = s.via
           FROM s WHERE m.id = s.id AND NOT s.opted_out AND m.status = 'queued' AND m.lease_until = s.held
         RETURNING m.id)
       SELECT s.id, EXISTS (SELECT 1 FROM started WHERE started.id = s.id) AS started,
              s.opted_out AND EXISTS (SELECT 1 FROM messages m WHERE m.id = s.id AND m.status = 'queued' AND m.lease_until = s.held) AS opted_out
         FROM s`,
      [
        asks.map((a) => a.message.id),
        asks.map((a) => a.start.heldLease),
        asks.map((a) => a.start.leaseUntil),
        asks.map((a) => a.start.at),
        asks.map((a) => a.start.via),
        asks.map((a) => a.message.to),
        asks.map((a) => this.numberKey(a.message.to)),
        asks.map((a) => a.message.channel),
      ],
      client,
      true,
    );
    const answer = firstAskerOnly(rows, 'id', (ask: { message: AttemptTarget }) => ask.message.id);
    return (ask) => {
      const row = answer(ask);
      if (!row) return 'lost';
      return row.opted_out === true ? 'opted-out' : row.started === true ? 'started' : 'lost';
    };
  });

  /**
   * lastTextFor (the recontact lookup of every call start), gathered: the starts of one
   * batch look up their callers in one statement, each by its own two index seeks.
   */
  private readonly lastTexts = this.gathered<{ number: string; since: string; before: string }, TextMatch | undefined>(async (asks, client) => {
    const rows = await this.rows(
      POSTGRES_LAST_TEXT_FOR_MANY_SQL,
      [asks.map((a) => a.number), asks.map((a) => a.since), asks.map((a) => a.before)],
      client,
      true,
    );
    const byPlace = new Map(rows.map((row) => [Number(row.n), row]));
    const places = new Map(asks.map((ask, i) => [ask, i + 1]));
    return (ask) => toTextMatch(byPlace.get(places.get(ask)!));
  });
  /**
   * createShortLink (every send), gathered: the links of one batch are one INSERT. A code
   * already taken (in the table, or earlier in the same batch) is refused to its asker
   * alone, who draws another, as with an insert of its own. The table has no other
   * constraint, so no one link can make the others' statement fail.
   */
  private readonly shortLinks = this.gathered<Omit<ShortLink, 'clicks'>, boolean>(async (links, client) => {
    const rows = await this.rows(
      `INSERT INTO short_links (code, target, call_id, campaign_id, created_at, expires_at)
       SELECT DISTINCT ON (code) code, target, call_id, campaign_id, created_at, expires_at
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY
              AS l(code, target, call_id, campaign_id, created_at, expires_at, n)
        ORDER BY code, n
       ON CONFLICT (code) DO NOTHING RETURNING code`,
      [
        links.map((l) => l.code),
        links.map((l) => l.target),
        links.map((l) => l.callId),
        links.map((l) => l.campaignId),
        links.map((l) => l.createdAt),
        links.map((l) => l.expiresAt),
      ],
      client,
      true,
    );
    const inserted = firstAskerOnly(rows, 'code', (link: { code: string }) => link.code);
    return (link) => inserted(link) !== undefined;
  });

  /** A gathered statement (batched-read.ts), run on a connection of the pool once it has one. */
  private gathered<K, V>(readMany: ReadMany<K, V, PoolClient>): BatchedRead<K, V, PoolClient> {
    return new BatchedRead(readMany, GATHERED_MAX_KEYS, () => this.pool.connect());
  }

  private readonly eventHorizon: EventHorizon;

  private constructor(
    private readonly pool: Pool,
    private readonly observer?: EventObserver,
    private readonly numberKey: NumberKey = (n) => n,
    horizon: Partial<EventHorizonOptions> = {},
  ) {
    this.eventHorizon = new EventHorizon(pool, { waitMs: EVENT_HORIZON_WAIT_MS, ...horizon });
  }

  /** Connects, migrates (safely while other instances do the same) and returns the store. */
  static async open(options: PgStoreOptions): Promise<PgStore> {
    const pool = new Pool({
      connectionString: options.url,
      max: options.poolSize ?? 10,
      // Every connection of the pool works in the schema: set at connect, before any query.
      ...(options.schema ? { options: `-c search_path=${checkSchemaName(options.schema)}` } : {}),
      // How long a request waits for a connection, new or a free one of the pool: a
      // database out of reach, or a pool used up, fails it instead of queueing it forever.
      connectionTimeoutMillis: 10_000,
      fallback_application_name: 'ivr-deflect',
    });
    pool.on('error', (error) => options.onConnectionError?.(error));
    try {
      await migrate(pool, options.schema);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return new PgStore(pool, options.observer, options.numberKey, options.eventHorizon);
  }

  /** Runs work in one transaction; the call events it recorded are announced once it has committed. */
  private async write<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const recorded: Omit<CallEvent, 'id'>[] = [];
    const result = await transaction(this.pool, (client) => work({ client, recorded }));
    if (this.observer && recorded.length) this.observer(recorded);
    return result;
  }

  /** `hot`: a named statement (postgres-prepared.ts), for the queries every deflection runs. */
  private async rows(sql: string, values: unknown[] = [], client: Pool | PoolClient = this.pool, hot = false): Promise<Row[]> {
    return (hot ? await queryPrepared<Row>(client, sql, values) : await client.query<Row>(sql, values)).rows;
  }

  /** Events a statement of its own recorded (so committed when it answered), to the observer. */
  private announce(callId: string, campaignId: string | null, events: NewEvent[], at: string): void {
    if (this.observer && events.length) this.observer(events.map((e) => ({ ...e, callId, campaignId, createdAt: at })));
  }

  /** A call start and its events, as createCall is given them. */
  async createCall(call: NewCall, events: NewEvent[]): Promise<void> {
    await this.callStarts.get({ call, events });
    this.announce(call.id, call.campaignId, events, call.createdAt);
  }

  /**
   * createCall, gathered: the starts of one batch are one statement (one commit), their
   * calls and then their events, each call's in its order. A start that cannot be stored
   * (an id already taken) makes that statement fail for all: then each is written alone,
   * so only its own asker hears of it. A batch of one is the single statement.
   */
  private readonly callStarts = this.gathered<CallStart, void>((starts, client) =>
    togetherOrAlone(
      starts,
      (start) => start.call.id,
      async (batch) => {
        await queryPrepared(client, CALL_STARTS_SQL, callStartsValues(batch));
        return batch.map(() => ({ value: undefined }));
      },
      (start) => this.insertCall(start, client),
    ),
  );

  /** One start: the call, then its events, one statement (its own transaction: all or nothing). */
  private async insertCall({ call, events }: CallStart, client: PoolClient): Promise<void> {
    const [types, details] = eventArrays(events);
    await queryPrepared(
      client,
      `WITH started AS (
         INSERT INTO calls (${CALL_START_COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18)
         RETURNING id),
       ${eventsCte({ source: 'started', callId: '$1', campaignId: '$2', at: '$14', types: '$19', details: '$20' })}
       SELECT 1 FROM started`,
      [...callStartValues(call), types, details],
    );
  }

  async countNotOffered(call: NotOfferedCall, events: NewEvent[]): Promise<void> {
    // One upsert: concurrent starts on any instance add up on the row's lock.
    await this.pool.query(
      `INSERT INTO not_offered_counts (slot, campaign_id, dnis, reason, calls) VALUES ($1, $2, $3, $4, 1)
       ON CONFLICT (slot, campaign_id, dnis, reason) DO UPDATE SET calls = not_offered_counts.calls + 1`,
      [funnelSlotOf(call.createdAt), call.campaignId ?? '', call.dnis, call.reason],
    );
    if (this.observer && events.length) {
      this.observer(events.map((e) => ({ ...e, callId: call.id, campaignId: call.campaignId, createdAt: call.createdAt })));
    }
  }

  async getCall(id: string): Promise<CallRecord | undefined> {
    return this.calls.get(id);
  }

  /**
   * The change, and its events when it matched. The state test is in the UPDATE itself: of
   * two concurrent requests for one step, the second waits on the first's row lock and then
   * finds the state moved on. A guarded change (expectedState: every step's) is gathered
   * with the others of its shape (callMoves); an unguarded one is a statement of its own.
   */
  async updateCall(id: string, update: CallUpdate, events: NewEvent[], at: string, expectedState?: CallState): Promise<boolean> {
    if (expectedState === undefined) {
      const campaignId = await this.updateCallAlone(id, update, events, at);
      if (campaignId === undefined) throw new Error(`no call ${id}`);
      this.announce(id, campaignId, events, at);
      return true;
    }
    const outcome = await ofShape(this.callMoves, update, (keys) => this.callMovesOf(keys)).get({ id, update, events, at, from: expectedState });
    if (!outcome.moved) {
      if (outcome.known) return false;
      throw new Error(`no call ${id}`);
    }
    this.announce(id, outcome.campaignId, events, at);
    return true;
  }

  /** Guarded call changes by the columns they set: one gathered statement per shape (the steps have a few). */
  private readonly callMoves = new Map<string, BatchedRead<CallMove, CallMoved, PoolClient>>();

  /**
   * One statement: the change, and its events when it matched (its guard, if any, held).
   * The call's campaign when it did; undefined when nothing matched.
   */
  private async updateCallAlone(id: string, update: CallUpdate, events: NewEvent[], at: string, expectedState?: CallState, client: Pool | PoolClient = this.pool): Promise<string | null | undefined> {
    const values: unknown[] = [id];
    const sets = callSets(update, at, values);
    const guard = expectedState === undefined ? '' : ` AND state = $${values.push(expectedState)}`;
    let logged = '';
    if (events.length) {
      const [types, details] = eventArrays(events);
      const campaignId = '(SELECT campaign_id FROM moved)';
      logged = `, ${eventsCte({ source: 'moved', callId: '$1', campaignId, at: '$2', types: `$${values.push(types)}`, details: `$${values.push(details)}` })}`;
    }
    const [row] = await this.rows(
      `WITH moved AS (UPDATE calls SET ${sets.join(', ')} WHERE id = $1${guard} RETURNING campaign_id)${logged}
       SELECT campaign_id FROM moved`,
      values,
      client,
      true,
    );
    return row ? ((row.campaign_id as string | null) ?? null) : undefined;
  }

  /**
   * Guarded changes setting `keys`, gathered: one UPDATE of all their calls, each under its
   * own guard, and the events of those that matched, in the askers' order
   * (postgres-gathered-calls.ts).
   */
  private callMovesOf(keys: (keyof CallUpdate)[]): BatchedRead<CallMove, CallMoved, PoolClient> {
    return this.gatheredByPlace(
      callMovesSql(keys),
      (batch) => callMovesValues(batch, keys),
      (row) => ({ value: row!.moved === true ? { moved: true, campaignId: (row!.campaign_id as string | null) ?? null } : { moved: false, known: row!.known === true } }),
      (ask, client) => this.moveCallAlone(ask, client),
    );
  }

  /**
   * A gathered call write whose statement answers a row per ask by its 1-based `place`; the
   * asks it cannot take run alone (togetherOrAlone). `answer` reads an ask's row (undefined
   * when the statement found nothing to write for it).
   */
  private gatheredByPlace<A extends { id: string }, R>(
    sql: string,
    values: (batch: A[]) => unknown[],
    answer: (row: Row | undefined, ask: A) => Outcome<R>,
    alone: (ask: A, client: PoolClient) => Promise<R>,
  ): BatchedRead<A, R, PoolClient> {
    return this.gathered((asks, client) =>
      togetherOrAlone(
        asks,
        (ask) => ask.id,
        async (batch) => {
          const byPlace = new Map((await this.rows(sql, values(batch), client, true)).map((row) => [Number(row.place), row]));
          return batch.map((ask, i) => answer(byPlace.get(i + 1), ask));
        },
        (ask) => alone(ask, client),
      ),
    );
  }

  private async moveCallAlone(ask: CallMove, client: PoolClient): Promise<CallMoved> {
    const campaignId = await this.updateCallAlone(ask.id, ask.update, ask.events, ask.at, ask.from, client);
    if (campaignId !== undefined) return { moved: true, campaignId };
    return { moved: false, known: (await this.rows('SELECT 1 FROM calls WHERE id = $1', [ask.id], client)).length > 0 };
  }

  async listEvents(callId: string): Promise<CallEvent[]> {
    return (await this.rows('SELECT * FROM call_events WHERE call_id = $1 ORDER BY id', [callId])).map(toEvent);
  }

  async searchEvents(query: EventQuery): Promise<CallEvent[]> {
    const where = ['created_at >= $1', 'created_at < $2', 'id > $3'];
    const values: unknown[] = [query.from, query.to, query.afterId ?? 0];
    if (query.type) {
      values.push(query.type);
      where.push(`type = $${values.length}`);
    }
    if (query.campaignId) {
      values.push(query.campaignId);
      where.push(`campaign_id = $${values.length}`);
    }
    values.push(query.limit);
    const sql = `SELECT * FROM call_events WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`;
    return (await this.rows(sql, values)).map(toEvent);
  }

  async recordConversationOutcome(outcome: ConversationOutcome): Promise<OutcomeVerdict> {
    return this.write(async (tx): Promise<OutcomeVerdict> => {
      // The call's row locked: two reports of one outcome at once (two instances) take
      // turns, so the second finds the first's event.
      const [call] = await this.rows('SELECT campaign_id FROM calls WHERE id = $1 FOR UPDATE', [outcome.callId], tx.client);
      if (!call) return 'unknown-call';
      await tx.client.query('DELETE FROM inbound_messages WHERE received_at < $1', [outcome.forgetIdsBefore]);
      const fresh = await tx.client.query(
        'INSERT INTO inbound_messages (source, vendor_message_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
        [outcome.source, outcome.notificationId, outcome.receivedAt],
      );
      if (fresh.rowCount === 0) return 'replay';
      const had = await this.rows('SELECT 1 FROM call_events WHERE call_id = $1 AND type = $2 LIMIT 1', [outcome.callId, outcome.type], tx.client);
      if (had.length) return 'already';
      await this.insertEvents(tx, outcome.callId, (call.campaign_id as string | null) ?? null, [{ type: outcome.type, detail: outcome.detail }], outcome.receivedAt);
      return 'recorded';
    });
  }

  /** Only events up to the horizon: none that a transaction still running could be followed by a smaller id of. */
  async eventsAfter(afterId: number, limit: number): Promise<CallEvent[]> {
    const settled = await this.eventHorizon.settledId();
    if (settled <= afterId) return [];
    return (await this.rows('SELECT * FROM call_events WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3', [afterId, settled, limit])).map(toEvent);
  }

  async claimEventCursor(endpoint: string, owner: string, now: string, leaseUntil: string): Promise<EventCursor | undefined> {
    await this.pool.query(
      `INSERT INTO event_cursors (endpoint, last_id) VALUES ($1, (SELECT COALESCE(MAX(id), 0) FROM call_events)) ON CONFLICT (endpoint) DO NOTHING`,
      [endpoint],
    );
    // One UPDATE: under READ COMMITTED a second instance's UPDATE waits on the row lock,
    // then re-checks the lease it now finds taken, and gets no row.
    const [row] = await this.rows(
      `UPDATE event_cursors SET lease_owner = $2, lease_until = $3
       WHERE endpoint = $1 AND (lease_until IS NULL OR lease_until <= $4) AND (next_attempt_at IS NULL OR next_attempt_at <= $4)
       RETURNING *`,
      [endpoint, owner, leaseUntil, now],
    );
    return row && toEventCursor(row);
  }

  async finishEventDelivery(endpoint: string, owner: string, outcome: EventDeliveryOutcome): Promise<boolean> {
    const result =
      'delivered' in outcome
        ? await this.pool.query(
            `UPDATE event_cursors SET last_id = GREATEST(last_id, $3), failures = 0, next_attempt_at = NULL, last_error = NULL,
               lease_owner = NULL, lease_until = NULL WHERE endpoint = $1 AND lease_owner = $2`,
            [endpoint, owner, outcome.delivered],
          )
        : await this.pool.query(
            `UPDATE event_cursors SET failures = failures + 1, next_attempt_at = $3, last_error = $4,
               lease_owner = NULL, lease_until = NULL WHERE endpoint = $1 AND lease_owner = $2`,
            [endpoint, owner, outcome.nextAttemptAt, outcome.failed],
          );
    return result.rowCount === 1;
  }

  async getEventCursor(endpoint: string): Promise<EventCursor | undefined> {
    const [row] = await this.rows('SELECT * FROM event_cursors WHERE endpoint = $1', [endpoint]);
    return row && toEventCursor(row);
  }

  async funnelSlots(query: FunnelQuery): Promise<FunnelSlot[]> {
    return funnelSlots(this.pool, query);
  }

  async variantCounts(query: FunnelQuery): Promise<VariantCount[]> {
    return postgresVariantCounts(this.pool, query);
  }

  async textRecontacts(query: FunnelQuery): Promise<TextRecontactCount[]> {
    const { rows } = await this.pool.query<Row>(POSTGRES_TEXT_RECONTACTS_SQL, [query.from, query.to, query.campaignId ?? null]);
    return rows.map(toTextRecontactCount);
  }

  async lastTextFor(number: string, since: string, before: string): Promise<TextMatch | undefined> {
    if (!number) return undefined;
    return this.lastTexts.get({ number, since, before });
  }

  async channelMessageCounts(query: FunnelQuery): Promise<ChannelMessageCount[]> {
    return postgresChannelCounts(this.pool, query);
  }

  async createMessage(message: NewMessage, events: NewEvent[] = []): Promise<{ created: boolean; message: MessageRecord }> {
    return this.write(async (tx) => {
      const inserted = await this.insertMessage(tx, message, events);
      if (inserted) return { created: true, message: inserted };
      return { created: false, message: await this.existingMessage(tx.client, message) };
    });
  }

  /**
   * One round trip whatever the limits: the stored function ivr_admit takes the locks and
   * runs the statement that checks, claims and writes (postgres-admission.ts), and when
   * that wrote nothing the read that says why and, if the call's message is already
   * there, the claim of the call; its statement's transaction commits and lets the locks
   * go inside PostgreSQL. It used to be BEGIN, the locks, the write and COMMIT, the locks
   * held across two round trips to this process.
   */
  async admitMessage(message: NewMessage, admission: AdmissionRequest): Promise<Admission> {
    const { written, counted, reclaimed } = await this.admissions.get({ id: message.id, call: admissionCall(message, admission) });
    if (written.claimed) {
      // Only a createMessage for this call and number (which takes no lock) can have come
      // in between; its message is the one this submit gets, as in SQLite. Messages are
      // never changed back, so reading it after the commit finds the one the insert met.
      if (!written.message) return { kind: 'existing', message: await this.existingMessage(this.pool, message) };
      this.announce(message.callId, message.campaignId, [...admission.events, { type: 'sms-queued', detail: { messageId: message.id } }], message.createdAt);
      return { kind: 'created', message: toMessage(written.message) };
    }
    // Nothing written: a message already there, a limit reached, or the call moved on.
    if (counted!.id !== null) {
      return !admission.claim || reclaimed === 1 ? { kind: 'existing', message: toMessage(counted!) } : { kind: 'moved' };
    }
    for (const [i, limit] of admission.limits.entries()) {
      if ((counted![`limit ${i}`] as number) >= limit.max) return { kind: 'limited', limit };
    }
    return { kind: 'moved' };
  }

  /**
   * admitMessage's statement, gathered: the admissions asked for while the store waits for
   * a connection are one ivr_admit_many (one lock wait, one commit: postgres-admission.ts);
   * a batch of one, or one whose statement failed, is ivr_admit for each alone.
   */
  private readonly admissions = this.gathered<{ id: string; call: AdmissionCall }, AdmitAnswer>((asks, client) =>
    togetherOrAlone(
      asks,
      (ask) => ask.id,
      async (batch) => {
        const [row] = await this.rows(ADMIT_MANY_SQL, admissionsCall(batch.map((ask) => ask.call)), client, true);
        return (row!.answers as AdmitAnswer[]).map((value) => ({ value }));
      },
      async (ask) => (await this.rows(ADMIT_SQL, ask.call, client, true))[0]!.admission as AdmitAnswer,
    ),
  );

  async countMessages(filter: { campaignId: string; since: string }): Promise<number> {
    const [row] = await this.rows(
      `SELECT COUNT(*)::int AS n FROM messages WHERE campaign_id = $1 AND created_at >= $2 AND status <> 'failed'`,
      [filter.campaignId, filter.since],
    );
    return row!.n as number;
  }

  async listConsent(query: { from: string; to: string; campaignId?: string; limit: number }): Promise<ConsentRecord[]> {
    const rows = await this.rows(
      `SELECT * FROM consent WHERE confirmed_at >= $1 AND confirmed_at < $2 AND ($3::text IS NULL OR campaign_id = $3)
       ORDER BY confirmed_at, message_id LIMIT $4`,
      [query.from, query.to, query.campaignId ?? null, query.limit],
    );
    return rows.map(toConsent);
  }

  /**
   * Inside a transaction: the message, then the call's events and sms-queued; undefined
   * (nothing inserted, no events) when the call already has a message to this number. The
   * unique key decides, not an earlier SELECT: a concurrent insert for the same call and
   * number from another instance waits on it and then finds the first one's.
   */
  private async insertMessage(tx: Tx, message: NewMessage, events: NewEvent[]): Promise<MessageRecord | undefined> {
    const [row] = await this.rows(
      `INSERT INTO messages (id, call_id, campaign_id, "to", caller, body, status, gateway, fallback_gateway, segments,
                             encoding, next_attempt_at, created_at, updated_at, channel, template, c2m, fallback, fallback_of,
                             fallback_due_at, sms_fallback_by_vendor, lease_until)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $12, $11, $11, $13, $14, $15, $16, $17, $18, $19, $20)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [
        message.id,
        message.callId,
        message.campaignId,
        message.to,
        message.caller ?? '',
        message.body,
        message.gateway,
        message.fallbackGateway,
        message.segments,
        message.encoding,
        message.createdAt,
        message.dueAt ?? message.createdAt,
        message.channel ?? 'sms',
        toJson(message.template),
        toJson(message.c2m),
        toJson(message.fallback),
        message.fallbackOf ?? null,
        fallbackDueAt(message),
        message.smsFallbackByVendor ?? false,
        message.leaseUntil ?? null,
      ],
      tx.client,
    );
    if (!row) return undefined;
    await this.insertEvents(
      tx,
      message.callId,
      message.campaignId,
      [...events, { type: 'sms-queued', detail: { messageId: message.id } }],
      message.createdAt,
    );
    return toMessage(row);
  }

  /**
   * The call's message to this number, after an insert found it there: its first one, or
   * for a fallback the one on the fallback's channel (the keys the insert met).
   */
  private async existingMessage(client: Pool | PoolClient, message: NewMessage): Promise<MessageRecord> {
    const [row] = message.fallbackOf
      ? await this.rows('SELECT * FROM messages WHERE call_id = $1 AND "to" = $2 AND channel = $3', [message.callId, message.to, message.channel ?? 'sms'], client)
      : await this.rows('SELECT * FROM messages WHERE call_id = $1 AND "to" = $2 AND fallback_of IS NULL', [message.callId, message.to], client);
    return toMessage(row!);
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const [row] = await this.rows('SELECT * FROM messages WHERE id = $1', [id]);
    return row && toMessage(row);
  }

  async listMessages(query: MessageQuery): Promise<MessageRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const filter = (condition: (param: string) => string, value: unknown) => {
      values.push(value);
      where.push(condition(`$${values.length}`));
    };
    if (query.before) filter((p) => `created_at < ${p}`, query.before);
    if (query.since) filter((p) => `created_at >= ${p}`, query.since);
    if (query.status) filter((p) => `status = ${p}`, query.status);
    if (query.campaignId) filter((p) => `campaign_id = ${p}`, query.campaignId);
    if (query.callId) filter((p) => `call_id = ${p}`, query.callId);
    if (query.number) {
      // A whole number matches exactly; a few digits match the end ("the one ending 1234").
      if (query.number.startsWith('+')) filter((p) => `"to" = ${p}`, query.number);
      else filter((p) => `"to" LIKE ${p}`, `%${query.number}`);
    }
    values.push(query.limit);
    const sql = `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, id DESC LIMIT $${values.length}`;
    return (await this.rows(sql, values)).map(toMessage);
  }

  async claimDueMessages(now: string, leaseUntil: string, limit: number): Promise<MessageRecord[]> {
    // SKIP LOCKED: a message another dispatcher is claiming this instant is passed over,
    // not waited for. One it claimed a moment ago is re-checked against its new lease
    // (READ COMMITTED re-reads a row changed under the lock) and drops out.
    // MATERIALIZED: the claimed ids are chosen once, whatever plan the UPDATE gets.
    const rows = await this.rows(
      `WITH due AS MATERIALIZED (
         SELECT id FROM messages
         WHERE status = 'queued' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
         ORDER BY next_attempt_at LIMIT $3
         FOR UPDATE SKIP LOCKED)
       UPDATE messages m SET lease_until = $2 FROM due WHERE m.id = due.id
       RETURNING m.*`,
      [now, leaseUntil, limit],
    );
    return rows.map(toMessage).sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? ''));
  }

  claimMessage(id: string, now: string, leaseUntil: string): Promise<MessageRecord | undefined> {
    return this.claims.get({ id, now, leaseUntil });
  }

  async renewLease(id: string, heldLease: string, leaseUntil: string): Promise<boolean> {
    const result = await this.pool.query(`UPDATE messages SET lease_until = $1 WHERE id = $2 AND status = 'queued' AND lease_until = $3`, [
      leaseUntil,
      id,
      heldLease,
    ]);
    return result.rowCount === 1;
  }

  startAttempt(message: AttemptTarget, start: AttemptStart): Promise<AttemptStarted> {
    return this.attemptStarts.get({ message, start });
  }

  async recordAttempt(id: string, attempt: AttemptRecord, at: string): Promise<MessageRecord> {
    const { message } = await this.attemptStatement(id, attempt, at);
    this.announceAttempt(message, attempt, at);
    return message;
  }

  /**
   * The caller's first attempt and the call's ending, gathered with the others whose
   * ending sets the same columns (firstAttempts): one statement for the batch.
   */
  async recordFirstAttempt(id: string, attempt: AttemptRecord, at: string, ending: CallEnding): Promise<{ message: MessageRecord; ended: boolean }> {
    const recorded = await ofShape(this.firstAttempts, ending.update, (keys) => this.firstAttemptsOf(keys)).get({ id, attempt, at, ending });
    this.announceAttempt(recorded.message, attempt, at, recorded.ended ? ending : undefined);
    return recorded;
  }

  /** First attempts by the columns their endings set: one gathered statement per shape. */
  private readonly firstAttempts = new Map<string, BatchedRead<FirstAttempt, AttemptRecorded, PoolClient>>();

  /**
   * First attempts whose endings set `keys`, gathered: one UPDATE of all their messages,
   * one of the calls they end, and their events, in the askers' order
   * (postgres-gathered-calls.ts).
   */
  private firstAttemptsOf(keys: (keyof CallUpdate)[]): BatchedRead<FirstAttempt, AttemptRecorded, PoolClient> {
    return this.gatheredByPlace<FirstAttempt, AttemptRecorded>(
      firstAttemptsSql(keys),
      (batch) => firstAttemptsValues(batch, keys),
      (row, ask) => (row ? { value: { message: toMessage(row), ended: row.call_ended === true } } : { error: new Error(`no message ${ask.id}`) }),
      (ask, client) => this.attemptStatement(ask.id, ask.attempt, ask.at, ask.ending, client),
    );
  }

  /**
   * One statement: the attempt's result, and for sent or failed its event. The event names
   * the message's channel (withChannel), which only the row knows: its detail is the JSON
   * the caller would write, closed in SQL with the row's channel when it is not sms (a
   * contract test compares it with SQLite's).
   *
   * With an ending (recordFirstAttempt), the same statement also ends the call while it is
   * in ending.from (and only if the message was there to record), and its events follow
   * the attempt's in the one events insert: the caller's first attempt and the call's
   * ending were two round trips, the last two of every deflection.
   */
  private async attemptStatement(id: string, attempt: AttemptRecord, at: string, ending?: CallEnding, client: Pool | PoolClient = this.pool): Promise<AttemptRecorded> {
    const values: unknown[] = attemptValues(id, attempt, at);
    const event = attemptEvent(id, attempt);
    const moved = ending
      ? `, moved AS (UPDATE calls SET ${callSets(ending.update, ending.at, values).join(', ')}
           WHERE id = $${values.push(ending.callId)} AND state = $${values.push(ending.from)} AND EXISTS (SELECT 1 FROM attempted) RETURNING id)`
      : '';
    const logged = ending ? this.attemptAndEndingEvents(event, ending, values) : this.attemptEvents(event, values);
    // Only a queued message takes an attempt's result: a receipt may have moved it on.
    const [row] = await this.rows(
      `WITH attempted AS (
         UPDATE messages SET
           status = CASE WHEN status = 'queued' THEN $3 ELSE status END,
           sent_via = COALESCE($4, sent_via),
           vendor_message_id = COALESCE($5, vendor_message_id),
           vendor_status = COALESCE($6, vendor_status),
           next_attempt_at = $7,
           error_code = $8,
           error_detail = $9,
           attempts = attempts + $10,
           lease_until = NULL,
           attempt_started_at = CASE WHEN $11 THEN attempt_started_at END,
           attempt_via = CASE WHEN $11 THEN attempt_via END,
           unanswered_lookups = CASE WHEN $11 THEN unanswered_lookups + $12 ELSE 0 END,
           updated_at = $2
         WHERE id = $1 RETURNING *)${moved}${logged}
       SELECT *${ending ? ', EXISTS (SELECT 1 FROM moved) AS call_ended' : ''} FROM attempted`,
      values,
      client,
      true,
    );
    if (!row) throw new Error(`no message ${id}`);
    return { message: toMessage(row), ended: row.call_ended === true };
  }

  /** Tells the observer of an attempt's event, and of the call's ending when it ended. */
  private announceAttempt(message: MessageRecord, attempt: AttemptRecord, at: string, ended?: CallEnding): void {
    const event = attemptEvent(message.id, attempt);
    if (event) this.announce(message.callId, message.campaignId, [{ ...event, detail: withChannel(event.detail, message.channel) }], at);
    if (ended) this.announce(ended.callId, message.campaignId, ended.events, ended.at);
  }

  /** The attempt's event detail as SQL: the JSON the caller would write, closed with the row's channel when it is not sms. */
  private attemptDetailSql(event: { detail: Record<string, string> }, values: unknown[]): string {
    const open = JSON.stringify(event.detail).slice(0, -1);
    return `$${values.push(open)} || CASE WHEN (SELECT channel FROM attempted) = 'sms' THEN '}' ELSE ',"channel":' || to_json((SELECT channel FROM attempted))::text || '}' END`;
  }

  /** recordAttempt's event CTEs: its one event, if any. */
  private attemptEvents(event: ReturnType<typeof attemptEvent>, values: unknown[]): string {
    if (!event) return '';
    const details = `ARRAY[${this.attemptDetailSql(event, values)}]`;
    return `, ${eventsCte({
      source: 'attempted',
      callId: '(SELECT call_id FROM attempted)',
      campaignId: '(SELECT campaign_id FROM attempted)',
      at: '$2',
      types: `ARRAY[$${values.push(event.type)}::text]`,
      details,
    })}`;
  }

  /**
   * recordFirstAttempt's event CTEs: the attempt's event (if any) at its time, then, only if
   * the call moved, the ending's events at theirs, in one insert. The call's campaign is the
   * message's (a message is stored with its call's campaign), so one campaign id serves both.
   */
  private attemptAndEndingEvents(event: ReturnType<typeof attemptEvent>, ending: CallEnding, values: unknown[]): string {
    if (!event && !ending.events.length) return '';
    const none = 'ARRAY[]::text[]';
    const first = event
      ? { types: `ARRAY[$${values.push(event.type)}::text]`, details: `ARRAY[${this.attemptDetailSql(event, values)}]`, ats: 'ARRAY[$2::text]' }
      : { types: none, details: none, ats: none };
    const [types, details] = eventArrays(ending.events);
    const ifMoved = (array: unknown[]) => `CASE WHEN EXISTS (SELECT 1 FROM moved) THEN $${values.push(array)}::text[] ELSE ${none} END`;
    return `, ${eventsCte({
      source: 'attempted',
      callId: '(SELECT call_id FROM attempted)',
      campaignId: '(SELECT campaign_id FROM attempted)',
      at: { each: `(${first.ats} || ${ifMoved(ending.events.map(() => ending.at))})` },
      types: `(${first.types} || ${ifMoved(types)})`,
      details: `(${first.details} || ${ifMoved(details)})`,
    })}`;
  }

  async applyReceipt(receipt: ReceiptUpdate, at: string): Promise<{ message: MessageRecord; changed: boolean } | undefined> {
    return this.write(async (tx) => {
      const [row] = await this.rows(
        `UPDATE messages SET status = $3, vendor_status = $4, error_code = COALESCE($5, error_code), updated_at = $6
         WHERE sent_via = $1 AND vendor_message_id = $2 AND ${RANK_SQL('status')} < ${RANK_SQL('$3::text')}
         RETURNING *`,
        [receipt.gateway, receipt.vendorMessageId, receipt.status, receipt.vendorStatus, receipt.errorCode ?? null, at],
        tx.client,
      );
      if (row) {
        const message = toMessage(row);
        await this.insertEvents(tx, message.callId, message.campaignId, receiptEvents(message, receipt.vendorStatus), at);
        return { message, changed: true };
      }
      const [existing] = await this.rows(
        'SELECT * FROM messages WHERE sent_via = $1 AND vendor_message_id = $2',
        [receipt.gateway, receipt.vendorMessageId],
        tx.client,
      );
      return existing ? { message: toMessage(existing), changed: false } : undefined;
    });
  }

  async retryQueuedNow(gateway: string, at: string): Promise<number> {
    const result = await this.pool.query(
      `UPDATE messages SET next_attempt_at = $2
       WHERE status = 'queued' AND next_attempt_at > $2 AND (gateway = $1 OR fallback_gateway = $1)`,
      [gateway, at],
    );
    return result.rowCount ?? 0;
  }

  async outboxDepth(): Promise<{ queued: number; oldestCreatedAt: string | null }> {
    const [row] = await this.rows(`SELECT COUNT(*)::int AS queued, MIN(created_at) AS oldest FROM messages WHERE status = 'queued'`);
    return { queued: row!.queued as number, oldestCreatedAt: (row!.oldest as string | null) ?? null };
  }

  async probeWrite(at: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO readiness_probe (id, checked_at) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at`,
      [at],
    );
  }

  async suppress(entry: Suppression): Promise<void> {
    await transaction(this.pool, (client) => stop(client, entry));
  }

  async applyOptOutChange(change: OptOutChange): Promise<OptOutVerdict> {
    return transaction(this.pool, async (client): Promise<OptOutVerdict> => {
      if (change.vendorMessageId !== undefined) {
        await client.query('DELETE FROM inbound_messages WHERE received_at < $1', [change.forgetIdsBefore]);
        const fresh = await client.query(
          'INSERT INTO inbound_messages (source, vendor_message_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
          [change.source, change.vendorMessageId, change.receivedAt],
        );
        if (fresh.rowCount === 0) return 'duplicate';
      }
      // Row for the number created (or locked) first: two changes to one number at once
      // on two instances take turns here, so each compares against the other's time.
      const channel = change.channel ?? 'sms';
      await client.query(
        `INSERT INTO opt_out_changes (number, channel, changed_at) VALUES ($1, $2, '') ON CONFLICT (number, channel) DO NOTHING`,
        [change.number, channel],
      );
      const { rows } = await client.query<{ changed_at: string }>(
        'SELECT changed_at FROM opt_out_changes WHERE number = $1 AND channel = $2 FOR UPDATE',
        [change.number, channel],
      );
      const latest = rows[0]?.changed_at ?? '';
      if (latest !== '' && !isLaterChange(change, latest)) return 'older';
      if (change.change === 'stop') {
        await stop(client, { number: change.number, channel, keyword: change.keyword, source: change.source, createdAt: change.at });
      } else {
        // Its erased form too: a number that opted back in after its erasure is texted again.
        await client.query('DELETE FROM suppressions WHERE number IN ($1, $3) AND channel = $2', [change.number, channel, this.numberKey(change.number)]);
        await client.query('UPDATE opt_out_changes SET changed_at = $3 WHERE number = $1 AND channel = $2', [change.number, channel, change.at]);
      }
      return 'applied';
    });
  }

  async isSuppressed(number: string, channel: ChannelName = 'sms'): Promise<boolean> {
    return this.suppressed.get({ number, channel });
  }

  async listSuppressions(query: SuppressionQuery): Promise<Array<Suppression & { channel: ChannelName }>> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.before) {
      values.push(query.before);
      where.push(`created_at < $${values.length}`);
    }
    if (query.number) {
      // As the messages search: a whole number exactly, a few digits at the end.
      values.push(query.number.startsWith('+') ? query.number : `%${query.number}`);
      where.push(query.number.startsWith('+') ? `number = $${values.length}` : `number LIKE $${values.length}`);
    }
    values.push(query.limit);
    const sql = `SELECT * FROM suppressions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, number, channel LIMIT $${values.length}`;
    return (await this.rows(sql, values)).map(toSuppression);
  }

  async fallBack(messageId: string, fallback: NewMessage, why: FallbackWhy, at: string): Promise<FallbackResult> {
    return this.write(async (tx): Promise<FallbackResult> => {
      // The compare-and-set that makes it once: a concurrent caller waits on the row lock,
      // then finds fell_back_at set and updates nothing.
      const [row] = await this.rows(
        `UPDATE messages SET fell_back_at = $2, updated_at = $2,
           status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END,
           error_code = CASE WHEN status = 'queued' THEN 'superseded' ELSE error_code END,
           error_detail = CASE WHEN status = 'queued' THEN 'given up: its fallback went out instead' ELSE error_detail END,
           next_attempt_at = CASE WHEN status = 'queued' THEN NULL ELSE next_attempt_at END
         WHERE id = $1 AND fell_back_at IS NULL AND fallback IS NOT NULL
           -- Not while an attempt holds it: that attempt's outcome decides (the sweep comes back).
           AND (status <> 'queued' OR lease_until IS NULL OR lease_until <= $2)
         RETURNING *`,
        [messageId, at],
        tx.client,
      );
      if (!row) return { kind: 'already' };
      const first = toMessage(row);
      const plan = first.fallback!;
      const suppressed = await this.rows(
        'SELECT 1 FROM suppressions WHERE number IN ($1, $3) AND channel = $2',
        [first.to, plan.channel, this.numberKey(first.to)],
        tx.client,
      );
      if (suppressed.length > 0) {
        await this.insertEvents(tx, first.callId, first.campaignId, [fallbackEvent(first, plan, why, { skipped: 'opted-out' })], at);
        return { kind: 'opted-out' };
      }
      const events = [fallbackEvent(first, plan, why, { fallbackId: fallback.id })];
      const created = await this.insertMessage(tx, { ...fallback, fallback: null, fallbackOf: first.id }, events);
      // Only a message already on the fallback's channel for this call can be in the way
      // (a plan naming the first's own channel): roll back rather than mark it fallen back.
      if (!created) throw new Error(`fallback of ${first.id}: the call already has a ${plan.channel} message to this number`);
      return { kind: 'created', message: created };
    });
  }

  async dueFallbacks(now: string, limit: number): Promise<MessageRecord[]> {
    const rows = await this.rows(
      `SELECT * FROM messages
       WHERE fallback IS NOT NULL AND fell_back_at IS NULL AND status IN ('queued', 'sent', 'failed', 'undelivered')
         AND (status IN ('failed', 'undelivered') OR fallback_due_at <= $1)
         AND (status <> 'queued' OR lease_until IS NULL OR lease_until <= $1)
       ORDER BY created_at, id LIMIT $2`,
      [now, limit],
    );
    return rows.map(toMessage);
  }

  /**
   * Every call start reads the switch: requests arriving together share one read that began
   * after they came in (fresh-read.ts), so a switch turned off through any instance is
   * still seen by every call that starts after it.
   */
  getServiceSwitch(): Promise<ServiceSwitch> {
    // A copy each: the read is shared.
    return this.serviceSwitch.get().then((found) => ({ ...found }));
  }

  private async readServiceSwitch(): Promise<ServiceSwitch> {
    const [row] = await this.rows('SELECT * FROM settings WHERE key = $1', [SERVICE_SWITCH_KEY], this.pool, true);
    if (!row) return { enabled: true, changedBy: null, changedAt: null };
    return { enabled: row.value === 'true', changedBy: (row.changed_by as string | null) ?? null, changedAt: row.changed_at as string };
  }

  async setServiceSwitch(enabled: boolean, changedBy: string, at: string): Promise<ServiceSwitch> {
    await this.pool.query(
      `INSERT INTO settings (key, value, changed_by, changed_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by, changed_at = excluded.changed_at`,
      [SERVICE_SWITCH_KEY, String(enabled), changedBy, at],
    );
    return { enabled, changedBy, changedAt: at };
  }

  createShortLink(link: Omit<ShortLink, 'clicks'>): Promise<boolean> {
    return this.shortLinks.get(link);
  }

  async clickShortLink(code: string, at: string, visit: LinkVisit = UNKNOWN_CLICK): Promise<(ShortLink & { expired: boolean }) | undefined> {
    return this.write(async (tx) => {
      if (visit.kind === 'preview') {
        // FOR UPDATE: two previews of one call at once count each other's events (the cap holds).
        const [row] = await this.rows('SELECT * FROM short_links WHERE code = $1 FOR UPDATE', [code], tx.client);
        if (!row) return undefined;
        const expired = row.expires_at != null && (row.expires_at as string) <= at;
        const link = { ...toShortLink(row), expired };
        if (link.callId && !expired) {
          const [{ n }] = (await this.rows(
            "SELECT COUNT(*)::int AS n FROM call_events WHERE call_id = $1 AND type = 'link-previewed'",
            [link.callId],
            tx.client,
          )) as [Row];
          if (Number(n) < MAX_PREVIEW_EVENTS) {
            await this.insertEvents(tx, link.callId, link.campaignId, [{ type: 'link-previewed', detail: { code, agent: visit.agent } }], at);
          }
        }
        return link;
      }
      // Count the click only while the link lives; nothing counted means expired, or unknown.
      const [clicked] = await this.rows(
        'UPDATE short_links SET clicks = clicks + 1 WHERE code = $1 AND (expires_at IS NULL OR expires_at > $2) RETURNING *',
        [code, at],
        tx.client,
      );
      const row = clicked ?? (await this.rows('SELECT * FROM short_links WHERE code = $1', [code], tx.client))[0];
      if (!row) return undefined;
      const link = { ...toShortLink(row), expired: !clicked };
      // Only the first click is an event: the funnel counts the call once, and clicks counts the rest.
      if (link.callId && (!clicked || link.clicks === 1)) {
        const event: NewEvent = clicked ? { type: 'link-clicked', detail: { code, agent: visit.agent } } : { type: 'link-expired', detail: { code } };
        await this.insertEvents(tx, link.callId, link.campaignId, [event], at);
      }
      return link;
    });
  }

  async createSession(session: AdminSession): Promise<void> {
    await this.pool.query('INSERT INTO admin_sessions (id, "user", role, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [
      session.id,
      session.user,
      session.role ?? 'admin',
      session.csrfToken,
      session.createdAt,
      session.expiresAt,
    ]);
  }

  async getSession(id: string, now: string): Promise<AdminSession | undefined> {
    const [row] = await this.rows('SELECT * FROM admin_sessions WHERE id = $1 AND expires_at > $2', [id, now]);
    return row && toSession(row);
  }

  async deleteSession(id: string): Promise<void> {
    await this.pool.query('DELETE FROM admin_sessions WHERE id = $1', [id]);
  }

  async deleteExpiredSessions(now: string): Promise<number> {
    return (await this.pool.query('DELETE FROM admin_sessions WHERE expires_at <= $1', [now])).rowCount ?? 0;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    return transaction(this.pool, async (client) => {
      // Appends from every instance take turns (the lock is held to commit), so each one
      // chains to the entry committed just before it.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('ivr-deflect audit'))`);
      const [last] = await this.rows('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1', [], client);
      const [checkpoint] = last ? [] : await this.rows('SELECT hash FROM audit_checkpoint WHERE id = 1', [], client);
      const hash = chainHash((last?.hash ?? checkpoint?.hash ?? GENESIS) as string, entry);
      const [row] = await this.rows(
        `INSERT INTO audit_log (at, actor_kind, actor_name, ip, action, target, detail, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
        [entry.at, entry.actorKind, entry.actorName, entry.ip, entry.action, entry.target, entry.detail, hash],
        client,
      );
      return toAuditEntry(row as Row);
    });
  }

  async searchAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const rows = await this.rows(
      `SELECT * FROM audit_log
       WHERE ($1::text IS NULL OR at >= $1) AND ($2::text IS NULL OR at < $2)
         AND ($3::text IS NULL OR actor_name = $3)
         AND ($4::text IS NULL OR action = $4 OR left(action, length($4) + 1) = $4 || '.')
         AND ($5::bigint IS NULL OR id < $5)
       ORDER BY id DESC LIMIT $6`,
      [query.from ?? null, query.to ?? null, query.actor ?? null, query.action ?? null, query.beforeId ?? null, query.limit],
    );
    return rows.map(toAuditEntry);
  }

  async auditChain(afterId: number, limit: number): Promise<AuditEntry[]> {
    return (await this.rows('SELECT * FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2', [afterId, limit])).map(toAuditEntry);
  }

  async auditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const [row] = await this.rows('SELECT * FROM audit_checkpoint WHERE id = 1');
    return row && toAuditCheckpoint(row);
  }

  async pruneAuditBefore(before: string, at: string): Promise<number> {
    return transaction(this.pool, async (client) => {
      // Behind the appends' lock: no entry is chained to one being pruned meanwhile.
      await client.query(`SELECT pg_advisory_xact_lock(hashtext('ivr-deflect audit'))`);
      const [last] = await this.rows('SELECT id, hash FROM audit_log WHERE at < $1 ORDER BY id DESC LIMIT 1', [before], client);
      if (!last) return 0;
      await client.query(`SET LOCAL ivr_deflect.audit_prune = 'on'`);
      const pruned = (await client.query('DELETE FROM audit_log WHERE id <= $1', [last.id])).rowCount ?? 0;
      await client.query(
        `INSERT INTO audit_checkpoint (id, through_id, hash, pruned_at, pruned) VALUES (1, $1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET through_id = excluded.through_id, hash = excluded.hash,
           pruned_at = excluded.pruned_at, pruned = audit_checkpoint.pruned + excluded.pruned`,
        [last.id, last.hash, at, pruned],
      );
      return pruned;
    });
  }

  async pruneBatch(dataClass: RetentionClass, before: string, limit: number): Promise<number> {
    return transaction(this.pool, async (client) => {
      // SHARE: batches run beside each other, but a hold being placed (or an erasure) waits
      // for this batch, and this batch for it; so the look at the holds stays true to the end.
      await client.query('LOCK TABLE legal_holds IN SHARE MODE');
      const holds = ((await client.query('SELECT 1 FROM legal_holds LIMIT 1')).rowCount ?? 0) > 0;
      const sql = pruneSql(dataClass, (name) => (name === 'before' ? '$1' : '$2'), holds);
      const pruned = (await client.query(sql, [before, limit])).rowCount ?? 0;
      // The per-minute sums (postgres-admission.ts) of minutes no stored text is in any more:
      // before the oldest text left (a held one may be older than the cutoff) and before the
      // cutoff itself, which no text being written now can be older than.
      if (dataClass === 'messages') {
        await client.query('DELETE FROM message_minutes WHERE minute < left($1, 16) AND minute < (SELECT left(min(created_at), 16) FROM messages)', [before]);
      }
      return pruned;
    });
  }

  async eraseNumber(request: ErasureRequest): Promise<ErasureOutcome> {
    return transaction(this.pool, async (client): Promise<ErasureOutcome> => {
      const forms = request.forms;
      // Serialises with retention and with a hold being placed: neither sees half of it.
      await client.query(`LOCK TABLE legal_holds IN SHARE MODE`);
      const { rows: callRows } = await client.query<{ id: string }>(
        `SELECT id FROM calls WHERE ani = ANY($1::text[]) OR destination = ANY($1::text[])
         UNION SELECT call_id FROM messages WHERE "to" = ANY($1::text[]) OR caller = ANY($1::text[])
         UNION SELECT call_id FROM consent WHERE ani = ANY($1::text[]) OR destination = ANY($1::text[])`,
        [forms],
      );
      const ids = callRows.map((r) => r.id);
      const { rows: held } = await client.query<Row>(
        `SELECT * FROM legal_holds
         WHERE (kind = 'number' AND value = ANY($1::text[]))
            OR (kind = 'campaign' AND value IN (SELECT campaign_id FROM calls WHERE id = ANY($2::text[])
                                              UNION SELECT campaign_id FROM messages WHERE call_id = ANY($2::text[])))
         ORDER BY kind DESC, value LIMIT 1`,
        [forms, ids],
      );
      if (held[0]) return { kind: 'held', hold: toLegalHold(held[0]) };
      const run = async (sql: string, values: unknown[]) => (await client.query(sql, values)).rowCount ?? 0;
      const removed: Record<string, number> = {};
      removed.call_events = await run('DELETE FROM call_events WHERE call_id = ANY($1::text[])', [ids]);
      removed.short_links = await run('DELETE FROM short_links WHERE call_id = ANY($1::text[])', [ids]);
      removed.consent = await run(
        'DELETE FROM consent WHERE call_id = ANY($1::text[]) OR ani = ANY($2::text[]) OR destination = ANY($2::text[])',
        [ids, forms],
      );
      removed.messages = await run(
        'DELETE FROM messages WHERE call_id = ANY($1::text[]) OR "to" = ANY($2::text[]) OR caller = ANY($2::text[])',
        [ids, forms],
      );
      removed.calls = await run('DELETE FROM calls WHERE id = ANY($1::text[])', [ids]);
      // The opt-out list keeps the key instead of the number: a later check still finds it.
      await run(
        `INSERT INTO suppressions (number, channel, keyword, source, created_at)
         SELECT $2, channel, keyword, source, created_at FROM suppressions WHERE number = ANY($1::text[])
         ON CONFLICT (number, channel) DO NOTHING`,
        [forms, request.suppressionKey],
      );
      removed.suppressions = await run('DELETE FROM suppressions WHERE number = ANY($1::text[])', [forms]);
      await run(
        `INSERT INTO opt_out_changes (number, channel, changed_at)
         SELECT $2, channel, MAX(changed_at) FROM opt_out_changes WHERE number = ANY($1::text[]) GROUP BY channel
         ON CONFLICT (number, channel) DO UPDATE SET changed_at = GREATEST(opt_out_changes.changed_at, excluded.changed_at)`,
        [forms, request.suppressionKey],
      );
      removed.opt_out_changes = await run('DELETE FROM opt_out_changes WHERE number = ANY($1::text[])', [forms]);
      return { kind: 'erased', removed };
    });
  }

  async placeLegalHold(hold: LegalHold): Promise<void> {
    await this.pool.query(
      `INSERT INTO legal_holds (kind, value, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at`,
      [hold.kind, hold.value, hold.reason, hold.createdBy, hold.createdAt],
    );
  }

  async liftLegalHold(kind: LegalHold['kind'], value: string): Promise<boolean> {
    return ((await this.pool.query('DELETE FROM legal_holds WHERE kind = $1 AND value = $2', [kind, value])).rowCount ?? 0) > 0;
  }

  async listLegalHolds(): Promise<LegalHold[]> {
    return (await this.rows('SELECT * FROM legal_holds ORDER BY kind, value')).map(toLegalHold);
  }

  async claimJobLease(name: string, owner: string, now: string, until: string): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO job_leases (name, owner, lease_until) VALUES ($1, $2, $4)
       ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
       WHERE job_leases.lease_until <= $3 OR job_leases.owner = $2`,
      [name, owner, now, until],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async createApiToken(token: NewApiToken): Promise<boolean> {
    const result = await this.pool.query(
      `INSERT INTO api_tokens (id, name, role, secret_hash, created_at, created_by, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING`,
      [token.id, token.name, token.role, token.secretHash, token.createdAt, token.createdBy, token.expiresAt],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async findApiToken(secretHash: string): Promise<ApiToken | undefined> {
    const [row] = await this.rows('SELECT * FROM api_tokens WHERE secret_hash = $1', [secretHash]);
    return row && toApiToken(row);
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (await this.rows('SELECT * FROM api_tokens ORDER BY created_at DESC, id')).map(toApiToken);
  }

  async revokeApiToken(id: string, by: string, at: string): Promise<ApiToken | undefined> {
    const [row] = await this.rows('UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL RETURNING *', [at, by, id]);
    return row && toApiToken(row);
  }

  async touchApiToken(id: string, at: string, unlessAfter: string): Promise<void> {
    await this.pool.query('UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)', [at, id, unlessAfter]);
  }

  async close(): Promise<void> {
    // pg throws when a pool is ended twice; SqliteStore.close may be called again too.
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** The events in the order given (so their ids are too), remembered for the observer. */
  private async insertEvents(tx: Tx, callId: string, campaignId: string | null, events: NewEvent[], at: string): Promise<void> {
    if (!events.length) return;
    const [types, details] = eventArrays(events);
    await tx.client.query(
      `WITH one AS (SELECT 1), ${eventsCte({ source: 'one', callId: '$1', campaignId: '$2', at: '$5', types: '$3', details: '$4' })} SELECT 1`,
      [callId, campaignId, types, details, at],
    );
    if (this.observer) tx.recorded.push(...events.map((e) => ({ ...e, callId, campaignId, createdAt: at })));
  }
}

/** Inside a transaction: the number on the list, and the time of this change kept. */
async function stop(client: PoolClient, entry: Suppression): Promise<void> {
  const channel = entry.channel ?? 'sms';
  await client.query(
    `INSERT INTO suppressions (number, channel, keyword, source, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (number, channel) DO NOTHING`,
    [entry.number, channel, entry.keyword, entry.source, entry.createdAt],
  );
  await client.query(
    `INSERT INTO opt_out_changes (number, channel, changed_at) VALUES ($1, $2, $3)
     ON CONFLICT (number, channel) DO UPDATE SET changed_at = GREATEST(opt_out_changes.changed_at, excluded.changed_at)`,
    [entry.number, channel, entry.createdAt],
  );
}
