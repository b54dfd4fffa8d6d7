import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type {
  ChannelMessageCount,
  VariantCount,
  CallState,
  CallEvent,
  CallRecord,
  EventObserver,
  CallUpdate,
  CallEnding,
  AttemptStarted,
  AttemptTarget,
  MessageRecord,
  AttemptRecord,
  AttemptStart,
  NewCall,
  NewEvent,
  LinkVisit,
  NewMessage,
  ReceiptUpdate,
  SendLimit,
  ServiceSwitch,
  ShortLink,
  Admission,
  AdmissionRequest,
  ConsentRecord,
  Store,
  Suppression,
  SuppressionQuery,
  OptOutChange,
  OptOutVerdict,
  AdminSession,
  AuditCheckpoint,
  AuditEntry,
  AuditQuery,
  NewAuditEntry,
  EventQuery,
  FunnelQuery,
  FunnelSlot,
  TextMatch,
  TextRecontactCount,
  MessageQuery,
  NotOfferedCall,
  FallbackResult,
  FallbackWhy,
  ConversationOutcome,
  OutcomeVerdict,
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
import { countCeiling, limitCondition, type LimitCondition } from './send-limits';
import { funnelSlotOf, MAX_PREVIEW_EVENTS, UNKNOWN_CLICK } from './port';
import { chainHash, GENESIS } from '../audit/chain';
import { CALL_COLUMNS, toApiToken, toAuditCheckpoint, toAuditEntry, toLegalHold, foldFunnelRows, mergeFunnelRows, NOT_OFFERED_FUNNEL_COLUMNS, toCall, toConsent, toEvent, toEventCursor, toJson, toMessage, toSession, toShortLink, toSuppression, toTextMatch, toTextRecontactCount, type Row } from './rows';
import { isLaterChange } from './opt-out-order';
import { pruneSql } from './retention-sql';
import { SQLITE_LAST_TEXT_FOR_SQL, SQLITE_TEXT_RECONTACTS_SQL } from './last-text-sql';
import { sqliteChannelCounts, SQLITE_CHANNEL_COUNTS_SQL } from './channel-counts';
import { sqliteVariantCounts, SQLITE_VARIANT_COUNTS_SQL } from './variant-counts';
import { BACKSTOP_PAGES, SQLITE_DEFAULT_PAGES, WalCheckpointer } from './sqlite-checkpointer';

/**
 * Migrations run in order at start; each runs once, recorded in schema_migrations.
 * Never edit a shipped migration: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE calls (
     id TEXT PRIMARY KEY,
     campaign_id TEXT,
     mode TEXT NOT NULL,
     dnis TEXT NOT NULL,
     ani TEXT NOT NULL,
     platform_call_id TEXT NOT NULL,
     state TEXT NOT NULL,
     destination TEXT,
     destination_source TEXT,
     invalid_number_count INTEGER NOT NULL DEFAULT 0,
     result TEXT,
     last_page TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX calls_created_at ON calls (created_at);
   CREATE TABLE call_events (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     call_id TEXT NOT NULL,
     campaign_id TEXT,
     type TEXT NOT NULL,
     detail TEXT,
     created_at TEXT NOT NULL
   );
   CREATE INDEX call_events_call ON call_events (call_id, id);
   CREATE INDEX call_events_created_at ON call_events (created_at);
   CREATE TABLE messages (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     "to" TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL,
     gateway TEXT NOT NULL,
     vendor_message_id TEXT,
     error_code TEXT,
     error_detail TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     UNIQUE (call_id, "to")
   );
   CREATE INDEX messages_created_at ON messages (created_at, id);
   CREATE TABLE short_links (
     code TEXT PRIMARY KEY,
     target TEXT NOT NULL,
     call_id TEXT,
     campaign_id TEXT,
     clicks INTEGER NOT NULL DEFAULT 0,
     created_at TEXT NOT NULL
   );`,
  // The outbox: attempts, schedule and lease per message; receipts; the opt-out list.
  `ALTER TABLE messages ADD COLUMN fallback_gateway TEXT;
   ALTER TABLE messages ADD COLUMN sent_via TEXT;
   ALTER TABLE messages ADD COLUMN vendor_status TEXT;
   ALTER TABLE messages ADD COLUMN segments INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE messages ADD COLUMN encoding TEXT NOT NULL DEFAULT 'GSM-7';
   ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE messages ADD COLUMN next_attempt_at TEXT;
   ALTER TABLE messages ADD COLUMN lease_until TEXT;
   UPDATE messages SET next_attempt_at = created_at WHERE status = 'queued';
   UPDATE messages SET sent_via = gateway WHERE status <> 'queued';
   CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
   CREATE INDEX messages_vendor_id ON messages (vendor_message_id);
   CREATE TABLE suppressions (
     number TEXT PRIMARY KEY,
     keyword TEXT NOT NULL,
     source TEXT NOT NULL,
     created_at TEXT NOT NULL
   );`,
  // Offer rules: variants and consent evidence, one-time chat URLs, limits, expiring
  // links, the global service switch.
  `ALTER TABLE calls ADD COLUMN variant TEXT;
   ALTER TABLE calls ADD COLUMN offer_text TEXT NOT NULL DEFAULT '';
   ALTER TABLE calls ADD COLUMN accepted_at TEXT;
   ALTER TABLE calls ADD COLUMN chat_url TEXT;
   ALTER TABLE calls ADD COLUMN chat_url_expires_at TEXT;
   ALTER TABLE messages ADD COLUMN caller TEXT NOT NULL DEFAULT '';
   CREATE INDEX messages_to_created ON messages ("to", created_at);
   CREATE INDEX messages_caller_created ON messages (caller, created_at) WHERE caller <> '';
   CREATE INDEX messages_campaign_created ON messages (campaign_id, created_at);
   ALTER TABLE short_links ADD COLUMN expires_at TEXT;
   CREATE TABLE consent (
     message_id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     variant TEXT,
     dnis TEXT NOT NULL,
     ani TEXT NOT NULL,
     destination TEXT NOT NULL,
     destination_source TEXT NOT NULL,
     accept_key TEXT NOT NULL,
     confirm_key TEXT NOT NULL,
     offer_text TEXT NOT NULL,
     offer_version TEXT NOT NULL,
     offered_at TEXT NOT NULL,
     accepted_at TEXT,
     confirmed_at TEXT NOT NULL
   );
   CREATE INDEX consent_confirmed_at ON consent (confirmed_at);
   CREATE TABLE settings (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     changed_by TEXT,
     changed_at TEXT NOT NULL
   );`,
  // The admin console: sign-in sessions; messages by status. (The funnel report reads
  // events by call through call_events_call: an extra (call_id, type) index, covering
  // the event type, measured no faster over a month of 3 million calls.)
  `CREATE TABLE admin_sessions (
     id TEXT PRIMARY KEY,
     user TEXT NOT NULL,
     csrf_token TEXT NOT NULL,
     created_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);
   CREATE INDEX messages_status_created ON messages (status, created_at);`,
  // Replayed webhooks: inbound vendor ids seen (kept for a bounded time), and the time of
  // the latest opt-out change per number, so an older START cannot undo a newer STOP.
  `CREATE TABLE inbound_messages (
     source TEXT NOT NULL,
     vendor_message_id TEXT NOT NULL,
     received_at TEXT NOT NULL,
     PRIMARY KEY (source, vendor_message_id)
   );
   CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
   CREATE TABLE opt_out_changes (
     number TEXT PRIMARY KEY,
     changed_at TEXT NOT NULL
   );
   INSERT INTO opt_out_changes (number, changed_at) SELECT number, created_at FROM suppressions;`,
  // Readiness writes this one row (probeWrite): a store that can read but not write
  // (disk full, read-only file) fails every call, and must say so.
  `CREATE TABLE readiness_probe (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     checked_at TEXT NOT NULL
   );`,
  // Calls not offered are counted, not stored: one row per slot, campaign, DNIS and reason
  // ('' for no campaign). Missing and unknown DNIS values share one key (see the port).
  `CREATE TABLE not_offered_counts (
     slot TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     dnis TEXT NOT NULL,
     reason TEXT NOT NULL,
     calls INTEGER NOT NULL,
     PRIMARY KEY (slot, campaign_id, dnis, reason)
   ) WITHOUT ROWID;`,
  // No duplicate texts after a crash: the attempt in flight (when its request went out and
  // to which gateway), kept while its outcome is unknown, and the lookups that could not tell.
  `ALTER TABLE messages ADD COLUMN attempt_started_at TEXT;
   ALTER TABLE messages ADD COLUMN attempt_via TEXT;
   ALTER TABLE messages ADD COLUMN unanswered_lookups INTEGER NOT NULL DEFAULT 0;`,
  // Channels (WhatsApp, RCS, LivePerson C2M) beside SMS: each message's channel, its
  // template or invite, and the fallback it may need (JSON); the call's channel and C2M
  // eligibility; the channel each consent record is for, with the wording heard.
  `ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
   ALTER TABLE messages ADD COLUMN template TEXT;
   ALTER TABLE messages ADD COLUMN c2m TEXT;
   ALTER TABLE messages ADD COLUMN fallback TEXT;
   ALTER TABLE messages ADD COLUMN fallback_of TEXT;
   ALTER TABLE messages ADD COLUMN fell_back_at TEXT;
   ALTER TABLE calls ADD COLUMN channel TEXT;
   ALTER TABLE calls ADD COLUMN c2m_eligibility TEXT;
   ALTER TABLE consent ADD COLUMN channel TEXT NOT NULL DEFAULT 'sms';
   ALTER TABLE consent ADD COLUMN channel_consent_text TEXT NOT NULL DEFAULT '';`,
  // Channels, part two. Opt-outs are per channel (a WhatsApp STOP does not stop texts):
  // suppressions and the latest change are keyed by number and channel, existing rows sms.
  // A call may have one message per number and channel (the fallback SMS beside the
  // WhatsApp message): SQLite cannot drop a table constraint, so messages is rebuilt with
  // the new key. fallback_due_at: when a message with a timed fallback plan falls back
  // without a delivery receipt (the sweep's index holds only messages still waiting).
  `CREATE TABLE suppressions_new (
     number TEXT NOT NULL,
     channel TEXT NOT NULL DEFAULT 'sms',
     keyword TEXT NOT NULL,
     source TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (number, channel)
   );
   INSERT INTO suppressions_new (number, channel, keyword, source, created_at) SELECT number, 'sms', keyword, source, created_at FROM suppressions;
   DROP TABLE suppressions;
   ALTER TABLE suppressions_new RENAME TO suppressions;
   CREATE TABLE opt_out_changes_new (
     number TEXT NOT NULL,
     channel TEXT NOT NULL DEFAULT 'sms',
     changed_at TEXT NOT NULL,
     PRIMARY KEY (number, channel)
   );
   INSERT INTO opt_out_changes_new (number, channel, changed_at) SELECT number, 'sms', changed_at FROM opt_out_changes;
   DROP TABLE opt_out_changes;
   ALTER TABLE opt_out_changes_new RENAME TO opt_out_changes;
   CREATE TABLE messages_new (
     id TEXT PRIMARY KEY,
     call_id TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     "to" TEXT NOT NULL,
     body TEXT NOT NULL,
     status TEXT NOT NULL,
     gateway TEXT NOT NULL,
     vendor_message_id TEXT,
     error_code TEXT,
     error_detail TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     fallback_gateway TEXT,
     sent_via TEXT,
     vendor_status TEXT,
     segments INTEGER NOT NULL DEFAULT 1,
     encoding TEXT NOT NULL DEFAULT 'GSM-7',
     attempts INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT,
     lease_until TEXT,
     caller TEXT NOT NULL DEFAULT '',
     attempt_started_at TEXT,
     attempt_via TEXT,
     unanswered_lookups INTEGER NOT NULL DEFAULT 0,
     channel TEXT NOT NULL DEFAULT 'sms',
     template TEXT,
     c2m TEXT,
     fallback TEXT,
     fallback_of TEXT,
     fell_back_at TEXT,
     fallback_due_at TEXT,
     UNIQUE (call_id, "to", channel)
   );
   INSERT INTO messages_new (id, call_id, campaign_id, "to", body, status, gateway, vendor_message_id, error_code, error_detail,
                             created_at, updated_at, fallback_gateway, sent_via, vendor_status, segments, encoding, attempts,
                             next_attempt_at, lease_until, caller, attempt_started_at, attempt_via, unanswered_lookups,
                             channel, template, c2m, fallback, fallback_of, fell_back_at)
     SELECT id, call_id, campaign_id, "to", body, status, gateway, vendor_message_id, error_code, error_detail,
            created_at, updated_at, fallback_gateway, sent_via, vendor_status, segments, encoding, attempts,
            next_attempt_at, lease_until, caller, attempt_started_at, attempt_via, unanswered_lookups,
            channel, template, c2m, fallback, fallback_of, fell_back_at
     FROM messages;
   DROP TABLE messages;
   ALTER TABLE messages_new RENAME TO messages;
   CREATE INDEX messages_created_at ON messages (created_at, id);
   CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
   CREATE INDEX messages_vendor_id ON messages (vendor_message_id);
   CREATE INDEX messages_to_created ON messages ("to", created_at);
   CREATE INDEX messages_caller_created ON messages (caller, created_at) WHERE caller <> '';
   CREATE INDEX messages_campaign_created ON messages (campaign_id, created_at);
   CREATE INDEX messages_status_created ON messages (status, created_at);
   CREATE UNIQUE INDEX messages_first_of_call ON messages (call_id, "to") WHERE fallback_of IS NULL;
   CREATE INDEX messages_fallback_waiting ON messages (fallback_due_at)
     WHERE fallback IS NOT NULL AND fell_back_at IS NULL AND status IN ('queued', 'sent', 'failed', 'undelivered');`,
  // RCS whose SMS fallback the vendor sends itself (Vonage's failover): the adapter asks for it.
  `ALTER TABLE messages ADD COLUMN sms_fallback_by_vendor INTEGER NOT NULL DEFAULT 0;`,
  // Context for the agent: the IVR's allow-listed named context, as JSON text.
  `ALTER TABLE calls ADD COLUMN context TEXT;`,
  // Events out: each endpoint's place in the call events, its backoff and its lease.
  `CREATE TABLE event_cursors (
     endpoint TEXT PRIMARY KEY,
     last_id INTEGER NOT NULL,
     failures INTEGER NOT NULL DEFAULT 0,
     next_attempt_at TEXT,
     last_error TEXT,
     lease_owner TEXT,
     lease_until TEXT
   );`,
  // The audit trail: append-only (the triggers refuse UPDATE, and DELETE except while
  // pruneAuditBefore holds a permit row in its transaction), hash-chained (src/audit/chain.ts).
  `CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at TEXT NOT NULL,
     actor_kind TEXT NOT NULL,
     actor_name TEXT NOT NULL,
     ip TEXT,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT,
     hash TEXT NOT NULL
   );
   CREATE INDEX audit_log_at ON audit_log (at);
   CREATE TABLE audit_checkpoint (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     through_id INTEGER NOT NULL,
     hash TEXT NOT NULL,
     pruned_at TEXT NOT NULL,
     pruned INTEGER NOT NULL
   );
   CREATE TABLE audit_prune_permit (id INTEGER PRIMARY KEY);
   CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
   BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
   CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
   WHEN NOT EXISTS (SELECT 1 FROM audit_prune_permit)
   BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: entries leave only through pruneAuditBefore'); END;`,
  // Retention and erasure: legal holds (kept whatever their age, never erased), and named
  // job leases (one retention run at a time).
  `CREATE TABLE legal_holds (
     kind TEXT NOT NULL,
     value TEXT NOT NULL,
     reason TEXT NOT NULL,
     created_by TEXT NOT NULL,
     created_at TEXT NOT NULL,
     PRIMARY KEY (kind, value)
   );
   CREATE TABLE job_leases (
     name TEXT PRIMARY KEY,
     owner TEXT NOT NULL,
     lease_until TEXT NOT NULL
   );
   CREATE INDEX consent_call ON consent (call_id);
   CREATE INDEX short_links_call ON short_links (call_id);
   CREATE INDEX calls_destination ON calls (destination);
   CREATE INDEX calls_ani ON calls (ani);`,
  // Named API tokens (issue 20 part 2b): the secret's SHA-256 only. A name is unique among
  // live tokens (a partial index), so a revoked token's name can be given again.
  `CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
     secret_hash TEXT NOT NULL UNIQUE,
     created_at TEXT NOT NULL,
     created_by TEXT NOT NULL,
     expires_at TEXT,
     last_used_at TEXT,
     revoked_at TEXT,
     revoked_by TEXT
   );
   CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;`,
  // Roles (issue 20 part 2): each session's role. Sessions from before were all the local
  // admin's, hence the default.
  `ALTER TABLE admin_sessions ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';`,
];

/** The settings row of the service switch. */
const SERVICE_SWITCH_KEY = 'service.enabled';
/** Write transactions after which the WAL's checkpoints move to their own thread. */
const CHECKPOINT_THREAD_AFTER_COMMITS = 200;

/** SQL for STATUS_RANK, so a receipt's forward-only rule is one atomic UPDATE. */
const RANK_SQL = (column: string): string =>
  `CASE ${column} WHEN 'queued' THEN 0 WHEN 'sent' THEN 1 WHEN 'read' THEN 3 ELSE 2 END`;


/** A write waiting for its group commit, and the request waiting for that write. */
interface QueuedWrite {
  work: () => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class SqliteStore implements Store {
  private readonly db: Database.Database;
  /** Prepared statements by SQL text: preparing costs as much as running a small insert. */
  private readonly statements = new Map<string, Database.Statement>();
  /** The events the write in progress has inserted, announced to the observer when it commits. */
  private uncommitted: Omit<CallEvent, 'id'>[] = [];
  /** Call starts queued in this event-loop turn, committed together (see writeTogether). */
  private queued: QueuedWrite[] = [];
  /**
   * The service switch as last read or written, which every call start asks for. Exact:
   * this process is the file's only writer (SQLite is the one-instance store) and
   * setServiceSwitch is the only statement that writes the row, so the cache changes with it.
   */
  private serviceSwitch?: ServiceSwitch;
  /** Write transactions committed so far, until the checkpoint thread starts (see startCheckpointer). */
  private commits = 0;
  private checkpointer?: WalCheckpointer;

  private constructor(
    private readonly file: string,
    private readonly observer?: EventObserver,
    /** Finds an erased number on the opt-out list by the key its erasure left (identity: none). */
    private readonly numberKey: NumberKey = (n) => n,
  ) {
    this.db = new Database(file);
    // WAL: readers never block the writer; NORMAL sync is durable across process crashes.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
  }

  /**
   * Opens (creating the folder and file if needed) and migrates the store in dataDir.
   * The observer hears of every call event recorded from then on.
   */
  static open(dataDir: string, observer?: EventObserver, numberKey?: NumberKey): SqliteStore {
    fs.mkdirSync(dataDir, { recursive: true });
    return new SqliteStore(path.join(dataDir, 'ivr-deflect.db'), observer, numberKey);
  }

  /** Runs work in one transaction; the call events it recorded are announced once it has committed. */
  private write<T>(work: () => T): T {
    try {
      const result = this.db.transaction(work)();
      if (this.observer && this.uncommitted.length) this.observer(this.uncommitted);
      if (!this.checkpointer && ++this.commits === CHECKPOINT_THREAD_AFTER_COMMITS) this.startCheckpointer();
      return result;
    } finally {
      this.uncommitted = [];
    }
  }

  /**
   * Group commit: the writes queued in one event-loop turn (concurrent call starts) run in
   * one transaction, flushed once the turn's I/O callbacks have run. A commit, not a row,
   * is what a write costs (the WAL frames of every page touched, the lock), so twenty
   * starts in one commit cost little more than one. Each promise settles only after its
   * commit: nothing is answered before it is stored. If the shared transaction fails, each
   * write is tried again on its own, so one bad row fails only its own request.
   */
  private writeTogether(work: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(() => this.flushQueued());
      this.queued.push({ work, resolve, reject });
    });
  }

  /**
   * Moves the WAL's checkpoints to a thread of their own (sqlite-checkpointer.ts), so no
   * request waits for their fsyncs; this connection keeps a larger automatic one as a
   * backstop, and SQLite's default again if the thread dies. Started only once the store
   * has written a little: a short-lived store (a test, a CLI command) never needs it.
   */
  private startCheckpointer(): void {
    if (!this.db.open) return;
    this.checkpointer = new WalCheckpointer(this.file, () => {
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_PAGES}`);
    });
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** The checkpoint thread, once started (tests). */
  get walCheckpointer(): WalCheckpointer | undefined {
    return this.checkpointer;
  }

  private flushQueued(): void {
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    try {
      this.write(() => {
        for (const entry of batch) entry.work();
      });
    } catch {
      for (const entry of batch) {
        try {
          this.write(entry.work);
          entry.resolve();
        } catch (err) {
          entry.reject(err as Error);
        }
      }
      return;
    }
    for (const entry of batch) entry.resolve();
  }

  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const done = new Set(
      (this.db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version),
    );
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (done.has(version)) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db
          .prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)')
          .run(version, new Date().toISOString());
      })();
    });
  }

  async createCall(call: NewCall, events: NewEvent[]): Promise<void> {
    return this.writeTogether(() => {
      this
        .sql(
          `INSERT INTO calls (id, campaign_id, mode, dnis, ani, platform_call_id, state, variant, offer_text,
                              chat_url, chat_url_expires_at, channel, c2m_eligibility, context, result, last_page, created_at, updated_at, expires_at)
           VALUES (@id, @campaignId, @mode, @dnis, @ani, @platformCallId, @state, @variant, @offerText,
                   @chatUrl, @chatUrlExpiresAt, @channel, @c2mEligibility, @context, @result, @lastPage, @createdAt, @createdAt, @expiresAt)`,
        )
        .run({
          variant: null,
          offerText: '',
          chatUrl: null,
          chatUrlExpiresAt: null,
          channel: null,
          ...call,
          c2mEligibility: toJson(call.c2mEligibility),
          context: toJson(call.context),
          result: toJson(call.result),
          lastPage: toJson(call.lastPage),
        });
      this.insertEvents(call.id, call.campaignId, events, call.createdAt);
    });
  }

  async countNotOffered(call: NotOfferedCall, events: NewEvent[]): Promise<void> {
    this.write(() => {
      this
        .sql(
          `INSERT INTO not_offered_counts (slot, campaign_id, dnis, reason, calls) VALUES (?, ?, ?, ?, 1)
           ON CONFLICT (slot, campaign_id, dnis, reason) DO UPDATE SET calls = calls + 1`,
        )
        .run(funnelSlotOf(call.createdAt), call.campaignId ?? '', call.dnis, call.reason);
      if (this.observer) for (const e of events) this.uncommitted.push({ ...e, callId: call.id, campaignId: call.campaignId, createdAt: call.createdAt });
    });
  }

  async getCall(id: string): Promise<CallRecord | undefined> {
    const row = this.sql('SELECT * FROM calls WHERE id = ?').get(id) as Row | undefined;
    return row && toCall(row);
  }

  async updateCall(id: string, update: CallUpdate, events: NewEvent[], at: string, expectedState?: CallState): Promise<boolean> {
    return this.write(() => {
      const moved = this.moveCall(id, update, events, at, expectedState);
      if (moved === undefined) throw new Error(`no call ${id}`);
      return moved;
    });
  }

  /** Inside a write: updateCall's change; undefined when there is no such call. */
  private moveCall(id: string, update: CallUpdate, events: NewEvent[], at: string, expectedState?: CallState): boolean | undefined {
    const sets: string[] = ['updated_at = @updatedAt'];
    const values: Row = { id, updatedAt: at };
    for (const [key, value] of Object.entries(update) as [keyof CallUpdate, unknown][]) {
      sets.push(`${CALL_COLUMNS[key]} = @${key}`);
      values[key] = key === 'result' || key === 'lastPage' || key === 'c2mEligibility' ? toJson(value) : value;
    }
    const row = this.sql('SELECT campaign_id, state FROM calls WHERE id = ?').get(id) as Row | undefined;
    if (!row) return undefined;
    if (expectedState !== undefined && row.state !== expectedState) return false;
    this.sql(`UPDATE calls SET ${sets.join(', ')} WHERE id = @id`).run(values);
    this.insertEvents(id, (row.campaign_id as string | null) ?? null, events, at);
    return true;
  }

  async listEvents(callId: string): Promise<CallEvent[]> {
    const rows = this.sql('SELECT * FROM call_events WHERE call_id = ? ORDER BY id').all(callId) as Row[];
    return rows.map(toEvent);
  }

  async searchEvents(query: EventQuery): Promise<CallEvent[]> {
    const where = ['created_at >= ?', 'created_at < ?', 'id > ?'];
    const args: unknown[] = [query.from, query.to, query.afterId ?? 0];
    if (query.type) {
      where.push('type = ?');
      args.push(query.type);
    }
    if (query.campaignId) {
      where.push('campaign_id = ?');
      args.push(query.campaignId);
    }
    const sql = `SELECT * FROM call_events WHERE ${where.join(' AND ')} ORDER BY id LIMIT ?`;
    return (this.sql(sql).all(...args, query.limit) as Row[]).map(toEvent);
  }

  async eventsAfter(afterId: number, limit: number): Promise<CallEvent[]> {
    // SQLite has one writer at a time: ids are handed out in commit order.
    return (this.sql('SELECT * FROM call_events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[]).map(toEvent);
  }

  async claimEventCursor(endpoint: string, owner: string, now: string, leaseUntil: string): Promise<EventCursor | undefined> {
    return this.db.transaction(() => {
      this
        .sql(`INSERT INTO event_cursors (endpoint, last_id) VALUES (?, (SELECT COALESCE(MAX(id), 0) FROM call_events)) ON CONFLICT (endpoint) DO NOTHING`)
        .run(endpoint);
      const row = this
        .sql(
          `UPDATE event_cursors SET lease_owner = ?, lease_until = ?
           WHERE endpoint = ? AND (lease_until IS NULL OR lease_until <= ?) AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
           RETURNING *`,
        )
        .get(owner, leaseUntil, endpoint, now, now) as Row | undefined;
      return row && toEventCursor(row);
    })();
  }

  async finishEventDelivery(endpoint: string, owner: string, outcome: EventDeliveryOutcome): Promise<boolean> {
    const held = 'endpoint = @endpoint AND lease_owner = @owner';
    const result =
      'delivered' in outcome
        ? this
            .sql(
              `UPDATE event_cursors SET last_id = MAX(last_id, @lastId), failures = 0, next_attempt_at = NULL, last_error = NULL,
                 lease_owner = NULL, lease_until = NULL WHERE ${held}`,
            )
            .run({ endpoint, owner, lastId: outcome.delivered })
        : this
            .sql(
              `UPDATE event_cursors SET failures = failures + 1, next_attempt_at = @next, last_error = @error,
                 lease_owner = NULL, lease_until = NULL WHERE ${held}`,
            )
            .run({ endpoint, owner, next: outcome.nextAttemptAt, error: outcome.failed });
    return result.changes === 1;
  }

  async getEventCursor(endpoint: string): Promise<EventCursor | undefined> {
    const row = this.sql('SELECT * FROM event_cursors WHERE endpoint = ?').get(endpoint) as Row | undefined;
    return row && toEventCursor(row);
  }

  async createMessage(message: NewMessage, events: NewEvent[] = []): Promise<{ created: boolean; message: MessageRecord }> {
    return this.write(() => {
      // A fallback has its own key (one per number and channel); a first message, the call's.
      const existing = message.fallbackOf
        ? this.messageOnChannel(message.callId, message.to, message.channel ?? 'sms')
        : this.messageOfCall(message.callId, message.to);
      if (existing) return { created: false, message: existing };
      return { created: true, message: this.insertMessage(message, events) };
    });
  }

  async admitMessage(message: NewMessage, admission: AdmissionRequest): Promise<Admission> {
    // better-sqlite3 runs the transaction synchronously: no other request's count or
    // insert can come between this count and this insert, so a limit of one holds.
    return this.write((): Admission => {
      const claim = () => !admission.claim || this.claimCall(message.callId, admission.claim.from, message.createdAt);
      const existing = this.messageOfCall(message.callId, message.to);
      if (existing) return claim() ? { kind: 'existing', message: existing } : { kind: 'moved' };
      // Each limit's condition first: a malformed one is refused even where no count is needed.
      const limits = admission.limits.map((limit) => ({ limit, condition: limitCondition(limit, message, () => '?') }));
      const heldAtMost = this.messagesAtMost();
      for (const { limit, condition } of limits) {
        // A limit above every text the table holds cannot be reached: no count needed.
        if (heldAtMost >= limit.max && this.countLimited(limit, condition) >= limit.max) return { kind: 'limited', limit };
      }
      if (!claim()) return { kind: 'moved' };
      const inserted = this.insertMessage(message, admission.events);
      this
        .sql(
          `INSERT INTO consent (message_id, call_id, campaign_id, variant, dnis, ani, destination, destination_source,
                                accept_key, confirm_key, offer_text, offer_version, offered_at, accepted_at, confirmed_at,
                                channel, channel_consent_text)
           VALUES (@messageId, @callId, @campaignId, @variant, @dnis, @ani, @destination, @destinationSource,
                   @acceptKey, @confirmKey, @offerText, @offerVersion, @offeredAt, @acceptedAt, @confirmedAt,
                   @channel, @channelConsentText)`,
        )
        .run({ channel: 'sms', channelConsentText: '', ...admission.consent, messageId: inserted.id });
      return { kind: 'created', message: inserted };
    });
  }

  /** Inside a transaction: moves the call from `from` to sending; false when it is no longer there. */
  private claimCall(callId: string, from: CallState, at: string): boolean {
    return this.sql(`UPDATE calls SET state = 'sending', updated_at = ? WHERE id = ? AND state = ?`).run(at, callId, from).changes === 1;
  }

  async countMessages(filter: { campaignId: string; since: string }): Promise<number> {
    const row = this
      .sql(`SELECT COUNT(*) AS n FROM messages WHERE campaign_id = ? AND created_at >= ? AND status <> 'failed'`)
      .get(filter.campaignId, filter.since) as Row;
    return row.n as number;
  }

  async listConsent(query: { from: string; to: string; campaignId?: string; limit: number }): Promise<ConsentRecord[]> {
    const rows = this
      .sql(
        `SELECT * FROM consent WHERE confirmed_at >= @from AND confirmed_at < @to
           AND (@campaignId IS NULL OR campaign_id = @campaignId)
         ORDER BY confirmed_at, message_id LIMIT @limit`,
      )
      .all({ ...query, campaignId: query.campaignId ?? null }) as Row[];
    return rows.map(toConsent);
  }

  /**
   * At least as many as the messages table holds, read from its first and last rowid (two
   * index ends, however large the table): rowids are unique, so the rows are at most the
   * span between them. A limit over it (the bench's bulk budget of 1,000,000 an hour, a
   * young install's) cannot be reached, and its count, which reads the texts of its window
   * up to the limit, is skipped.
   */
  private messagesAtMost(): number {
    const row = this.sql('SELECT (SELECT MAX(rowid) FROM messages) - (SELECT MIN(rowid) FROM messages) + 1 AS n').get() as Row;
    return (row.n as number | null) ?? 0;
  }

  /** Texts a limit counts for this message, up to its max (see send-limits.ts). */
  private countLimited(limit: SendLimit, { where, values }: LimitCondition): number {
    const row = this
      .sql(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM messages WHERE (${where}) AND created_at >= ? AND status <> 'failed' LIMIT ?)`)
      .get(...values, limit.since, countCeiling(limit)) as Row;
    return row.n as number;
  }

  /**
   * The call's message to this number: its first one (not a fallback), whatever its
   * channel, so a repeated submit finds it even after a fallback was added beside it.
   */
  private messageOfCall(callId: string, to: string): MessageRecord | undefined {
    const row = this
      .sql('SELECT * FROM messages WHERE call_id = ? AND "to" = ? AND fallback_of IS NULL ORDER BY created_at, id LIMIT 1')
      .get(callId, to) as Row | undefined;
    return row && toMessage(row);
  }

  private messageOnChannel(callId: string, to: string, channel: ChannelName): MessageRecord | undefined {
    const row = this.sql('SELECT * FROM messages WHERE call_id = ? AND "to" = ? AND channel = ?').get(callId, to, channel) as Row | undefined;
    return row && toMessage(row);
  }

  /** Inside a transaction: the message, then the call's events and sms-queued. */
  private insertMessage(message: NewMessage, events: NewEvent[]): MessageRecord {
    const row = this
      .sql(
        `INSERT INTO messages (id, call_id, campaign_id, "to", caller, body, status, gateway, fallback_gateway, segments,
                               encoding, next_attempt_at, created_at, updated_at, channel, template, c2m, fallback, fallback_of,
                               fallback_due_at, sms_fallback_by_vendor, lease_until)
         VALUES (@id, @callId, @campaignId, @to, @caller, @body, 'queued', @gateway, @fallbackGateway, @segments,
                 @encoding, @dueAt, @createdAt, @createdAt, @channel, @template, @c2m, @fallback, @fallbackOf,
                 @fallbackDueAt, @smsFallbackByVendor, @leaseUntil)
         RETURNING *`,
      )
      .get({
        caller: '',
        channel: 'sms',
        fallbackOf: null,
        leaseUntil: null,
        ...message,
        template: toJson(message.template),
        c2m: toJson(message.c2m),
        fallback: toJson(message.fallback),
        dueAt: message.dueAt ?? message.createdAt,
        fallbackDueAt: fallbackDueAt(message),
        smsFallbackByVendor: message.smsFallbackByVendor ? 1 : 0,
      }) as Row;
    this.insertEvents(
      message.callId,
      message.campaignId,
      [...events, { type: 'sms-queued', detail: { messageId: message.id } }],
      message.createdAt,
    );
    return toMessage(row);
  }

  async getMessage(id: string): Promise<MessageRecord | undefined> {
    const row = this.sql('SELECT * FROM messages WHERE id = ?').get(id) as Row | undefined;
    return row && toMessage(row);
  }

  async listMessages(query: MessageQuery): Promise<MessageRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (sql: string, value: unknown) => {
      where.push(sql);
      args.push(value);
    };
    if (query.before) filter('created_at < ?', query.before);
    if (query.since) filter('created_at >= ?', query.since);
    if (query.status) filter('status = ?', query.status);
    if (query.campaignId) filter('campaign_id = ?', query.campaignId);
    if (query.callId) filter('call_id = ?', query.callId);
    if (query.number) {
      // A whole number matches exactly; a few digits match the end ("the one ending 1234").
      if (query.number.startsWith('+')) filter('"to" = ?', query.number);
      else filter('"to" LIKE ?', `%${query.number}`);
    }
    const sql = `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
    return (this.sql(sql).all(...args, query.limit) as Row[]).map(toMessage);
  }

  async claimDueMessages(now: string, leaseUntil: string, limit: number): Promise<MessageRecord[]> {
    const rows = this
      .sql(
        `UPDATE messages SET lease_until = @leaseUntil
         WHERE id IN (
           SELECT id FROM messages
           WHERE status = 'queued' AND next_attempt_at <= @now AND (lease_until IS NULL OR lease_until <= @now)
           ORDER BY next_attempt_at LIMIT @limit)
         RETURNING *`,
      )
      .all({ now, leaseUntil, limit }) as Row[];
    return rows.map(toMessage).sort((a, b) => (a.nextAttemptAt ?? '').localeCompare(b.nextAttemptAt ?? ''));
  }

  async claimMessage(id: string, now: string, leaseUntil: string): Promise<MessageRecord | undefined> {
    const row = this
      .sql(
        `UPDATE messages SET lease_until = @leaseUntil
         WHERE id = @id AND status = 'queued' AND (lease_until IS NULL OR lease_until <= @now)
         RETURNING *`,
      )
      .get({ id, now, leaseUntil }) as Row | undefined;
    return row && toMessage(row);
  }

  async renewLease(id: string, heldLease: string, leaseUntil: string): Promise<boolean> {
    const result = this
      .sql(`UPDATE messages SET lease_until = ? WHERE id = ? AND status = 'queued' AND lease_until = ?`)
      .run(leaseUntil, id, heldLease);
    return result.changes === 1;
  }

  async startAttempt(message: AttemptTarget, start: AttemptStart): Promise<AttemptStarted> {
    // Checked and written in one synchronous run: nothing else writes in between.
    const held = this.sql(`SELECT 1 FROM messages WHERE id = ? AND status = 'queued' AND lease_until = ?`).get(message.id, start.heldLease);
    if (!held) return 'lost';
    if (this.suppressedNow(message.to, message.channel)) return 'opted-out';
    this.sql(
      `UPDATE messages SET lease_until = @leaseUntil, attempt_started_at = @at, attempt_via = @via
       WHERE id = @id AND status = 'queued' AND lease_until = @heldLease`,
    ).run({ id: message.id, ...start });
    return 'started';
  }

  async recordAttempt(id: string, attempt: AttemptRecord, at: string): Promise<MessageRecord> {
    return this.write(() => this.attemptResult(id, attempt, at));
  }

  async recordFirstAttempt(id: string, attempt: AttemptRecord, at: string, ending: CallEnding): Promise<{ message: MessageRecord; ended: boolean }> {
    return this.write(() => {
      const message = this.attemptResult(id, attempt, at);
      const ended = this.moveCall(ending.callId, ending.update, ending.events, ending.at, ending.from) === true;
      return { message, ended };
    });
  }

  /** Inside a write: recordAttempt's change and event. */
  private attemptResult(id: string, attempt: AttemptRecord, at: string): MessageRecord {
    const unknown = attempt.status === 'queued' && attempt.outcomeUnknown === true;
    const values = {
      keepUnknown: unknown ? 1 : 0,
      unanswered: unknown && attempt.lookupUnanswered ? 1 : 0,
      id,
      at,
      via: attempt.via,
      counts: attempt.status === 'queued' && !attempt.countsAsAttempt ? 0 : 1,
      vendorMessageId: attempt.status === 'sent' ? attempt.vendorMessageId : null,
      vendorStatus: attempt.status === 'sent' ? attempt.vendorStatus : null,
      nextAttemptAt: attempt.status === 'queued' ? attempt.nextAttemptAt : null,
      errorCode: attempt.status === 'sent' ? null : attempt.errorCode,
      errorDetail: attempt.status === 'sent' ? null : attempt.errorDetail,
    };
    // Only a queued message takes an attempt's result: a receipt may have moved it on.
    const row = this
      .sql(
        `UPDATE messages SET
           status = CASE WHEN status = 'queued' THEN @status ELSE status END,
           sent_via = COALESCE(@via, sent_via),
           vendor_message_id = COALESCE(@vendorMessageId, vendor_message_id),
           vendor_status = COALESCE(@vendorStatus, vendor_status),
           next_attempt_at = @nextAttemptAt,
           error_code = @errorCode,
           error_detail = @errorDetail,
           attempts = attempts + @counts,
           lease_until = NULL,
           attempt_started_at = CASE WHEN @keepUnknown = 1 THEN attempt_started_at END,
           attempt_via = CASE WHEN @keepUnknown = 1 THEN attempt_via END,
           unanswered_lookups = CASE WHEN @keepUnknown = 1 THEN unanswered_lookups + @unanswered ELSE 0 END,
           updated_at = @at
         WHERE id = @id RETURNING *`,
      )
      .get({ ...values, status: attempt.status }) as Row | undefined;
    if (!row) throw new Error(`no message ${id}`);
    const message = toMessage(row);
    const event = attemptEvent(id, attempt);
    if (event) this.insertEvents(message.callId, message.campaignId, [{ type: event.type, detail: withChannel(event.detail, message.channel) }], at);
    return message;
  }

  async applyReceipt(receipt: ReceiptUpdate, at: string): Promise<{ message: MessageRecord; changed: boolean } | undefined> {
    return this.write(() => {
      const row = this
        .sql(
          `UPDATE messages SET status = @status, vendor_status = @vendorStatus,
             error_code = COALESCE(@errorCode, error_code), updated_at = @at
           WHERE sent_via = @gateway AND vendor_message_id = @vendorMessageId
             AND ${RANK_SQL('status')} < ${RANK_SQL('@status')}
           RETURNING *`,
        )
        .get({ ...receipt, errorCode: receipt.errorCode ?? null, at }) as Row | undefined;
      if (row) {
        const message = toMessage(row);
        this.insertEvents(message.callId, message.campaignId, receiptEvents(message, receipt.vendorStatus), at);
        return { message, changed: true };
      }
      const existing = this
        .sql('SELECT * FROM messages WHERE sent_via = ? AND vendor_message_id = ?')
        .get(receipt.gateway, receipt.vendorMessageId) as Row | undefined;
      return existing ? { message: toMessage(existing), changed: false } : undefined;
    });
  }

  async retryQueuedNow(gateway: string, at: string): Promise<number> {
    return this.sql(
      `UPDATE messages SET next_attempt_at = @at
        WHERE status = 'queued' AND next_attempt_at > @at AND (gateway = @gateway OR fallback_gateway = @gateway)`,
    ).run({ gateway, at }).changes;
  }

  async outboxDepth(): Promise<{ queued: number; oldestCreatedAt: string | null }> {
    const row = this
      .sql(`SELECT COUNT(*) AS queued, MIN(created_at) AS oldest FROM messages WHERE status = 'queued'`)
      .get() as Row;
    return { queued: row.queued as number, oldestCreatedAt: (row.oldest as string | null) ?? null };
  }

  async probeWrite(at: string): Promise<void> {
    this
      .sql(`INSERT INTO readiness_probe (id, checked_at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`)
      .run(at);
  }

  async suppress(entry: Suppression): Promise<void> {
    this.db.transaction(() => this.stop(entry))();
  }

  /** Inside a transaction: the number on the channel's list, and the time of this change kept. */
  private stop(entry: Suppression): void {
    const channel = entry.channel ?? 'sms';
    this
      .sql(
        `INSERT INTO suppressions (number, channel, keyword, source, created_at) VALUES (@number, @channel, @keyword, @source, @createdAt)
         ON CONFLICT (number, channel) DO NOTHING`,
      )
      .run({ number: entry.number, channel, keyword: entry.keyword, source: entry.source, createdAt: entry.createdAt });
    this
      .sql(
        `INSERT INTO opt_out_changes (number, channel, changed_at) VALUES (?, ?, ?)
         ON CONFLICT (number, channel) DO UPDATE SET changed_at = MAX(changed_at, excluded.changed_at)`,
      )
      .run(entry.number, channel, entry.createdAt);
  }

  async applyOptOutChange(change: OptOutChange): Promise<OptOutVerdict> {
    return this.db.transaction((): OptOutVerdict => {
      if (change.vendorMessageId !== undefined) {
        this.sql('DELETE FROM inbound_messages WHERE received_at < ?').run(change.forgetIdsBefore);
        const fresh = this
          .sql(`INSERT INTO inbound_messages (source, vendor_message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`)
          .run(change.source, change.vendorMessageId, change.receivedAt).changes;
        if (fresh === 0) return 'duplicate';
      }
      const channel = change.channel ?? 'sms';
      const latest = this
        .sql('SELECT changed_at FROM opt_out_changes WHERE number = ? AND channel = ?')
        .get(change.number, channel) as Row | undefined;
      if (latest && !isLaterChange(change, latest.changed_at as string)) return 'older';
      if (change.change === 'stop') {
        this.stop({ number: change.number, channel, keyword: change.keyword, source: change.source, createdAt: change.at });
      } else {
        // Its erased form too: a number that opted back in after its erasure is texted again.
        this.sql('DELETE FROM suppressions WHERE number IN (?, ?) AND channel = ?').run(change.number, this.numberKey(change.number), channel);
        this
          .sql(
            `INSERT INTO opt_out_changes (number, channel, changed_at) VALUES (?, ?, ?)
             ON CONFLICT (number, channel) DO UPDATE SET changed_at = excluded.changed_at`,
          )
          .run(change.number, channel, change.at);
      }
      return 'applied';
    })();
  }

  async isSuppressed(number: string, channel: ChannelName = 'sms'): Promise<boolean> {
    return this.suppressedNow(number, channel);
  }

  private suppressedNow(number: string, channel: ChannelName): boolean {
    return this.sql('SELECT 1 FROM suppressions WHERE number IN (?, ?) AND channel = ?').get(number, this.numberKey(number), channel) !== undefined;
  }

  async listSuppressions(query: SuppressionQuery): Promise<Array<Suppression & { channel: ChannelName }>> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.before) {
      where.push('created_at < ?');
      args.push(query.before);
    }
    if (query.number) {
      // As the messages search: a whole number exactly, a few digits at the end.
      where.push(query.number.startsWith('+') ? 'number = ?' : 'number LIKE ?');
      args.push(query.number.startsWith('+') ? query.number : `%${query.number}`);
    }
    const sql = `SELECT * FROM suppressions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, number, channel LIMIT ?`;
    return (this.sql(sql).all(...args, query.limit) as Row[]).map(toSuppression);
  }

  async fallBack(messageId: string, fallback: NewMessage, why: FallbackWhy, at: string): Promise<FallbackResult> {
    return this.write((): FallbackResult => {
      // The compare-and-set that makes it once: only the caller that sets fell_back_at goes on.
      const row = this
        .sql(
          `UPDATE messages SET fell_back_at = @at, updated_at = @at,
             status = CASE WHEN status = 'queued' THEN 'failed' ELSE status END,
             error_code = CASE WHEN status = 'queued' THEN 'superseded' ELSE error_code END,
             error_detail = CASE WHEN status = 'queued' THEN 'given up: its fallback went out instead' ELSE error_detail END,
             next_attempt_at = CASE WHEN status = 'queued' THEN NULL ELSE next_attempt_at END
           WHERE id = @messageId AND fell_back_at IS NULL AND fallback IS NOT NULL
           -- Not while an attempt holds it: that attempt's outcome decides (the sweep comes back).
           AND (status <> 'queued' OR lease_until IS NULL OR lease_until <= @at)
           RETURNING *`,
        )
        .get({ messageId, at }) as Row | undefined;
      if (!row) return { kind: 'already' };
      const first = toMessage(row);
      const plan = first.fallback!;
      if (this.sql('SELECT 1 FROM suppressions WHERE number IN (?, ?) AND channel = ?').get(first.to, this.numberKey(first.to), plan.channel) !== undefined) {
        this.insertEvents(first.callId, first.campaignId, [fallbackEvent(first, plan, why, { skipped: 'opted-out' })], at);
        return { kind: 'opted-out' };
      }
      const events = [fallbackEvent(first, plan, why, { fallbackId: fallback.id })];
      return { kind: 'created', message: this.insertMessage({ ...fallback, fallback: null, fallbackOf: first.id }, events) };
    });
  }

  async dueFallbacks(now: string, limit: number): Promise<MessageRecord[]> {
    const rows = this
      .sql(
        // The partial index holds only messages still waiting for their fallback: without
        // INDEXED BY the planner walks every sent message by status on every outbox poll
        // (4 ms every 500 ms with 20,000 in the table, growing with the history kept).
        `SELECT * FROM messages INDEXED BY messages_fallback_waiting
         WHERE fallback IS NOT NULL AND fell_back_at IS NULL AND status IN ('queued', 'sent', 'failed', 'undelivered')
           AND (status IN ('failed', 'undelivered') OR fallback_due_at <= @now)
           AND (status <> 'queued' OR lease_until IS NULL OR lease_until <= @now)
         ORDER BY created_at, id LIMIT @limit`,
      )
      .all({ now, limit }) as Row[];
    return rows.map(toMessage);
  }

  async getServiceSwitch(): Promise<ServiceSwitch> {
    this.serviceSwitch ??= this.readServiceSwitch();
    // A copy: a caller changing what it got cannot change the next caller's answer.
    return { ...this.serviceSwitch };
  }

  private readServiceSwitch(): ServiceSwitch {
    const row = this.sql('SELECT * FROM settings WHERE key = ?').get(SERVICE_SWITCH_KEY) as Row | undefined;
    if (!row) return { enabled: true, changedBy: null, changedAt: null };
    return {
      enabled: row.value === 'true',
      changedBy: (row.changed_by as string | null) ?? null,
      changedAt: row.changed_at as string,
    };
  }

  async setServiceSwitch(enabled: boolean, changedBy: string, at: string): Promise<ServiceSwitch> {
    this
      .sql(
        `INSERT INTO settings (key, value, changed_by, changed_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, changed_by = excluded.changed_by,
           changed_at = excluded.changed_at`,
      )
      .run(SERVICE_SWITCH_KEY, String(enabled), changedBy, at);
    // Only once the row is written: a failed write leaves the cache as the file is.
    this.serviceSwitch = { enabled, changedBy, changedAt: at };
    return { enabled, changedBy, changedAt: at };
  }

  async createShortLink(link: Omit<ShortLink, 'clicks'>): Promise<boolean> {
    const result = this
      .sql(
        `INSERT INTO short_links (code, target, call_id, campaign_id, created_at, expires_at)
         VALUES (@code, @target, @callId, @campaignId, @createdAt, @expiresAt) ON CONFLICT (code) DO NOTHING`,
      )
      .run(link);
    return result.changes === 1;
  }

  async clickShortLink(code: string, at: string, visit: LinkVisit = UNKNOWN_CLICK): Promise<(ShortLink & { expired: boolean }) | undefined> {
    return this.write(() => {
      const found = this.sql('SELECT * FROM short_links WHERE code = ?').get(code) as Row | undefined;
      if (!found) return undefined;
      const expired = found.expires_at != null && (found.expires_at as string) <= at;
      if (visit.kind === 'preview') {
        const link = { ...toShortLink(found), expired };
        if (link.callId && !expired && this.previewEventsOf(link.callId) < MAX_PREVIEW_EVENTS) {
          this.insertEvents(link.callId, link.campaignId, [{ type: 'link-previewed', detail: { code, agent: visit.agent } }], at);
        }
        return link;
      }
      const row = expired
        ? found
        : (this.sql('UPDATE short_links SET clicks = clicks + 1 WHERE code = ? RETURNING *').get(code) as Row);
      const link = { ...toShortLink(row), expired };
      // Only the first click is an event: the funnel counts the call once, and clicks counts the rest.
      if (link.callId && (expired || link.clicks === 1)) {
        const event: NewEvent = expired ? { type: 'link-expired', detail: { code } } : { type: 'link-clicked', detail: { code, agent: visit.agent } };
        this.insertEvents(link.callId, link.campaignId, [event], at);
      }
      return link;
    });
  }

  private previewEventsOf(callId: string): number {
    const r = this.sql("SELECT COUNT(*) AS n FROM call_events WHERE call_id = ? AND type = 'link-previewed'").get(callId) as Row;
    return Number(r.n);
  }

  async createSession(session: AdminSession): Promise<void> {
    this.sql('INSERT INTO admin_sessions (id, user, role, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      session.id,
      session.user,
      session.role ?? 'admin',
      session.csrfToken,
      session.createdAt,
      session.expiresAt,
    );
  }

  async getSession(id: string, now: string): Promise<AdminSession | undefined> {
    const r = this.sql('SELECT * FROM admin_sessions WHERE id = ? AND expires_at > ?').get(id, now) as Row | undefined;
    return r && toSession(r);
  }

  async deleteSession(id: string): Promise<void> {
    this.sql('DELETE FROM admin_sessions WHERE id = ?').run(id);
  }

  async deleteExpiredSessions(now: string): Promise<number> {
    return this.sql('DELETE FROM admin_sessions WHERE expires_at <= ?').run(now).changes;
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    // One transaction: SQLite writes one at a time, so no other append slips in between.
    return this.write(() => {
      const last = this.sql('SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1').get() as Row | undefined;
      const checkpoint = last ? undefined : (this.sql('SELECT hash FROM audit_checkpoint WHERE id = 1').get() as Row | undefined);
      const hash = chainHash((last?.hash ?? checkpoint?.hash ?? GENESIS) as string, entry);
      const row = this
        .sql(
          `INSERT INTO audit_log (at, actor_kind, actor_name, ip, action, target, detail, hash)
           VALUES (@at, @actorKind, @actorName, @ip, @action, @target, @detail, @hash) RETURNING *`,
        )
        .get({ ...entry, hash }) as Row;
      return toAuditEntry(row);
    });
  }

  async searchAudit(query: AuditQuery): Promise<AuditEntry[]> {
    const rows = this
      .sql(
        `SELECT * FROM audit_log
         WHERE (@from IS NULL OR at >= @from) AND (@to IS NULL OR at < @to)
           AND (@actor IS NULL OR actor_name = @actor)
           AND (@action IS NULL OR action = @action OR substr(action, 1, length(@action) + 1) = @action || '.')
           AND (@beforeId IS NULL OR id < @beforeId)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({
        from: query.from ?? null,
        to: query.to ?? null,
        actor: query.actor ?? null,
        action: query.action ?? null,
        beforeId: query.beforeId ?? null,
        limit: query.limit,
      }) as Row[];
    return rows.map(toAuditEntry);
  }

  async auditChain(afterId: number, limit: number): Promise<AuditEntry[]> {
    return (this.sql('SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit) as Row[]).map(toAuditEntry);
  }

  async auditCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const row = this.sql('SELECT * FROM audit_checkpoint WHERE id = 1').get() as Row | undefined;
    return row && toAuditCheckpoint(row);
  }

  async pruneAuditBefore(before: string, at: string): Promise<number> {
    return this.write(() => {
      const last = this.sql('SELECT id, hash FROM audit_log WHERE at < ? ORDER BY id DESC LIMIT 1').get(before) as Row | undefined;
      if (!last) return 0;
      // The permit lets the delete trigger pass, for this transaction only.
      this.sql('INSERT INTO audit_prune_permit (id) VALUES (1)').run();
      const pruned = this.sql('DELETE FROM audit_log WHERE id <= ?').run(last.id).changes;
      this.sql('DELETE FROM audit_prune_permit').run();
      this
        .sql(
          `INSERT INTO audit_checkpoint (id, through_id, hash, pruned_at, pruned) VALUES (1, @id, @hash, @at, @pruned)
           ON CONFLICT (id) DO UPDATE SET through_id = excluded.through_id, hash = excluded.hash,
             pruned_at = excluded.pruned_at, pruned = audit_checkpoint.pruned + excluded.pruned`,
        )
        .run({ id: last.id, hash: last.hash, at, pruned });
      return pruned;
    });
  }

  async lastTextFor(number: string, since: string, before: string): Promise<TextMatch | undefined> {
    if (!number) return undefined;
    return toTextMatch(this.sql(SQLITE_LAST_TEXT_FOR_SQL).get({ number, since, before }) as Row | undefined);
  }

  async textRecontacts(query: FunnelQuery): Promise<TextRecontactCount[]> {
    const rows = this.sql(SQLITE_TEXT_RECONTACTS_SQL).all({ from: query.from, to: query.to, campaignId: query.campaignId ?? null }) as Row[];
    return rows.map(toTextRecontactCount);
  }

  async recordConversationOutcome(outcome: ConversationOutcome): Promise<OutcomeVerdict> {
    return this.write((): OutcomeVerdict => {
      const call = this.sql('SELECT campaign_id FROM calls WHERE id = ?').get(outcome.callId) as Row | undefined;
      if (!call) return 'unknown-call';
      this.sql('DELETE FROM inbound_messages WHERE received_at < ?').run(outcome.forgetIdsBefore);
      const fresh = this
        .sql('INSERT INTO inbound_messages (source, vendor_message_id, received_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING')
        .run(outcome.source, outcome.notificationId, outcome.receivedAt).changes;
      if (fresh === 0) return 'replay';
      const had = this.sql('SELECT 1 FROM call_events WHERE call_id = ? AND type = ? LIMIT 1').get(outcome.callId, outcome.type);
      if (had) return 'already';
      this.insertEvents(outcome.callId, (call.campaign_id as string | null) ?? null, [{ type: outcome.type, detail: outcome.detail }], outcome.receivedAt);
      return 'recorded';
    });
  }

  async funnelSlots(query: FunnelQuery): Promise<FunnelSlot[]> {
    // The counts in one pass: the calls of the range, in created_at index order, each
    // joined to its events through call_events (call_id, id). The inner GROUP BY
    // (created_at, rowid) follows that index order, so each call's flags are folded as
    // its rows stream by, without sorting the join; only the per-call rows are sorted,
    // for the outer grouping. A call counts once per step however many such events it
    // has (two clicks are one clicked call). Slots are cut from the text of created_at,
    // which is always toISOString()'s "YYYY-MM-DDTHH:MM:SS.sssZ".
    const sql = `
      SELECT substr(created_at, 1, 14) || printf('%02d', CAST(substr(created_at, 15, 2) AS INTEGER) / 15 * 15) || ':00.000Z' AS slot,
             campaign_id, dnis, reason,
             COUNT(*) AS calls, SUM(offered) AS offered, SUM(accepted) AS accepted, SUM(declined) AS declined,
             SUM(texts_sent) AS texts_sent, SUM(texts_delivered) AS texts_delivered, SUM(texts_failed) AS texts_failed,
             SUM(links_clicked) AS links_clicked, SUM(recontacts) AS recontacts,
             SUM(conversations_started) AS conversations_started, SUM(conversations_resolved) AS conversations_resolved, SUM(links_previewed) AS links_previewed
      FROM (
        -- IS, not =: a call without such events (NULLs from the LEFT JOIN) gets 0, not NULL.
        SELECT c.created_at, c.campaign_id, c.dnis,
               MAX(e.type IS 'offered') AS offered,
               MAX(e.type IS 'accepted') AS accepted,
               MAX(e.type IS 'declined') AS declined,
               MAX(e.type IS 'sms-sent') AS texts_sent,
               MAX(e.type IS 'sms-delivered') AS texts_delivered,
               MAX(e.type IS 'sms-failed') AS texts_failed,
               MAX(e.type IS 'link-clicked') AS links_clicked,
               MAX(e.type IS 'recontact') AS recontacts,
               MAX(e.type IS 'link-previewed') AS links_previewed,
               -- Any outcome means a conversation started: its start report may have been lost.
               MAX(e.type IN ('conversation-started', 'agent-engaged', 'conversation-resolved', 'conversation-abandoned')) AS conversations_started,
               MAX(e.type IS 'conversation-resolved') AS conversations_resolved,
               -- A not-offered event always names its reason; 'unknown' keeps such a call counted if one did not.
               MAX(CASE WHEN e.type = 'not-offered' THEN COALESCE(json_extract(e.detail, '$.reason'), 'unknown') END) AS reason
        FROM calls c
        -- Only the funnel's own event types reach the aggregates: fewer rows to fold (about 8% faster).
        LEFT JOIN call_events e ON e.call_id = c.id AND e.type IN
          ('offered', 'not-offered', 'accepted', 'declined', 'sms-sent', 'sms-delivered', 'sms-failed', 'link-clicked', 'recontact',
           'conversation-started', 'agent-engaged', 'conversation-resolved', 'conversation-abandoned', 'link-previewed')
        WHERE c.created_at >= @from AND c.created_at < @to AND (@campaignId IS NULL OR c.campaign_id = @campaignId)
        GROUP BY c.created_at, c.rowid
      )
      GROUP BY slot, campaign_id, dnis, reason
      ORDER BY slot, campaign_id, dnis, reason`;
    const statement = this.sql(sql);
    // Slot is the slot's start: a slot is in the range when its start is (ranges are cut at quarter hours).
    const counted = this.sql(
      `SELECT slot, NULLIF(campaign_id, '') AS campaign_id, dnis, reason, calls, ${NOT_OFFERED_FUNNEL_COLUMNS}
       FROM not_offered_counts
       WHERE slot >= @from AND slot < @to AND (@campaignId IS NULL OR campaign_id = @campaignId)`,
    );
    const slots: FunnelSlot[] = [];
    // better-sqlite3 runs queries synchronously: a month at once would stall every IVR
    // request for seconds. An hour of calls at a time, yielding in between, keeps each
    // pause to milliseconds. Edges after the first are whole hours, so no slot is split
    // between two queries.
    const end = Date.parse(query.to);
    for (let start = Date.parse(query.from); start < end; ) {
      const next = Math.min(end, Math.floor(start / 3_600_000) * 3_600_000 + 3_600_000);
      const range = { from: new Date(start).toISOString(), to: new Date(next).toISOString(), campaignId: query.campaignId ?? null };
      const rows = mergeFunnelRows(statement.all(range) as Row[], counted.all(range) as Row[]);
      start = next;
      await new Promise<void>((resolve) => setImmediate(resolve));
      foldFunnelRows(rows, slots);
    }
    return slots;
  }

  async variantCounts(query: FunnelQuery): Promise<VariantCount[]> {
    return sqliteVariantCounts(this.sql(SQLITE_VARIANT_COUNTS_SQL), query);
  }

  async channelMessageCounts(query: FunnelQuery): Promise<ChannelMessageCount[]> {
    return sqliteChannelCounts(this.sql(SQLITE_CHANNEL_COUNTS_SQL), query);
  }

  async pruneBatch(dataClass: RetentionClass, before: string, limit: number): Promise<number> {
    // One synchronous transaction: no hold can be placed between the look and the delete.
    return this.db.transaction(() => {
      const holds = this.sql('SELECT 1 FROM legal_holds LIMIT 1').get() !== undefined;
      return this.sql(pruneSql(dataClass, (name) => `@${name}`, holds)).run({ before, limit }).changes;
    })();
  }

  async eraseNumber(request: ErasureRequest): Promise<ErasureOutcome> {
    const forms = JSON.stringify(request.forms);
    const F = '(SELECT value FROM json_each(@forms))';
    return this.db.transaction((): ErasureOutcome => {
      const callIds = (
        this
          .sql(
            `SELECT id FROM calls WHERE ani IN ${F} OR destination IN ${F}
             UNION SELECT call_id FROM messages WHERE "to" IN ${F} OR caller IN ${F}
             UNION SELECT call_id FROM consent WHERE ani IN ${F} OR destination IN ${F}`,
          )
          .all({ forms }) as { id: string }[]
      ).map((r) => r.id);
      const ids = JSON.stringify(callIds);
      const I = '(SELECT value FROM json_each(@ids))';
      const held = this
        .sql(
          `SELECT * FROM legal_holds
           WHERE (kind = 'number' AND value IN ${F})
              OR (kind = 'campaign' AND value IN (SELECT campaign_id FROM calls WHERE id IN ${I} UNION SELECT campaign_id FROM messages WHERE call_id IN ${I}))
           ORDER BY kind DESC, value LIMIT 1`,
        )
        .get({ forms, ids }) as Row | undefined;
      if (held) return { kind: 'held', hold: toLegalHold(held) };
      const run = (sql: string, params: Record<string, string>) => this.sql(sql).run(params).changes;
      const removed: Record<string, number> = {
        call_events: run(`DELETE FROM call_events WHERE call_id IN ${I}`, { ids }),
        short_links: run(`DELETE FROM short_links WHERE call_id IN ${I}`, { ids }),
        consent: run(`DELETE FROM consent WHERE call_id IN ${I} OR ani IN ${F} OR destination IN ${F}`, { ids, forms }),
        messages: run(`DELETE FROM messages WHERE call_id IN ${I} OR "to" IN ${F} OR caller IN ${F}`, { ids, forms }),
        calls: run(`DELETE FROM calls WHERE id IN ${I}`, { ids }),
      };
      // The opt-out list keeps the key instead of the number: a later check still finds it.
      run(
        `INSERT INTO suppressions (number, channel, keyword, source, created_at)
         SELECT @key, channel, keyword, source, created_at FROM suppressions WHERE number IN ${F}
         ON CONFLICT (number, channel) DO NOTHING`,
        { forms, key: request.suppressionKey },
      );
      removed.suppressions = run(`DELETE FROM suppressions WHERE number IN ${F}`, { forms });
      run(
        `INSERT INTO opt_out_changes (number, channel, changed_at)
         SELECT @key, channel, changed_at FROM opt_out_changes WHERE number IN ${F}
         ON CONFLICT (number, channel) DO UPDATE SET changed_at = MAX(changed_at, excluded.changed_at)`,
        { forms, key: request.suppressionKey },
      );
      removed.opt_out_changes = run(`DELETE FROM opt_out_changes WHERE number IN ${F}`, { forms });
      return { kind: 'erased', removed };
    })();
  }

  async placeLegalHold(hold: LegalHold): Promise<void> {
    this
      .sql(
        `INSERT INTO legal_holds (kind, value, reason, created_by, created_at) VALUES (@kind, @value, @reason, @createdBy, @createdAt)
         ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason, created_by = excluded.created_by, created_at = excluded.created_at`,
      )
      .run(hold);
  }

  async liftLegalHold(kind: LegalHold['kind'], value: string): Promise<boolean> {
    return this.sql('DELETE FROM legal_holds WHERE kind = ? AND value = ?').run(kind, value).changes > 0;
  }

  async listLegalHolds(): Promise<LegalHold[]> {
    return (this.sql('SELECT * FROM legal_holds ORDER BY kind, value').all() as Row[]).map(toLegalHold);
  }

  async claimJobLease(name: string, owner: string, now: string, until: string): Promise<boolean> {
    return (
      this
        .sql(
          `INSERT INTO job_leases (name, owner, lease_until) VALUES (@name, @owner, @until)
           ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
           WHERE job_leases.lease_until <= @now OR job_leases.owner = @owner`,
        )
        .run({ name, owner, now, until }).changes > 0
    );
  }

  async createApiToken(token: NewApiToken): Promise<boolean> {
    const result = this.sql(
      `INSERT INTO api_tokens (id, name, role, secret_hash, created_at, created_by, expires_at)
       VALUES (@id, @name, @role, @secretHash, @createdAt, @createdBy, @expiresAt)
       ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING`,
    ).run(token);
    return result.changes > 0;
  }

  async findApiToken(secretHash: string): Promise<ApiToken | undefined> {
    const row = this.sql('SELECT * FROM api_tokens WHERE secret_hash = ?').get(secretHash) as Row | undefined;
    return row && toApiToken(row);
  }

  async listApiTokens(): Promise<ApiToken[]> {
    return (this.sql('SELECT * FROM api_tokens ORDER BY created_at DESC, id').all() as Row[]).map(toApiToken);
  }

  async revokeApiToken(id: string, by: string, at: string): Promise<ApiToken | undefined> {
    const row = this.sql('UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL RETURNING *').get(at, by, id) as Row | undefined;
    return row && toApiToken(row);
  }

  async touchApiToken(id: string, at: string, unlessAfter: string): Promise<void> {
    this.sql('UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)').run(at, id, unlessAfter);
  }

  async close(): Promise<void> {
    // Starts still waiting for their turn's commit are stored (or refused) before closing.
    if (this.db.open) this.flushQueued();
    await this.checkpointer?.close();
    if (this.db.open) this.db.close();
  }

  private insertEvents(callId: string, campaignId: string | null, events: NewEvent[], at: string): void {
    const insert = this.sql(
      'INSERT INTO call_events (call_id, campaign_id, type, detail, created_at) VALUES (?, ?, ?, ?, ?)',
    );
    for (const e of events) {
      insert.run(callId, campaignId, e.type, e.detail ? JSON.stringify(e.detail) : null, at);
      if (this.observer) this.uncommitted.push({ ...e, callId, campaignId, createdAt: at });
    }
  }
}

