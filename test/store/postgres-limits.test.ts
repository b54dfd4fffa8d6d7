import type { NewMessage, SendLimit, Store } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';
import { admitText } from './admission-fixture';

/**
 * Limits hold across instances: submits arriving at once on different instances (each
 * store has its own pool) are admitted exactly as far as the limits allow.
 */

const NOW = '2026-11-24T20:00:00.000Z';
const DAY_START = '2026-11-24T05:00:00.000Z';
const ONE_PER_TEN_MINUTES: SendLimit = { scope: 'destination', max: 1, since: '2026-11-24T19:50:00.001Z', name: '1 per 10 min' };

let counter = 0;
function submit(store: Store, to: string, limits: SendLimit[], overrides: Partial<NewMessage> = {}) {
  counter += 1;
  const ids = { id: `msg-${counter}`, callId: `call-${counter}`, caller: `+1212555${String(1000 + counter).slice(-4)}` };
  return admitText(store, ids, to, limits, NOW, overrides);
}

describePostgres('PostgreSQL limits across instances', () => {
  const schema = new TestSchema();
  let stores: PgStore[];
  beforeAll(async () => {
    stores = await Promise.all([schema.open({ poolSize: 5 }), schema.open({ poolSize: 5 }), schema.open({ poolSize: 5 })]);
  });
  afterAll(() => schema.drop());

  it('sends one text when fifty submits for one number arrive at once on three instances', async () => {
    const to = '+16175550001';
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => submit(stores[i % 3]!, to, [ONE_PER_TEN_MINUTES])));

    expect(results.filter((r) => r.kind === 'created')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'limited')).toHaveLength(49);
    const messages = await stores[0]!.listMessages({ limit: 100, number: to });
    expect(messages).toHaveLength(1);
    // Its consent record was stored with it, and only its.
    const consent = await stores[1]!.listConsent({ from: NOW, to: '2026-11-25T00:00:00.000Z', limit: 100 });
    expect(consent.filter((c) => c.destination === to).map((c) => c.messageId)).toEqual([messages[0]!.id]);
  });

  it('holds a per-caller limit for one caller texting different numbers from different instances', async () => {
    const caller = '+12125559999';
    const perCaller: SendLimit = { scope: 'caller', max: 3, since: DAY_START, name: '3 per 1440 min' };
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => submit(stores[i % 3]!, `+1617556${String(1000 + i)}`, [ONE_PER_TEN_MINUTES, perCaller], { caller })),
    );
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(3);
    expect(results.filter((r) => r.kind === 'limited' && r.limit.scope === 'caller')).toHaveLength(27);
  });

  it('stops a campaign at its daily cap when its submits for many numbers race', async () => {
    const cap: SendLimit = { scope: 'campaign', max: 10, since: DAY_START, name: 'daily cap' };
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => submit(stores[i % 3]!, `+1617557${String(1000 + i)}`, [cap], { campaignId: 'capped' })),
    );
    expect(results.filter((r) => r.kind === 'created')).toHaveLength(10);
    expect(await stores[2]!.countMessages({ campaignId: 'capped', since: DAY_START })).toBe(10);
  });

  it('stores a call’s text once when its submit is repeated on several instances at once', async () => {
    const to = '+16175550002';
    const first = { callId: 'call-repeated' };
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) => submit(stores[i % 3]!, to, [ONE_PER_TEN_MINUTES], { ...first, caller: '+12125550000' })),
    );
    const created = results.filter((r) => r.kind === 'created');
    expect(created).toHaveLength(1);
    // The others get that same message back ("existing"), not "limited" by it.
    const id = created[0]!.kind === 'created' ? created[0]!.message.id : '';
    for (const r of results) expect('message' in r && r.message.id).toBe(id);
    expect((await stores[0]!.listEvents('call-repeated')).map((e) => e.type)).toEqual(['number-confirmed', 'sms-queued']);
  });
});
