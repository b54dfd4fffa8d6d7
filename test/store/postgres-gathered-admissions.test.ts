import type { SendLimit } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, statementsOf, TestSchema } from '../helpers/postgres';
import { admitText } from './admission-fixture';

/**
 * Admissions on PostgreSQL are gathered: those asked for while the store waits for a
 * connection are one ivr_admit_many (one lock wait, one commit). What each submit hears
 * must not change: the admissions of a batch run in the order asked, each seeing the ones
 * before it as it would have seen them committed, and one that cannot be stored fails
 * alone.
 */

const AT = '2026-12-05T10:00:00.000Z';
const WINDOW_START = '2026-12-05T09:50:00.001Z';
const ids = (i: number) => ({ id: `msg-${i}`, callId: `call-${i}`, caller: '+12125550100' });
const number = (i: number) => `+1617555${String(1000 + i)}`;

describePostgres('PostgreSQL: admissions gathered into one statement', () => {
  let schema: TestSchema;
  let store: PgStore;
  beforeEach(async () => {
    schema = new TestSchema();
    // One connection: every admission asked while it is busy joins the next batch.
    store = await schema.open({ poolSize: 1 });
  });
  afterEach(() => schema.drop());

  it('twenty admissions asked at once are one statement: each text stored with its consent record and its events', async () => {
    let results: Awaited<ReturnType<typeof admitText>>[] = [];
    const statements = await statementsOf(async () => {
      results = await Promise.all(Array.from({ length: 20 }, (_, i) => admitText(store, ids(i), number(i), [], AT)));
    });
    expect(statements.filter((text) => /ivr_admit_many/.test(text))).toHaveLength(1);
    expect(statements.filter((text) => /ivr_admit\(/.test(text))).toHaveLength(0);
    expect(results.map((r) => r.kind)).toEqual(Array(20).fill('created'));
    for (let i = 0; i < 20; i++) {
      const [message] = await store.listMessages({ limit: 5, number: number(i) });
      expect(message).toMatchObject({ id: `msg-${i}`, callId: `call-${i}`, to: number(i), status: 'queued' });
      expect((await store.listEvents(`call-${i}`)).map((e) => e.type)).toEqual(['number-confirmed', 'sms-queued']);
    }
    const consent = await store.listConsent({ from: AT, to: '2026-12-06T00:00:00.000Z', limit: 100 });
    expect(consent.map((c) => c.messageId).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `msg-${i}`).sort());
  });

  it('a limit holds inside a batch: of eight texts under a service budget of five, the first five asked are sent', async () => {
    const budget: SendLimit = { scope: 'service', max: 5, since: WINDOW_START, name: 'budget' };
    let results: Awaited<ReturnType<typeof admitText>>[] = [];
    const statements = await statementsOf(async () => {
      results = await Promise.all(Array.from({ length: 8 }, (_, i) => admitText(store, ids(i), number(i), [budget], AT)));
    });
    expect(statements.filter((text) => /ivr_admit_many/.test(text))).toHaveLength(1);
    expect(results.map((r) => r.kind)).toEqual(['created', 'created', 'created', 'created', 'created', 'limited', 'limited', 'limited']);
    expect(results[7]).toMatchObject({ kind: 'limited', limit: { scope: 'service', max: 5 } });
    expect(await store.countMessages({ campaignId: 'support', since: WINDOW_START })).toBe(5);
  });

  it('one number texted twice in a batch: the second submit of the same call gets the first one\'s text, another call is limited', async () => {
    const onePerNumber: SendLimit = { scope: 'destination', max: 1, since: WINDOW_START, name: '1 per 10 min' };
    const to = number(1);
    const [first, again, other] = await Promise.all([
      admitText(store, ids(1), to, [onePerNumber], AT),
      admitText(store, { ...ids(1), id: 'msg-1-again' }, to, [onePerNumber], AT),
      admitText(store, ids(2), to, [onePerNumber], AT),
    ]);
    expect(first).toMatchObject({ kind: 'created', message: { id: 'msg-1' } });
    expect(again).toMatchObject({ kind: 'existing', message: { id: 'msg-1' } });
    expect(other).toMatchObject({ kind: 'limited', limit: { scope: 'destination' } });
    expect((await store.listMessages({ limit: 5, number: to })).map((m) => m.id)).toEqual(['msg-1']);
  });

  it('values reach a batch as data: SQL, JSON and array metacharacters in a text come back exactly', async () => {
    const hostile = [
      `it's $1[1] '); DROP TABLE messages; -- \\ "quoted"`,
      '{"a":1}, {NULL}, {"\\"}',
      'line\nbreak\ttab \u2028 \u{1F4AC} naïve',
      'NULL',
    ];
    let results: Awaited<ReturnType<typeof admitText>>[] = [];
    const statements = await statementsOf(async () => {
      results = await Promise.all(hostile.map((body, i) => admitText(store, ids(i), number(i), [], AT, { body })));
    });
    expect(statements.filter((text) => /ivr_admit_many/.test(text))).toHaveLength(1);
    expect(results.map((r) => r.kind)).toEqual(hostile.map(() => 'created'));
    for (const [i, body] of hostile.entries()) {
      expect((await store.listMessages({ limit: 5, number: number(i) })).map((m) => m.body)).toEqual([body]);
    }
  });

  it('an admission that cannot be stored fails alone: the others of its batch are stored', async () => {
    const outcomes = await Promise.allSettled(
      // NaN segments: the write's integer cast refuses it, failing the batch's statement.
      Array.from({ length: 5 }, (_, i) => admitText(store, ids(i), number(i), [], AT, i === 2 ? { segments: Number.NaN } : {})),
    );
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/invalid input syntax for type integer/);
    for (const i of [0, 1, 3, 4]) expect(await store.listMessages({ limit: 5, number: number(i) })).toHaveLength(1);
    expect(await store.listMessages({ limit: 5, number: number(2) })).toHaveLength(0);
    // Nothing of the failed one was kept: no events, no consent record.
    expect(await store.listEvents('call-2')).toEqual([]);
  });
});
