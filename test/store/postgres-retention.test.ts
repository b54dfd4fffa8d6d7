import type { Store } from '../../src/store/port';
import { describePostgres, postgresAvailable, TestSchema } from '../helpers/postgres';
import { retentionContract } from './retention-contract';

/** Retention, erasure and legal holds on PostgreSQL, each test in a schema of its own. */
if (postgresAvailable) {
  const schemas = new Map<Store, TestSchema>();
  retentionContract(
    'PgStore',
    async (numberKey) => {
      const schema = new TestSchema();
      const store = await schema.open({ numberKey });
      schemas.set(store, schema);
      return store;
    },
    async (store) => {
      const schema = schemas.get(store);
      schemas.delete(store);
      if (schema) await schema.drop();
      else await store.close();
    },
  );
} else {
  describePostgres('PgStore: retention, erasure and legal holds', () => {
    it('runs against PostgreSQL (unreachable: see the notice above)', () => undefined);
  });
}
