import type { Client } from 'pg';
import type { NewMessage, SendLimit } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';
import { admitText } from './admission-fixture';

/**
 * The admission as one stored function (ivr_admit, postgres-admission.ts): its locks are
 * taken before the statement that counts, so an admission that waited for another's
 * locks counts what that one committed; values are data, never SQL.
 */

const NOW = '2026-11-24T20:00:00.000Z';
const TEN_MINUTES: SendLimit = { scope: 'destination', max: 1, since: '2026-11-24T19:50:00.001Z', name: '1 per 10 min' };

function admit(store: PgStore, id: string, to: string, overrides: Partial<NewMessage> = {}) {
  return admitText(store, { id, callId: `call-${id}`, caller: '+12125550100' }, to, [TEN_MINUTES], NOW, overrides);
}

/** Resolves once a backend waits for this send-limit key's advisory lock (an event, not a delay). */
async function someoneWaitsFor(observer: Client, key: string): Promise<void> {
  for (;;) {
    const { rowCount } = await observer.query(
      `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 2
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND objid::bigint = (hashtext($1)::bigint + 4294967296) % 4294967296`,
      [key],
    );
    if (rowCount) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describePostgres('PostgreSQL admission in one round trip (ivr_admit)', () => {
  const schema = new TestSchema();
  let store: PgStore;
  let holder: Client;
  let observer: Client;
  beforeAll(async () => {
    store = await schema.open();
    holder = await schema.connect();
    observer = await schema.connect();
  });
  afterAll(() => schema.drop());

  it('counts the text another admission committed while this one waited for its lock', async () => {
    const to = '+16175550301';
    // Another instance's admission, halfway: it holds the number's key and has inserted its text.
    await holder.query('BEGIN');
    await holder.query(`SELECT pg_advisory_xact_lock(hashtext('ivr-deflect send limits'), hashtext($1))`, [`destination:${to}`]);
    await holder.query(
      `INSERT INTO messages (id, call_id, campaign_id, "to", caller, body, status, gateway, created_at, updated_at)
       VALUES ('other', 'call-other', 'support', $1, '+12125550199', 'hi', 'queued', 'primary', $2, $2)`,
      [to, NOW],
    );
    const waiting = admit(store, 'mine', to);
    await someoneWaitsFor(observer, `destination:${to}`);
    await holder.query('COMMIT');

    // A statement that took the lock and counted in one snapshot would have counted nothing.
    expect(await waiting).toEqual({ kind: 'limited', limit: TEN_MINUTES });
    expect((await store.listMessages({ limit: 10, number: to })).map((m) => m.id)).toEqual(['other']);
    expect(await store.getCall('call-mine')).toBeUndefined();
  });

  it('stores what looks like SQL or a placeholder as text, in the message and its consent record', async () => {
    const to = '+16175550302';
    const body = `it's $1[1] '); DROP TABLE messages; -- \\ "quoted"`;
    const result = await admit(store, 'sql-text', to, { body, caller: `$1[2]'` });
    expect(result.kind).toBe('created');
    const [stored] = await store.listMessages({ limit: 10, number: to });
    expect(stored).toMatchObject({ body, caller: `$1[2]'` });
    const consent = await store.listConsent({ from: NOW, to: '2026-11-25T00:00:00.000Z', limit: 100 });
    expect(consent.find((c) => c.messageId === 'sql-text')).toMatchObject({ ani: `$1[2]'`, destination: to });
    expect((await store.listEvents('call-sql-text')).map((e) => e.type)).toEqual(['number-confirmed', 'sms-queued']);
  });

  it('answers a repeated submit with the call’s stored text, not a refusal by the limit it counts', async () => {
    const to = '+16175550303';
    const first = await admit(store, 'repeat-1', to, { callId: 'call-repeat' });
    const again = await admit(store, 'repeat-2', to, { callId: 'call-repeat' });
    expect(first.kind).toBe('created');
    expect(again).toEqual({ kind: 'existing', message: first.kind === 'created' ? first.message : undefined });
  });
});
