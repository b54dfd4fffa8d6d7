import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { PgStore, type PgStoreOptions } from '../../src/store/postgres';

/**
 * The tests' PostgreSQL: TEST_DATABASE_URL (default: the local test database of the
 * team's workspace and CI). Each test file works in a schema of its own, with a random
 * name, dropped at the end, so files run in parallel against one database.
 *
 * When the database cannot be reached, the PostgreSQL tests are reported as skipped and
 * the run says so loudly (as for the VoiceXML schema): nothing passes silently.
 */
export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://ivr_deflect:ivr_deflect@127.0.0.1:5432/ivr_deflect_test';

/**
 * Asked once per test file, synchronously (jest decides describe or describe.skip while
 * it collects the file, before any async hook can run): a child process connects.
 */
function reachable(): boolean {
  const probe = `
    const { Client } = require(${JSON.stringify(require.resolve('pg'))});
    const client = new Client({ connectionString: process.env.PROBE_URL, connectionTimeoutMillis: 3000 });
    client.connect().then(() => client.query('SELECT 1')).then(() => client.end()).then(() => process.exit(0), () => process.exit(1));`;
  try {
    execFileSync(process.execPath, ['-e', probe], { env: { ...process.env, PROBE_URL: TEST_DATABASE_URL }, stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export const postgresAvailable = reachable();

if (!postgresAvailable) {
  process.stderr.write(
    `\n*** NOTICE: PostgreSQL at ${TEST_DATABASE_URL.replace(/\/\/[^@/]*@/, '//***@')} cannot be reached: the PostgreSQL ` +
      'store tests are skipped (set TEST_DATABASE_URL to run them). ***\n\n',
  );
}

/** describe when the database is there, describe.skip (reported as skipped) when not. */
export const describePostgres: jest.Describe = postgresAvailable ? describe : describe.skip;

/** One statement on a connection of its own, outside any test's schema (CREATE or DROP SCHEMA, DATABASE). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** TEST_DATABASE_URL working in `schema`: the DATABASE_URL of an instance kept to that schema. */
export function urlInSchema(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.href;
}

/**
 * One test file's schema. Stores opened through it share it (like instances sharing a
 * database); drop() closes them and removes the schema with everything in it.
 */
export class TestSchema {
  readonly name = `test_${randomBytes(6).toString('hex')}`;
  private readonly stores: PgStore[] = [];
  private readonly clients: Client[] = [];

  /** A store on this schema (migrating it on first use), as one instance would open it. */
  async open(options: Omit<PgStoreOptions, 'url' | 'schema'> = {}): Promise<PgStore> {
    const store = await PgStore.open({ poolSize: 4, ...options, url: TEST_DATABASE_URL, schema: this.name });
    this.stores.push(store);
    return store;
  }

  /** A bare connection working in this schema: to look at rows, or hold locks, behind a store's back. */
  async connect(): Promise<Client> {
    const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${this.name}` });
    await client.connect();
    this.clients.push(client);
    return client;
  }

  /**
   * Closes the stores and connections opened through it and deletes every row but the
   * record of migrations, restarting the sequences: as a freshly migrated schema is (the
   * migrations insert no rows of their own), without migrating again. DELETE, not
   * TRUNCATE: TRUNCATE gives each of the ~20 tables a new file, about 400 ms on the
   * shared machine (more than migrating a fresh schema); deleting the few rows a contract
   * test writes takes milliseconds. All of it in one round trip.
   */
  async empty(): Promise<void> {
    await this.closeAll();
    await this.asAdmin(async (admin) => {
      const { rows } = await admin.query<{ tablename: string; guarded: boolean; referenced: boolean }>(
        `SELECT t.tablename,
                EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND NOT g.tgisinternal) AS guarded,
                EXISTS (SELECT 1 FROM pg_constraint f WHERE f.confrelid = c.oid AND f.contype = 'f') AS referenced
           FROM pg_tables t
           JOIN pg_namespace n ON n.nspname = t.schemaname
           JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = t.tablename
          WHERE t.schemaname = $1 AND t.tablename <> 'schema_migrations'`,
        [this.name],
      );
      if (!rows.length) return;
      const table = (name: string) => `${this.name}."${name}"`;
      // No table of the schema is referenced by a foreign key today; should one be, its
      // rows go last (after the rows that point at them).
      const ordered = [...rows].sort((a, b) => Number(a.referenced) - Number(b.referenced));
      const guarded = rows.filter((r) => r.guarded).map((r) => table(r.tablename));
      // The audit log refuses DELETE (a trigger keeps it append-only): its triggers are off
      // for this one transaction, which nothing else sees, and back on at its end.
      await admin.query(
        [
          'BEGIN',
          ...guarded.map((t) => `ALTER TABLE ${t} DISABLE TRIGGER USER`),
          ...ordered.map((r) => `DELETE FROM ${table(r.tablename)}`),
          ...guarded.map((t) => `ALTER TABLE ${t} ENABLE TRIGGER USER`),
          // RESTART IDENTITY's part: every sequence (identity and serial) starts again.
          `SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) FROM pg_sequences WHERE schemaname = '${this.name}'`,
          'COMMIT',
        ].join(';\n'),
      );
    });
  }

  async drop(): Promise<void> {
    await this.closeAll();
    try {
      await this.asAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`));
    } finally {
      await this.closeAdmin();
    }
  }

  private async closeAll(): Promise<void> {
    const stores = this.stores.splice(0);
    const clients = this.clients.splice(0);
    await Promise.all([...stores.map((s) => s.close()), ...clients.map((c) => c.end())]);
  }

  /**
   * One connection of the helper's own, opened on first use and kept until drop(): a new
   * connection costs a password exchange (SCRAM, about 70 ms here), once per test when
   * empty() opened one each time.
   */
  private admin: Promise<Client> | undefined;

  private async asAdmin(work: (admin: Client) => Promise<unknown>): Promise<void> {
    this.admin ??= (async () => {
      const client = new Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      return client;
    })();
    await work(await this.admin);
  }

  private async closeAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin)?.end();
  }
}

/** Every statement the process sends while `work` runs, spaces squeezed (a pass-through spy on the driver). */
export async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(Client.prototype, 'query');
  try {
    await work();
    return spy.mock.calls.map(([config]) => (typeof config === 'string' ? config : ((config as { text?: string }).text ?? '')).replace(/\s+/g, ' ').trim());
  } finally {
    spy.mockRestore();
  }
}
