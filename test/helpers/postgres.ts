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
   * record of migrations, restarting the identity columns: as a freshly migrated schema
   * is (the migrations insert no rows of their own), without migrating again. Migrating
   * a schema costs about 300 ms of DDL; emptying it a few tens.
   */
  async empty(): Promise<void> {
    await this.closeAll();
    await this.asAdmin(async (admin) => {
      const { rows } = await admin.query<{ tablename: string }>(
        "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename <> 'schema_migrations'",
        [this.name],
      );
      if (!rows.length) return;
      const tables = rows.map((r) => `${this.name}."${r.tablename}"`);
      // The audit log refuses TRUNCATE (a trigger keeps it append-only): its triggers are
      // off for this one transaction, which nothing else sees, and back on at its end.
      const { rows: guarded } = await admin.query<{ table: string }>(
        `SELECT DISTINCT c.relname AS table FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = $1 AND NOT t.tgisinternal`,
        [this.name],
      );
      const names = guarded.map((g) => `${this.name}."${g.table}"`);
      await admin.query('BEGIN');
      try {
        for (const t of names) await admin.query(`ALTER TABLE ${t} DISABLE TRIGGER USER`);
        await admin.query(`TRUNCATE ${tables.join(', ')} RESTART IDENTITY CASCADE`);
        for (const t of names) await admin.query(`ALTER TABLE ${t} ENABLE TRIGGER USER`);
        await admin.query('COMMIT');
      } catch (err) {
        await admin.query('ROLLBACK');
        throw err;
      }
    });
  }

  async drop(): Promise<void> {
    await this.closeAll();
    await this.asAdmin((admin) => admin.query(`DROP SCHEMA IF EXISTS ${this.name} CASCADE`));
  }

  private async closeAll(): Promise<void> {
    const stores = this.stores.splice(0);
    const clients = this.clients.splice(0);
    await Promise.all([...stores.map((s) => s.close()), ...clients.map((c) => c.end())]);
  }

  private async asAdmin(work: (admin: Client) => Promise<unknown>): Promise<void> {
    const admin = new Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    try {
      await work(admin);
    } finally {
      await admin.end();
    }
  }
}
