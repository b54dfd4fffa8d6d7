import { PgStore } from '../../src/store/postgres';
import { MIGRATION_COUNT } from '../../src/store/postgres-schema';
import { describePostgres, TEST_DATABASE_URL, TestSchema } from '../helpers/postgres';

/** Instances starting together against one database: the schema is migrated once. */

describePostgres('PostgreSQL migrations', () => {
  const schema = new TestSchema();
  afterAll(() => schema.drop());

  it('runs each migration exactly once when several instances start at the same moment', async () => {
    // Eight instances, each with its own pool, all opening a schema that does not exist yet.
    const stores = await Promise.all(Array.from({ length: 8 }, () => schema.open({ poolSize: 2 })));
    const db = await schema.connect();
    const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: MIGRATION_COUNT }, (_, i) => i + 1));

    // Every instance works on the one schema: what one writes, the others read.
    await stores[0]!.setServiceSwitch(false, 'ops', '2026-11-24T20:00:00.000Z');
    for (const store of stores) expect((await store.getServiceSwitch()).enabled).toBe(false);
  });

  it('finds nothing to do on a later start, and keeps the data', async () => {
    const store = await schema.open();
    expect(await store.getServiceSwitch()).toEqual({ enabled: false, changedBy: 'ops', changedAt: '2026-11-24T20:00:00.000Z' });
    const db = await schema.connect();
    expect((await db.query('SELECT count(*)::int AS n FROM schema_migrations')).rows[0].n).toBe(MIGRATION_COUNT);
  });

  it('refuses a schema name it would have to quote', async () => {
    await expect(PgStore.open({ url: TEST_DATABASE_URL, schema: 'x; DROP TABLE calls' })).rejects.toThrow(/schema name/);
    await expect(PgStore.open({ url: TEST_DATABASE_URL, schema: 'Mixed' })).rejects.toThrow(/schema name/);
  });
});
