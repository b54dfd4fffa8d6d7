import { createHash } from 'node:crypto';
import type { QueryResult, QueryResultRow } from 'pg';

/**
 * Named (prepared) statements for the hot path: each pooled connection parses and plans
 * one once, then only binds and executes it; an unnamed statement is parsed again every
 * time. The name is derived from the text, so one text always has one name (pg refuses two
 * texts under one name on a connection) and statements built from a few shapes (an UPDATE
 * setting these columns) get one name per shape.
 *
 * Only for texts from a fixed set of shapes, never with values in them: every name stays
 * prepared on every connection for its life.
 *
 * A newer instance migrating the schema while this one runs (a rolling upgrade adding a
 * column) makes PostgreSQL refuse a prepared `SELECT *` whose result would change ("cached
 * plan must not change result type"). That statement then fails once per connection that
 * prepared it, and its text goes unnamed from then on, in this process.
 */
const names = new Map<string, string>();
const unnamed = new Set<string>();

interface Queryable {
  query<R extends QueryResultRow>(config: { name?: string; text: string; values: unknown[] }): Promise<QueryResult<R>>;
}

export async function queryPrepared<R extends QueryResultRow>(client: Queryable, text: string, values: unknown[]): Promise<QueryResult<R>> {
  if (unnamed.has(text)) return client.query<R>({ text, values });
  try {
    return await client.query<R>({ name: nameOf(text), text, values });
  } catch (error) {
    if ((error as { code?: string }).code === '0A000' && /cached plan must not change result type/.test((error as Error).message)) unnamed.add(text);
    throw error;
  }
}

function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `ivrd_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}
