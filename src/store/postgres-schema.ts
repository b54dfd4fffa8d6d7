import type { Pool, PoolClient } from 'pg';
import { transaction } from './postgres-transaction';

/**
 * The PostgreSQL schema, migrated at start. Each migration runs once, recorded in
 * schema_migrations. Never edit a shipped migration: add a new one.
 *
 * The tables are the SQLite store's (src/store/sqlite.ts, after its four migrations), so
 * both stores answer the port byte for byte alike:
 * - times are ISO-8601 UTC text, as the port speaks them: they sort and compare as text;
 * - every text column is COLLATE "C" (byte order, like SQLite's BINARY), so ordering and
 *   ranges do not depend on the database's locale (in en_US, "+1" and "1" sort together);
 * - JSON is text, not jsonb, which would reorder the keys of what comes back;
 * - call_events.id is an identity (SQLite's AUTOINCREMENT: never reused).
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE calls (
     id text COLLATE "C" PRIMARY KEY,
     campaign_id text COLLATE "C",
     mode text COLLATE "C" NOT NULL,
     dnis text COLLATE "C" NOT NULL,
     ani text COLLATE "C" NOT NULL,
     platform_call_id text COLLATE "C" NOT NULL,
     state text COLLATE "C" NOT NULL,
     destination text COLLATE "C",
     destination_source text COLLATE "C",
     invalid_number_count integer NOT NULL DEFAULT 0,
     variant text COLLATE "C",
     offer_text text COLLATE "C" NOT NULL DEFAULT '',
     accepted_at text COLLATE "C",
     chat_url text COLLATE "C",
     chat_url_expires_at text COLLATE "C",
     result text COLLATE "C",
     last_page text COLLATE "C",
     created_at text COLLATE "C" NOT NULL,
     updated_at text COLLATE "C" NOT NULL,
     expires_at text COLLATE "C" NOT NULL
   );
   CREATE INDEX calls_created_at ON calls (created_at);

   CREATE TABLE call_events (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     call_id text COLLATE "C" NOT NULL,
     campaign_id text COLLATE "C",
     type text COLLATE "C" NOT NULL,
     detail text COLLATE "C",
     created_at text COLLATE "C" NOT NULL
   );
   CREATE INDEX call_events_call ON call_events (call_id, id);
   CREATE INDEX call_events_created_at ON call_events (created_at);

   CREATE TABLE messages (
     id text COLLATE "C" PRIMARY KEY,
     call_id text COLLATE "C" NOT NULL,
     campaign_id text COLLATE "C" NOT NULL,
     "to" text COLLATE "C" NOT NULL,
     caller text COLLATE "C" NOT NULL DEFAULT '',
     body text COLLATE "C" NOT NULL,
     status text COLLATE "C" NOT NULL,
     gateway text COLLATE "C" NOT NULL,
     fallback_gateway text COLLATE "C",
     sent_via text COLLATE "C",
     vendor_message_id text COLLATE "C",
     vendor_status text COLLATE "C",
     error_code text COLLATE "C",
     error_detail text COLLATE "C",
     segments integer NOT NULL DEFAULT 1,
     encoding text COLLATE "C" NOT NULL DEFAULT 'GSM-7',
     attempts integer NOT NULL DEFAULT 0,
     next_attempt_at text COLLATE "C",
     lease_until text COLLATE "C",
     created_at text COLLATE "C" NOT NULL,
     updated_at text COLLATE "C" NOT NULL,
     UNIQUE (call_id, "to")
   );
   CREATE INDEX messages_created_at ON messages (created_at, id);
   CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status = 'queued';
   CREATE INDEX messages_vendor_id ON messages (vendor_message_id);
   CREATE INDEX messages_to_created ON messages ("to", created_at);
   CREATE INDEX messages_caller_created ON messages (caller, created_at) WHERE caller <> '';
   CREATE INDEX messages_campaign_created ON messages (campaign_id, created_at);
   CREATE INDEX messages_status_created ON messages (status, created_at);

   CREATE TABLE consent (
     message_id text COLLATE "C" PRIMARY KEY,
     call_id text COLLATE "C" NOT NULL,
     campaign_id text COLLATE "C" NOT NULL,
     variant text COLLATE "C",
     dnis text COLLATE "C" NOT NULL,
     ani text COLLATE "C" NOT NULL,
     destination text COLLATE "C" NOT NULL,
     destination_source text COLLATE "C" NOT NULL,
     accept_key text COLLATE "C" NOT NULL,
     confirm_key text COLLATE "C" NOT NULL,
     offer_text text COLLATE "C" NOT NULL,
     offer_version text COLLATE "C" NOT NULL,
     offered_at text COLLATE "C" NOT NULL,
     accepted_at text COLLATE "C",
     confirmed_at text COLLATE "C" NOT NULL
   );
   CREATE INDEX consent_confirmed_at ON consent (confirmed_at);

   CREATE TABLE suppressions (
     number text COLLATE "C" PRIMARY KEY,
     keyword text COLLATE "C" NOT NULL,
     source text COLLATE "C" NOT NULL,
     created_at text COLLATE "C" NOT NULL
   );

   CREATE TABLE short_links (
     code text COLLATE "C" PRIMARY KEY,
     target text COLLATE "C" NOT NULL,
     call_id text COLLATE "C",
     campaign_id text COLLATE "C",
     clicks integer NOT NULL DEFAULT 0,
     created_at text COLLATE "C" NOT NULL,
     expires_at text COLLATE "C"
   );

   CREATE TABLE settings (
     key text COLLATE "C" PRIMARY KEY,
     value text COLLATE "C" NOT NULL,
     changed_by text COLLATE "C",
     changed_at text COLLATE "C" NOT NULL
   );

   CREATE TABLE admin_sessions (
     id text COLLATE "C" PRIMARY KEY,
     "user" text COLLATE "C" NOT NULL,
     csrf_token text COLLATE "C" NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     expires_at text COLLATE "C" NOT NULL
   );
   CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);`,
  // Replayed webhooks: inbound vendor ids seen (kept for a bounded time), and the time of
  // the latest opt-out change per number, so an older START cannot undo a newer STOP.
  `CREATE TABLE inbound_messages (
     source text NOT NULL,
     vendor_message_id text NOT NULL,
     received_at text NOT NULL,
     PRIMARY KEY (source, vendor_message_id)
   );
   CREATE INDEX inbound_messages_received ON inbound_messages (received_at);
   CREATE TABLE opt_out_changes (
     number text PRIMARY KEY,
     changed_at text NOT NULL
   );
   INSERT INTO opt_out_changes (number, changed_at) SELECT number, created_at FROM suppressions;`,
  // Readiness writes this one row (probeWrite): a database that can read but not write
  // (disk full, read-only, a failed-over standby) fails every call, and must say so.
  `CREATE TABLE readiness_probe (
     id integer PRIMARY KEY CHECK (id = 1),
     checked_at text COLLATE "C" NOT NULL
   );`,
  // Calls not offered are counted, not stored (as in SQLite's migration of the same name).
  `CREATE TABLE not_offered_counts (
     slot text COLLATE "C" NOT NULL,
     campaign_id text COLLATE "C" NOT NULL,
     dnis text COLLATE "C" NOT NULL,
     reason text COLLATE "C" NOT NULL,
     calls integer NOT NULL,
     PRIMARY KEY (slot, campaign_id, dnis, reason)
   );`,
  // No duplicate texts after a crash: the attempt in flight, kept while its outcome is
  // unknown, and the lookups that could not tell (as in SQLite's migration of the same name).
  `ALTER TABLE messages ADD COLUMN attempt_started_at text COLLATE "C";
   ALTER TABLE messages ADD COLUMN attempt_via text COLLATE "C";
   ALTER TABLE messages ADD COLUMN unanswered_lookups integer NOT NULL DEFAULT 0;`,
  // Channels: see the SQLite migration of the same number.
  `ALTER TABLE messages ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT 'sms';
   ALTER TABLE messages ADD COLUMN template text;
   ALTER TABLE messages ADD COLUMN c2m text;
   ALTER TABLE messages ADD COLUMN fallback text;
   ALTER TABLE messages ADD COLUMN fallback_of text COLLATE "C";
   ALTER TABLE messages ADD COLUMN fell_back_at text COLLATE "C";
   ALTER TABLE calls ADD COLUMN channel text COLLATE "C";
   ALTER TABLE calls ADD COLUMN c2m_eligibility text;
   ALTER TABLE consent ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT 'sms';
   ALTER TABLE consent ADD COLUMN channel_consent_text text NOT NULL DEFAULT '';`,
  // Channels, part two: opt-outs per channel, one message per number and channel (one
  // first message per number), and when a timed fallback is due (see SQLite's migration).
  `ALTER TABLE suppressions ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT 'sms';
   ALTER TABLE suppressions DROP CONSTRAINT suppressions_pkey, ADD PRIMARY KEY (number, channel);
   ALTER TABLE opt_out_changes ADD COLUMN channel text COLLATE "C" NOT NULL DEFAULT 'sms';
   ALTER TABLE opt_out_changes DROP CONSTRAINT opt_out_changes_pkey, ADD PRIMARY KEY (number, channel);
   ALTER TABLE messages DROP CONSTRAINT messages_call_id_to_key;
   ALTER TABLE messages ADD CONSTRAINT messages_call_to_channel UNIQUE (call_id, "to", channel);
   CREATE UNIQUE INDEX messages_first_of_call ON messages (call_id, "to") WHERE fallback_of IS NULL;
   ALTER TABLE messages ADD COLUMN fallback_due_at text COLLATE "C";
   CREATE INDEX messages_fallback_waiting ON messages (fallback_due_at)
     WHERE fallback IS NOT NULL AND fell_back_at IS NULL AND status IN ('queued', 'sent', 'failed', 'undelivered');`,
  // RCS whose SMS fallback the vendor sends itself: see the SQLite migration of the same number.
  `ALTER TABLE messages ADD COLUMN sms_fallback_by_vendor boolean NOT NULL DEFAULT false;`,
  // Context for the agent: see the SQLite migration of the same number.
  `ALTER TABLE calls ADD COLUMN context text;`,
  // Events out: each endpoint's place in the call events, its backoff and its lease.
  `CREATE TABLE event_cursors (
     endpoint text COLLATE "C" PRIMARY KEY,
     last_id bigint NOT NULL,
     failures integer NOT NULL DEFAULT 0,
     next_attempt_at text,
     last_error text,
     lease_owner text,
     lease_until text
   );`,
  // The audit trail: append-only, hash-chained (src/audit/chain.ts). The trigger refuses
  // UPDATE, TRUNCATE and DELETE; pruneAuditBefore alone deletes, with SET LOCAL
  // ivr_deflect.audit_prune = 'on' in its transaction (a DBA could do the same: it is
  // the documented way, and the checkpoint it must write is what verification expects).
  `CREATE TABLE audit_log (
     id bigserial PRIMARY KEY,
     at text COLLATE "C" NOT NULL,
     actor_kind text NOT NULL,
     actor_name text NOT NULL,
     ip text,
     action text COLLATE "C" NOT NULL,
     target text,
     detail text,
     hash text NOT NULL
   );
   CREATE INDEX audit_log_at ON audit_log (at);
   CREATE TABLE audit_checkpoint (
     id integer PRIMARY KEY CHECK (id = 1),
     through_id bigint NOT NULL,
     hash text NOT NULL,
     pruned_at text NOT NULL,
     pruned bigint NOT NULL
   );
   CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     IF TG_OP = 'DELETE' AND current_setting('ivr_deflect.audit_prune', true) = 'on' THEN
       RETURN OLD;
     END IF;
     RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP;
   END $$;
   CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
     FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
   CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
     FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();`,
  // Retention and erasure: see the SQLite migration of the same number.
  `CREATE TABLE legal_holds (
     kind text COLLATE "C" NOT NULL,
     value text COLLATE "C" NOT NULL,
     reason text NOT NULL,
     created_by text COLLATE "C" NOT NULL,
     created_at text COLLATE "C" NOT NULL,
     PRIMARY KEY (kind, value)
   );
   CREATE TABLE job_leases (
     name text COLLATE "C" PRIMARY KEY,
     owner text COLLATE "C" NOT NULL,
     lease_until text COLLATE "C" NOT NULL
   );
   CREATE INDEX consent_call ON consent (call_id);
   CREATE INDEX short_links_call ON short_links (call_id);
   CREATE INDEX calls_destination ON calls (destination);
   CREATE INDEX calls_ani ON calls (ani);`,
  // Named API tokens: see the SQLite migration of the same number.
  `CREATE TABLE api_tokens (
     id text COLLATE "C" PRIMARY KEY,
     name text COLLATE "C" NOT NULL,
     role text COLLATE "C" NOT NULL CHECK (role IN ('viewer', 'editor', 'admin')),
     secret_hash text COLLATE "C" NOT NULL UNIQUE,
     created_at text COLLATE "C" NOT NULL,
     created_by text COLLATE "C" NOT NULL,
     expires_at text COLLATE "C",
     last_used_at text COLLATE "C",
     revoked_at text COLLATE "C",
     revoked_by text COLLATE "C"
   );
   CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;`,
  // Roles: see the SQLite migration of the same number.
  `ALTER TABLE admin_sessions ADD COLUMN role text COLLATE "C" NOT NULL DEFAULT 'admin';`,
  // An admission in one round trip (postgres-admission.ts says why): the send-limit locks,
  // in hash order (two admissions sharing keys cannot deadlock), then the statements the
  // store built, each a new snapshot (VOLATILE, READ COMMITTED) that sees what the
  // admission holding the locks before committed. Called as a statement of its own, it
  // commits, and lets the locks go, without waiting on the client. The statements come
  // from the store's code, never from input: every value is in args, read as $1[n]
  // (passed to the prepared write as one text[] literal: an array's text form reads back
  // exactly, quotes, backslashes and nulls included).
  `CREATE FUNCTION ivr_admit(lock_keys text[], write_sql text, read_sql text, claim_sql text, args text[])
     RETURNS json LANGUAGE plpgsql VOLATILE AS $fn$
   DECLARE
     write_name text := 'ivr_admit_' || md5(write_sql);
     written json;
     counted json;
     reclaimed integer := 0;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('ivr-deflect send limits'), h)
       FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(lock_keys) AS k ORDER BY h) AS ordered;
     -- The write, prepared once per connection (its shapes are few: one per set of limits)
     -- and run from its cached plan: planned each time, it cost the backends more than
     -- the round trips it saves. The read and the claim below are the rare path.
     IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = write_name) THEN
       EXECUTE format('PREPARE %I(text[]) AS %s', write_name, write_sql);
     END IF;
     EXECUTE format('EXECUTE %I(%L)', write_name, args) INTO written;
     IF (written->>'claimed')::boolean THEN
       RETURN json_build_object('written', written);
     END IF;
     EXECUTE read_sql INTO counted USING args;
     IF counted->>'id' IS NOT NULL AND claim_sql IS NOT NULL THEN
       EXECUTE claim_sql USING args;
       GET DIAGNOSTICS reclaimed = ROW_COUNT;
     END IF;
     RETURN json_build_object('written', written, 'counted', counted, 'reclaimed', reclaimed);
   END
   $fn$;`,
  // Texts per minute, an upper bound for the send limits' counts (postgres-admission.ts):
  // a limit whose max is above every text stored since its window began cannot refuse, so
  // it is not counted. Every insert into messages counts, whatever its path and whatever
  // becomes of it (failed, erased): the sum may be above a limit's count, never below it.
  // The trigger is created before the backfill, in the migration's transaction: its lock
  // holds inserts back until both are in, so no text is counted twice or missed.
  `CREATE TABLE message_minutes (
     minute text COLLATE "C" PRIMARY KEY,
     texts bigint NOT NULL
   );
   CREATE FUNCTION message_minutes_count() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO message_minutes (minute, texts) VALUES (left(NEW.created_at, 16), 1)
       ON CONFLICT (minute) DO UPDATE SET texts = message_minutes.texts + 1;
     RETURN NULL;
   END $$;
   CREATE TRIGGER messages_count_minute AFTER INSERT ON messages
     FOR EACH ROW EXECUTE FUNCTION message_minutes_count();
   INSERT INTO message_minutes (minute, texts) SELECT left(created_at, 16), count(*) FROM messages GROUP BY 1;`,
  // Admissions gathered (postgres-admission.ts): ivr_admit's steps for each admission of a
  // batch in turn, in one transaction under every lock any of them needs (taken first, in
  // hash order, as ivr_admit does), so a batch commits once. Each statement is a new
  // snapshot that also sees the batch's own earlier admissions: a later admission to the
  // same number counts the earlier one, as it would after its commit. Each admission's
  // values come as one JSON array of texts and nulls (a text[] of text[]s must be
  // rectangular). One answer per admission, as ivr_admit's, in their order.
  `CREATE FUNCTION ivr_admit_many(lock_keys text[], write_sqls text[], read_sqls text[], claim_sqls text[], args_json text[])
     RETURNS json LANGUAGE plpgsql VOLATILE AS $fn$
   DECLARE
     answers json[] := '{}';
     args text[];
     write_name text;
     written json;
     counted json;
     reclaimed integer;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('ivr-deflect send limits'), h)
       FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest(lock_keys) AS k ORDER BY h) AS ordered;
     FOR i IN 1 .. coalesce(array_length(write_sqls, 1), 0) LOOP
       args := ARRAY(SELECT e FROM json_array_elements_text(args_json[i]::json) WITH ORDINALITY AS a(e, n) ORDER BY n);
       write_name := 'ivr_admit_' || md5(write_sqls[i]);
       IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = write_name) THEN
         EXECUTE format('PREPARE %I(text[]) AS %s', write_name, write_sqls[i]);
       END IF;
       EXECUTE format('EXECUTE %I(%L)', write_name, args) INTO written;
       counted := NULL;
       reclaimed := 0;
       IF NOT (written->>'claimed')::boolean THEN
         EXECUTE read_sqls[i] INTO counted USING args;
         IF counted->>'id' IS NOT NULL AND claim_sqls[i] IS NOT NULL THEN
           EXECUTE claim_sqls[i] USING args;
           GET DIAGNOSTICS reclaimed = ROW_COUNT;
         END IF;
       END IF;
       answers := answers || json_build_object('written', written, 'counted', counted, 'reclaimed', reclaimed);
     END LOOP;
     RETURN array_to_json(answers);
   END
   $fn$;`,
];

/** A schema name we put into search_path and DDL unquoted: plain lower-case identifiers only. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new Error(`PostgreSQL schema name "${schema}" must be lower-case letters, digits and _ (at most 63, not starting with a digit)`);
  }
  return schema;
}

/**
 * Brings the schema up to date. Instances starting at once all get here: the advisory
 * lock (held until the transaction ends) lets one of them migrate while the others wait,
 * and they then find every migration recorded. Even CREATE ... IF NOT EXISTS needs it:
 * two at once can both decide to create and one fails on a duplicate key.
 * The whole run is one transaction (PostgreSQL's DDL is transactional), so a failed
 * migration leaves nothing half done.
 */
export async function migrate(pool: Pool, schema: string | undefined): Promise<void> {
  await transaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('ivr-deflect migrations'))`);
    if (schema) await createSchema(client, schema);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at text NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
    const done = new Set(rows.map((r) => r.version));
    for (const [index, sql] of MIGRATIONS.entries()) {
      const version = index + 1;
      if (done.has(version)) continue;
      await client.query(sql);
      await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [version, new Date().toISOString()]);
    }
  });
}

/**
 * Creates the store's schema when it is missing; the pool's search_path already names it,
 * so the migrations' tables land in it. Not CREATE SCHEMA IF NOT EXISTS: PostgreSQL asks
 * for the right to create schemas in the database before it looks whether this one
 * exists, and a role given only a schema its DBA made does not have that right.
 */
async function createSchema(client: PoolClient, schema: string): Promise<void> {
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (!rowCount) await client.query(`CREATE SCHEMA ${checkSchemaName(schema)}`);
}

/** How many migrations this version of the code knows (tests check each ran once). */
export const MIGRATION_COUNT = MIGRATIONS.length;
