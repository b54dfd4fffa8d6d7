import type { Store } from '../../src/store/port';
import { describePostgres, postgresAvailable, TestSchema } from '../helpers/postgres';
import { storeContract } from './contract';

/**
 * The store contract against PostgreSQL, each test in a fresh schema of its own (dropped
 * after it). Without a reachable database (TEST_DATABASE_URL) the helper prints a notice
 * and this file reports its tests as skipped: it never passes silently.
 */

if (postgresAvailable) {
  const schemas = new Map<Store, TestSchema>();
  storeContract(
    'PgStore',
    async (observer) => {
      const schema = new TestSchema();
      const store = await schema.open(observer ? { observer } : {});
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      const schema = schemas.get(store);
      schemas.delete(store);
      // drop() closes the store, then removes the schema with everything in it.
      if (schema) await schema.drop();
      else await store.close();
    },
  );
} else {
  describePostgres('PgStore: the store contract', () => {
    it('runs against PostgreSQL (unreachable: see the notice above)', () => undefined);
  });
}
