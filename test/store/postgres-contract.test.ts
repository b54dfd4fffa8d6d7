import type { Store } from '../../src/store/port';
import { describePostgres, postgresAvailable, TestSchema } from '../helpers/postgres';
import { storeContract } from './contract';

/**
 * The store contract against PostgreSQL, each store in an empty schema of its own. A
 * schema is migrated once and emptied after each test that used it (TestSchema.empty:
 * every row deleted, the ids restarted), then handed to the next test: migrating a fresh
 * schema for each of the ~140 tests spent most of this file's time on DDL. A test that
 * opens a second store gets a second schema. All are dropped at the end. Without a
 * reachable database (TEST_DATABASE_URL) the helper prints a notice and this file reports
 * its tests as skipped: it never passes silently.
 */

if (postgresAvailable) {
  const schemas = new Map<Store, TestSchema>();
  const emptied: TestSchema[] = [];
  const made: TestSchema[] = [];
  afterAll(() => Promise.all(made.map((schema) => schema.drop())));
  storeContract(
    'PgStore',
    async (observer) => {
      let schema = emptied.pop();
      if (!schema) {
        schema = new TestSchema();
        made.push(schema);
      }
      const store = await schema.open(observer ? { observer } : {});
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      const schema = schemas.get(store);
      schemas.delete(store);
      if (!schema) return store.close();
      // empty() closes the store, then deletes every row.
      await schema.empty();
      emptied.push(schema);
    },
  );
} else {
  describePostgres('PgStore: the store contract', () => {
    it('runs against PostgreSQL (unreachable: see the notice above)', () => undefined);
  });
}
