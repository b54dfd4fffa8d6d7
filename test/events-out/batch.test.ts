import pino from 'pino';
import { nextBatch } from '../../src/events-out/batch';
import { EventsDeliverer } from '../../src/events-out/deliverer';
import type { CallEvent } from '../../src/store/port';
import { SqliteStore } from '../../src/store/sqlite';
import { tempDir } from '../helpers/server';
import { EventSink } from './sink';

/** What goes in one request, and a request that never answers. */

const event = (id: number, type: CallEvent['type'], detail?: CallEvent['detail']): CallEvent => ({
  id,
  type,
  callId: `call-${id}`,
  campaignId: 'support',
  createdAt: '2026-12-01T10:00:00.000Z',
  ...(detail ? { detail } : {}),
});

/** One endpoint, "crm", retried from 2 s, polled hourly (the tests call deliverDue themselves). */
function crmEndpoint(url: string, timeoutMs: number) {
  return {
    endpoints: [{ name: 'crm', url, types: undefined, secret: 'x'.repeat(32) }],
    batchSize: 10,
    maxBodyBytes: 65_536,
    timeoutMs,
    retryBaseMs: 2_000,
    retryCapMs: 300_000,
    pollMs: 3_600_000,
  };
}

describe('nextBatch', () => {
  it('keeps the body within the byte limit, and the cursor stops at the last event sent', () => {
    const events = Array.from({ length: 50 }, (_, i) => event(i + 1, 'offered', { note: 'é'.repeat(100) }));
    const batch = nextBatch(events, undefined, 2_000);
    expect(Buffer.byteLength(batch.body)).toBeLessThanOrEqual(2_000);
    expect(batch.events.length).toBeGreaterThan(1);
    expect(batch.events.length).toBeLessThan(50);
    expect(batch.lastId).toBe(batch.events.at(-1)!.id);
    expect(JSON.parse(batch.body)).toEqual({ events: batch.events });
  });

  it('passes over the types an endpoint does not take, but covers them so the cursor moves past', () => {
    const events = [event(1, 'started'), event(2, 'offered'), event(3, 'accepted'), event(4, 'started')];
    const batch = nextBatch(events, ['offered'], 100_000);
    expect(batch.events.map((e) => e.id)).toEqual([2]);
    expect(batch.lastId).toBe(4);
    expect(nextBatch([event(5, 'started')], ['offered'], 100_000)).toEqual({ body: '{"events":[]}', events: [], lastId: 5 });
  });

  it('sends each event as { id, type, callId, campaignId, at, detail }, detail {} when it has none', () => {
    expect(JSON.parse(nextBatch([event(7, 'started')], undefined, 10_000).body)).toEqual({
      events: [{ id: 7, type: 'started', callId: 'call-7', campaignId: 'support', at: '2026-12-01T10:00:00.000Z', detail: {} }],
    });
  });
});

describe('a request that never answers', () => {
  it('counts as a failure at the timeout: the lease is given back and the batch is retried later', async () => {
    const sink = await EventSink.start(200);
    sink.hold();
    const store = SqliteStore.open(tempDir('events-timeout'));
    let clock = Date.parse('2026-12-01T10:00:00.000Z');
    // The request timeout is the test's to fire (an event, not a real 50 ms wait that a
    // busy machine also spends on answers that do come): each request's signal is kept,
    // and the test aborts it once the sink has the request and is holding it.
    const timeouts: Array<{ ms: number; controller: AbortController }> = [];
    const deliverer = new EventsDeliverer({
      store,
      settings: crmEndpoint(sink.url, 5_000),
      log: pino({ level: 'silent' }),
      now: () => new Date(clock),
      random: () => 0.5,
      requestTimeout: (ms) => {
        const controller = new AbortController();
        timeouts.push({ ms, controller });
        return controller.signal;
      },
    });
    try {
      await deliverer.deliverDue();
      await store.createCall(
        { id: 'c1', campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: '', platformCallId: '', state: 'offered', result: null, lastPage: null, createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 3_600_000).toISOString() },
        [{ type: 'started' }],
      );
      const arrived = sink.nextRequest();
      const delivering = deliverer.deliverDue();
      await arrived;
      // The endpoint has the request and never answers: the request's timeout passes.
      expect(timeouts.map((t) => t.ms)).toEqual([5_000]);
      timeouts[0]!.controller.abort();
      await delivering;
      expect(await store.getEventCursor('crm')).toMatchObject({
        lastId: 0,
        failures: 1,
        nextAttemptAt: new Date(clock + 2_000).toISOString(),
        lastError: 'timeout: no answer within 5000 ms',
        leaseOwner: null,
      });
      sink.release();
      clock += 2_000;
      await deliverer.deliverDue();
      expect(await store.getEventCursor('crm')).toMatchObject({ lastId: 1, failures: 0 });
    } finally {
      await deliverer.stop(0);
      await sink.stop();
      await store.close();
    }
  });
});

describe('the request timeout, as deployed (AbortSignal.timeout)', () => {
  it('ends a request the endpoint never answers and records it as a timeout', async () => {
    // Only the timeout's own path: the endpoint never answers, so no answer can race it.
    const sink = await EventSink.start(200);
    sink.hold();
    const store = SqliteStore.open(tempDir('events-real-timeout'));
    const clock = Date.parse('2026-12-01T10:00:00.000Z');
    const deliverer = new EventsDeliverer({
      store,
      settings: crmEndpoint(sink.url, 50),
      log: pino({ level: 'silent' }),
      now: () => new Date(clock),
      random: () => 0.5,
    });
    try {
      await deliverer.deliverDue(); // a new endpoint's cursor starts at the newest event
      await store.createCall(
        { id: 'c1', campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: '', platformCallId: '', state: 'offered', result: null, lastPage: null, createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 3_600_000).toISOString() },
        [{ type: 'started' }],
      );
      // However slow the machine, the request ends the same way: the endpoint never answers.
      await deliverer.deliverDue();
      expect(await store.getEventCursor('crm')).toMatchObject({ lastId: 0, failures: 1, lastError: 'timeout: no answer within 50 ms', leaseOwner: null });
    } finally {
      await deliverer.stop(0);
      await sink.stop();
      await store.close();
    }
  });
});
