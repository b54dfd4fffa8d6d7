import type { Store } from '../../src/store/port';
import { describePostgres, postgresAvailable, TestSchema } from '../helpers/postgres';
import { apiTokensContract } from './api-tokens-contract';

/** Named API tokens on PostgreSQL, each test in a schema of its own. */
if (postgresAvailable) {
  const schemas = new Map<Store, TestSchema>();
  apiTokensContract(
    'PgStore',
    async () => {
      const schema = new TestSchema();
      const store = await schema.open({});
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
  describePostgres('PgStore: named API tokens', () => {
    it('runs against PostgreSQL (unreachable: see the notice above)', () => undefined);
  });
}
