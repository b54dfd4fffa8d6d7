import type { AttemptRecord, CallEnding, NewCall } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { newCall } from '../helpers/new-call';
import { describePostgres, statementsOf, TestSchema } from '../helpers/postgres';
import { admitText } from './admission-fixture';

/**
 * Call starts and guarded call changes on PostgreSQL are gathered: those asked for while
 * the store waits for a connection go in one statement. What the callers see must not
 * change: each call and its events stored, in order; each change only under its guard; a
 * start that cannot be stored, or a change of a call that does not exist, failing alone.
 */

const AT = '2026-12-05T10:00:00.000Z';
const call = (id: string): NewCall =>
  newCall(id, { lastPage: { kind: 'offer', args: { id } } as unknown as NewCall['lastPage'], createdAt: AT, expiresAt: '2026-12-05T11:00:00.000Z' });
const startEvents = (id: string) => [{ type: 'started' as const }, { type: 'offered' as const, detail: { call: id } }];

/** How many statements matching `pattern` the process sends while `work` runs. */
async function statementsDuring(pattern: RegExp, work: () => Promise<unknown>): Promise<number> {
  return (await statementsOf(work)).filter((text) => pattern.test(text)).length;
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
      store.updateCall(id, { state: 'confirming', acceptedAt: AT, invalidNumberCount: i }, [{ type: 'accepted', detail: { call: id } }], AT, i === 3 || i === 7 ? 'sending' : 'offered'),
    );
    let outcomes: PromiseSettledResult<boolean>[] = [];
    const statements = await statementsDuring(/UPDATE calls/, async () => (outcomes = await Promise.allSettled(asks)));
    expect(statements).toBe(1);
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'))).toEqual([...ids.map((_, i) => i !== 3 && i !== 7), 'rejected']);
    expect(String((outcomes[20] as PromiseRejectedResult).reason)).toMatch(/no call call-missing/);
    for (const [i, id] of ids.entries()) {
      const moved = i !== 3 && i !== 7;
      expect(await store.getCall(id)).toMatchObject(moved ? { state: 'confirming', acceptedAt: AT, invalidNumberCount: i } : { state: 'offered', invalidNumberCount: 0 });
      expect((await store.listEvents(id)).map((e) => e.detail)).toEqual(moved ? [{ call: id }] : []);
    }
  });

  it('a call changed twice in one batch: the second change runs after the first, as it would alone', async () => {
    await store.createCall(call('call-twice'), []);
    await store.createCall(call('call-other'), []);
    const [first, second, stale, other] = await Promise.all([
      store.updateCall('call-twice', { state: 'confirming' }, [{ type: 'accepted' }], AT, 'offered'),
      store.updateCall('call-twice', { state: 'sending' }, [{ type: 'number-confirmed' }], AT, 'confirming'),
      store.updateCall('call-twice', { state: 'handed-back' }, [{ type: 'declined' }], AT, 'offered'),
      store.updateCall('call-other', { state: 'confirming' }, [{ type: 'accepted' }], AT, 'offered'),
    ]);
    expect([first, second, stale, other]).toEqual([true, true, false, true]);
    expect((await store.getCall('call-twice'))!.state).toBe('sending');
    expect((await store.listEvents('call-twice')).map((e) => e.type)).toEqual(['accepted', 'number-confirmed']);
  });

  describe('first attempts gathered', () => {
    const sentResult = { status: 'sent', reason: 'accepted', maskedNumber: '+*******1234' } as const;
    const failedResult = { status: 'failed', reason: 'gateway-error', maskedNumber: '+*******1234' } as const;
    const LATER = '2026-12-05T10:00:02.000Z';
    const attempts: [AttemptRecord, CallEnding['update'], CallEnding['events']][] = [
      [{ status: 'sent', via: 'twilio', vendorMessageId: 'v-0', vendorStatus: 'queued' }, { state: 'sent', result: sentResult }, []],
      [{ status: 'failed', via: 'twilio', errorCode: 'twilio-21211', errorDetail: 'invalid number' }, { state: 'failed', result: failedResult }, [{ type: 'number-confirmed', detail: { source: 'ani' } }, { type: 'handed-back', detail: { reason: 'gateway-error' } }]],
      [{ status: 'queued', via: 'twilio', nextAttemptAt: '2026-12-05T10:00:12.000Z', errorCode: 'timeout', errorDetail: 'slow', countsAsAttempt: true }, { state: 'sent', result: sentResult }, []],
      // Its call has moved on: the attempt is recorded, the call and its events left alone.
      [{ status: 'sent', via: 'twilio', vendorMessageId: 'v-3', vendorStatus: null }, { state: 'sent', result: sentResult }, [{ type: 'handed-back' }]],
      // A text on another channel: the event's detail names it.
      [{ status: 'sent', via: 'whatsapp-cloud', vendorMessageId: 'v-4', vendorStatus: null }, { state: 'sent', result: sentResult }, []],
    ];

    const schemas: TestSchema[] = [];
    afterEach(async () => {
      for (const extra of schemas.splice(0)) await extra.drop();
    });

    /** Five calls waiting on their first attempt (the fourth's call already moved on), on a schema of their own. */
    async function prepared(): Promise<PgStore> {
      const own = new TestSchema();
      schemas.push(own);
      const s = await own.open();
      for (const [i] of attempts.entries()) {
        await s.createCall({ ...call(`c${i}`), state: i === 3 ? 'sent' : 'sending' }, [{ type: 'started' }]);
        const admitted = await admitText(s, { id: `m${i}`, callId: `c${i}`, caller: '+16175559876' }, `+1617555000${i}`, [], AT, i === 4 ? { channel: 'whatsapp' } : {});
        expect(admitted.kind).toBe('created');
      }
      return s;
    }
    const record = (s: PgStore, i: number) => {
      const [attempt, update, events] = attempts[i]!;
      return s.recordFirstAttempt(`m${i}`, attempt, LATER, { callId: `c${i}`, update, events, at: AT, from: 'sending' });
    };
    async function written(s: PgStore): Promise<unknown[]> {
      return Promise.all(
        attempts.map(async (_, i) => ({
          message: await s.getMessage(`m${i}`),
          call: await s.getCall(`c${i}`),
          events: (await s.listEvents(`c${i}`)).map(({ id: _id, ...event }) => event),
        })),
      );
    }

    it('asked at once, they are one statement, and leave what the same attempts one by one leave', async () => {
      const apart = await prepared();
      const oneByOne: unknown[] = [];
      for (const [i] of attempts.entries()) oneByOne.push(await record(apart, i));

      const together = await prepared();
      let atOnce: unknown[] = [];
      const statements = await statementsDuring(/UPDATE messages/, async () => (atOnce = await Promise.all(attempts.map((_, i) => record(together, i)))));
      expect(statements).toBe(1);
      expect(atOnce).toEqual(oneByOne);
      expect(await written(together)).toEqual(await written(apart));
      expect(atOnce.map((r) => (r as { ended: boolean }).ended)).toEqual([true, true, true, false, true]);
      expect((await together.listEvents('c1')).map((e) => e.type)).toEqual(['started', 'number-confirmed', 'sms-queued', 'sms-failed', 'number-confirmed', 'handed-back']);
      expect((await together.listEvents('c4')).find((e) => e.type === 'sms-sent')?.detail).toEqual({ messageId: 'm4', via: 'whatsapp-cloud', channel: 'whatsapp' });
    });

    it('an attempt for a message that is not there fails alone', async () => {
      const s = await prepared();
      const outcomes = await Promise.allSettled([record(s, 0), s.recordFirstAttempt('nobody', attempts[0]![0], LATER, { callId: 'c1', update: attempts[0]![1], events: [], at: AT, from: 'sending' }), record(s, 2)]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/no message nobody/);
      expect((await s.getCall('c1'))!.state).toBe('sending');
    });
  });
});
