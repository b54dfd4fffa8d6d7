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
    const deliverer = new EventsDeliverer({
      store,
      settings: {
        endpoints: [{ name: 'crm', url: sink.url, types: undefined, secret: 'x'.repeat(32) }],
        batchSize: 10,
        maxBodyBytes: 65_536,
        // Below what EVENTS_OUT_TIMEOUT_MS allows: the test's endpoint never answers.
        timeoutMs: 50,
        retryBaseMs: 2_000,
        retryCapMs: 300_000,
        pollMs: 3_600_000,
      },
      log: pino({ level: 'silent' }),
      now: () => new Date(clock),
      random: () => 0.5,
    });
    try {
      await deliverer.deliverDue();
      await store.createCall(
        { id: 'c1', campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: '', platformCallId: '', state: 'offered', result: null, lastPage: null, createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 3_600_000).toISOString() },
        [{ type: 'started' }],
      );
      await deliverer.deliverDue();
      expect(await store.getEventCursor('crm')).toMatchObject({
        lastId: 0,
        failures: 1,
        nextAttemptAt: new Date(clock + 2_000).toISOString(),
        lastError: expect.stringMatching(/timeout/),
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
