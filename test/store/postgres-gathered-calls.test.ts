import { Client } from 'pg';
import type { NewCall } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';

/**
 * Call starts and guarded call changes on PostgreSQL are gathered: those asked for while
 * the store waits for a connection go in one statement. What the callers see must not
 * change: each call and its events stored, in order; each change only under its guard; a
 * start that cannot be stored, or a change of a call that does not exist, failing alone.
 */

const AT = '2026-12-05T10:00:00.000Z';
const call = (id: string): NewCall => ({
  id,
  campaignId: 'support',
  mode: 'goto',
  dnis: '+18005550100',
  ani: '+16175559876',
  platformCallId: `cvp-${id}`,
  state: 'offered',
  result: null,
  lastPage: { kind: 'offer', args: { id } } as unknown as NewCall['lastPage'],
  createdAt: AT,
  expiresAt: '2026-12-05T11:00:00.000Z',
});
const startEvents = (id: string) => [{ type: 'started' as const }, { type: 'offered' as const, detail: { call: id } }];

/** How many statements matching `pattern` the process sends while `work` runs. */
async function statementsDuring(pattern: RegExp, work: () => Promise<unknown>): Promise<number> {
  const spy = jest.spyOn(Client.prototype, 'query');
  try {
    await work();
    return spy.mock.calls.filter(([config]) => pattern.test(typeof config === 'string' ? config : ((config as { text?: string }).text ?? ''))).length;
  } finally {
    spy.mockRestore();
  }
}

describePostgres('PostgreSQL: call starts and steps gathered into one statement', () => {
  let schema: TestSchema;
  let store: PgStore;
  beforeEach(async () => {
    schema = new TestSchema();
    store = await schema.open();
  });
  afterEach(() => schema.drop());

  it('twenty starts asked at once are one statement: every call stored as given, each with its events in order', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `call-${i}`);
    const statements = await statementsDuring(/INSERT INTO calls/, () => Promise.all(ids.map((id) => store.createCall(call(id), startEvents(id)))));
    expect(statements).toBe(1);
    for (const id of ids) {
      expect(await store.getCall(id)).toMatchObject({ id, platformCallId: `cvp-${id}`, state: 'offered', offerText: '', lastPage: { kind: 'offer', args: { id } }, createdAt: AT });
      expect((await store.listEvents(id)).map((e) => [e.type, e.detail])).toEqual([
        ['started', undefined],
        ['offered', { call: id }],
      ]);
    }
    // Ids follow the order of the starts, then of each start's events.
    const all = await store.eventsAfter(0, 100);
    expect(all.map((e) => e.callId)).toEqual(ids.flatMap((id) => [id, id]));
  });

  it('a start whose id is taken fails alone: the other starts of its statement are stored', async () => {
    await store.createCall(call('call-taken'), startEvents('call-taken'));
    const ids = ['call-a', 'call-taken', 'call-b', 'call-c'];
    const outcomes = await Promise.allSettled(ids.map((id) => store.createCall({ ...call(id), platformCallId: `again-${id}` }, startEvents(id))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/duplicate key/);
    for (const id of ['call-a', 'call-b', 'call-c']) expect((await store.listEvents(id)).map((e) => e.type)).toEqual(['started', 'offered']);
    // The call that was there keeps its row and its two events, no more.
    expect(await store.getCall('call-taken')).toMatchObject({ platformCallId: 'cvp-call-taken' });
    expect(await store.listEvents('call-taken')).toHaveLength(2);
  });

  it('twenty steps asked at once are one statement: each moves only under its guard, with its events; a call that does not exist fails alone', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `call-${i}`);
    await Promise.all(ids.map((id) => store.createCall(call(id), [])));
    // Two asks carry a guard the call is not in; one names no call at all.
    const asks = [...ids, 'call-missing'].map((id, i) =>
      store.updateCall(id, { state: 'accepted', acceptedAt: AT, invalidNumberCount: i }, [{ type: 'accepted', detail: { call: id } }], AT, i === 3 || i === 7 ? 'sending' : 'offered'),
    );
    let outcomes: PromiseSettledResult<boolean>[] = [];
    const statements = await statementsDuring(/UPDATE calls/, async () => (outcomes = await Promise.allSettled(asks)));
    expect(statements).toBe(1);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual([...ids.map((_, i) => i !== 3 && i !== 7), 'rejected']);
    expect(String((outcomes[20] as PromiseRejectedResult).reason)).toMatch(/no call call-missing/);
    for (const [i, id] of ids.entries()) {
      const moved = i !== 3 && i !== 7;
      expect(await store.getCall(id)).toMatchObject(moved ? { state: 'accepted', acceptedAt: AT, invalidNumberCount: i } : { state: 'offered', invalidNumberCount: 0 });
      expect((await store.listEvents(id)).map((e) => e.detail)).toEqual(moved ? [{ call: id }] : []);
    }
  });

  it('a call changed twice in one batch: the second change runs after the first, as it would alone', async () => {
    await store.createCall(call('call-twice'), []);
    await store.createCall(call('call-other'), []);
    const [first, second, stale, other] = await Promise.all([
      store.updateCall('call-twice', { state: 'accepted' }, [{ type: 'accepted' }], AT, 'offered'),
      store.updateCall('call-twice', { state: 'sending' }, [{ type: 'number-confirmed' }], AT, 'accepted'),
      store.updateCall('call-twice', { state: 'declined' }, [{ type: 'declined' }], AT, 'offered'),
      store.updateCall('call-other', { state: 'accepted' }, [{ type: 'accepted' }], AT, 'offered'),
    ]);
    expect([first, second, stale, other]).toEqual([true, true, false, true]);
    expect((await store.getCall('call-twice'))!.state).toBe('sending');
    expect((await store.listEvents('call-twice')).map((e) => e.type)).toEqual(['accepted', 'number-confirmed']);
  });
});
