import type { CallEvent } from '../../src/store/port';
import type { PgStore } from '../../src/store/postgres';
import { describePostgres, TestSchema } from '../helpers/postgres';

/**
 * A call moves between instances behind a load balancer: each request of it may land on
 * another one. Every instance sees the call as the last one left it, and each instance's
 * observer (its metrics) hears of the events that instance committed, once.
 */

const min = (minutes: number): string => new Date(Date.parse('2026-11-24T20:00:00.000Z') + minutes * 60_000).toISOString();

describePostgres('PostgreSQL: one call, several instances', () => {
  const schema = new TestSchema();
  const heard: Record<'a' | 'b', Omit<CallEvent, 'id'>[]> = { a: [], b: [] };
  let a: PgStore;
  let b: PgStore;
  beforeAll(async () => {
    a = await schema.open({ observer: (events) => heard.a.push(...events) });
    b = await schema.open({ observer: (events) => heard.b.push(...events) });
  });
  afterAll(() => schema.drop());

  it('continues on one instance a call started on another', async () => {
    await a.createCall(
      {
        id: 'call-1',
        campaignId: 'support',
        mode: 'goto',
        dnis: '+18005550100',
        ani: '+16175559876',
        platformCallId: 'cvp-1',
        state: 'offered',
        variant: 'skip-queue',
        offerText: 'Skip the queue: press 1.',
        result: null,
        lastPage: null,
        createdAt: min(0),
        expiresAt: min(60),
      },
      [{ type: 'started' }, { type: 'offered', detail: { variant: 'skip-queue' } }],
    );

    // The caller's key reaches instance B.
    const started = await b.getCall('call-1');
    expect(started).toMatchObject({ state: 'offered', variant: 'skip-queue', offerText: 'Skip the queue: press 1.' });
    const accepted = { state: 'confirming', acceptedAt: min(1), destination: '+16175559876', destinationSource: 'ani' } as const;
    await b.updateCall('call-1', accepted, [{ type: 'accepted' }], min(1));

    // The confirmation comes back to A, which sees B's change.
    expect(await a.getCall('call-1')).toMatchObject({ state: 'confirming', acceptedAt: min(1), destination: '+16175559876' });
    const sent = { state: 'sent', result: { status: 'sent', reason: 'accepted', maskedNumber: '+*******9876' } } as const;
    await a.updateCall('call-1', sent, [{ type: 'number-confirmed', detail: { source: 'ani' } }], min(2));

    const events = await b.listEvents('call-1');
    expect(events.map((e) => [e.type, e.createdAt])).toEqual([
      ['started', min(0)],
      ['offered', min(0)],
      ['accepted', min(1)],
      ['number-confirmed', min(2)],
    ]);
    expect(heard.a.map((e) => e.type)).toEqual(['started', 'offered', 'number-confirmed']);
    expect(heard.b.map((e) => e.type)).toEqual(['accepted']);
    expect((await b.getCall('call-1'))!.result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+*******9876' });
  });

  it('counts every click of a link clicked on several instances at once', async () => {
    await a.createShortLink({
      code: 'abcdefgh',
      target: 'https://chat.example.test/?n=1',
      callId: 'call-1',
      campaignId: 'support',
      createdAt: min(2),
      expiresAt: min(30),
    });
    const clicks = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).clickShortLink('abcdefgh', min(3))));
    expect(clicks.every((c) => c && !c.expired)).toBe(true);
    expect(clicks.map((c) => c!.clicks).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });

  it('tells an observer nothing of a write that rolled back', async () => {
    const before = heard.a.length;
    await expect(a.updateCall('no-such-call', { state: 'failed' }, [{ type: 'handed-back' }], min(4))).rejects.toThrow('no call no-such-call');
    expect(heard.a).toHaveLength(before);
  });
});
