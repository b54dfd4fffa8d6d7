import type { Client } from 'pg';
import type { SendLimit } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { MIGRATION_COUNT } from '../../src/store/postgres-schema';
import { describePostgres, TestSchema } from '../helpers/postgres';
import { admitText } from './admission-fixture';

/**
 * On PostgreSQL a limit is not counted when the texts stored since its window began
 * (message_minutes, per minute) are below its max. That sum must never be below the
 * count: these tests store texts by paths the admission does not see (a raw insert, as
 * a fallback or another version would write) and at a window's edge, and check each
 * limit still refuses exactly at its max.
 */

const NOW = '2026-11-24T20:00:00.000Z';
const HOUR_AGO = '2026-11-24T19:00:00.500Z';
const budget = (max: number, since = HOUR_AGO): SendLimit => ({ scope: 'service', max, since, name: 'service hourly budget' });

let counter = 0;
function submit(store: PgStore, limits: SendLimit[], at = NOW) {
  counter += 1;
  return admitText(store, { id: `msg-${counter}`, callId: `call-${counter}`, caller: `+1212555${String(1000 + counter).slice(-4)}` }, `+1617555${String(1000 + counter).slice(-4)}`, limits, at);
}

describePostgres('PostgreSQL send limits: the per-minute sum that spares a count', () => {
  let schema: TestSchema;
  let store: PgStore;
  let db: Client;

  /** A copy of a stored text under a new id, call and time, inserted behind the store's back. */
  const insertRaw = async (from: string, id: string, createdAt: string) => {
    await db.query(
      `INSERT INTO messages SELECT (jsonb_populate_record(m, jsonb_build_object('id', $2::text, 'call_id', $2::text, 'created_at', $3::text))).* FROM messages m WHERE m.id = $1`,
      [from, id, createdAt],
    );
  };

  beforeEach(async () => {
    schema = new TestSchema();
    store = await schema.open();
    db = await schema.connect();
  });
  afterEach(() => schema.drop());

  it('counts texts stored by any path: a budget refuses at its max though two of its texts never went through an admission', async () => {
    const first = await submit(store, [], '2026-11-24T19:50:00.000Z');
    expect(first.kind).toBe('created');
    await insertRaw('msg-' + counter, 'raw-1', '2026-11-24T19:55:00.000Z');
    await insertRaw('msg-' + counter, 'raw-2', '2026-11-24T19:56:00.000Z');

    const refused = await submit(store, [budget(3)]);
    expect(refused).toMatchObject({ kind: 'limited', limit: { scope: 'service', max: 3 } });
    expect((await submit(store, [budget(4)])).kind).toBe('created');
    expect((await db.query('SELECT sum(texts)::int AS n FROM message_minutes')).rows[0].n).toBe(4);
  });

  it('a text just before the window, in the minute it begins in, is summed but not counted', async () => {
    await submit(store, [], '2026-11-24T19:00:00.100Z');
    await submit(store, [], '2026-11-24T19:30:00.000Z');
    // The sum from 19:00 holds both (2, not below 2): the count decides, and it finds one.
    expect((await submit(store, [budget(2)])).kind).toBe('created');
    expect(await submit(store, [budget(2)])).toMatchObject({ kind: 'limited', limit: { scope: 'service' } });
  });

  it('retention drops the sums of minutes it removed every text of, and keeps those of a held text', async () => {
    await submit(store, [], '2026-09-01T10:00:00.000Z');
    const held = await submit(store, [], '2026-09-02T10:00:00.000Z');
    await submit(store, [], '2026-09-03T10:00:00.000Z');
    await submit(store, [], '2026-11-24T19:30:00.000Z');
    if (held.kind !== 'created') throw new Error('not stored');
    await store.placeLegalHold({ kind: 'number', value: held.message.to, reason: 'litigation 2026-17', createdBy: 'admin-api', createdAt: NOW });
    await db.query(`UPDATE messages SET status = 'sent'`); // retention keeps queued texts
    while ((await store.pruneBatch('messages', '2026-10-01T00:00:00.000Z', 100)) > 0);
    const minutes = (await db.query('SELECT minute FROM message_minutes ORDER BY minute')).rows.map((r) => r.minute);
    // The held text's minute, and every later one, stays summed (09-03's text is gone, but its
    // minute is after the oldest text left: an over-count, never an under-count); 09-01's is gone.
    expect(minutes).toEqual(['2026-09-02T10:00', '2026-09-03T10:00', '2026-11-24T19:30']);
  });

  it('texts stored before the table existed are summed from the migration on', async () => {
    await submit(store, [], '2026-11-24T19:10:00.000Z');
    await submit(store, [], '2026-11-24T19:20:00.000Z');
    await submit(store, [], '2026-11-24T19:30:00.000Z');
    // Back to the version before: no table, no trigger, neither that migration nor the one
    // after it (gathered admissions) recorded.
    await db.query(`DROP TRIGGER messages_count_minute ON messages; DROP FUNCTION message_minutes_count(); DROP TABLE message_minutes;
                    DROP FUNCTION ivr_admit_many; DELETE FROM schema_migrations WHERE version >= ${MIGRATION_COUNT - 1}`);
    expect(MIGRATION_COUNT).toBeGreaterThan(1);
    const upgraded = await schema.open();
    expect((await db.query('SELECT minute, texts::int FROM message_minutes ORDER BY minute')).rows).toEqual([
      { minute: '2026-11-24T19:10', texts: 1 },
      { minute: '2026-11-24T19:20', texts: 1 },
      { minute: '2026-11-24T19:30', texts: 1 },
    ]);
    expect(await submit(upgraded, [budget(3)])).toMatchObject({ kind: 'limited', limit: { scope: 'service' } });
  });
});
