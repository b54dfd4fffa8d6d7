import type { Pool, PoolClient } from 'pg';

/**
 * Runs work in one transaction on a client of its own from the pool (READ COMMITTED,
 * PostgreSQL's default: every statement sees what others committed before it began,
 * which the advisory locks and row locks of the store rely on).
 *
 * A client whose ROLLBACK fails has lost its connection, or is in a state nobody should
 * inherit: it is destroyed instead of going back to the pool.
 */
export async function transaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
