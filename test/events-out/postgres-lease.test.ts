import pino from 'pino';
import { EventsDeliverer } from '../../src/events-out/deliverer';
import type { EventsOutSettings } from '../../src/events-out/settings';
import type { PgStore } from '../../src/store/postgres';
import { newCall } from '../helpers/new-call';
import { describePostgres, TestSchema } from '../helpers/postgres';
import { EventSink, type Received } from './sink';

/**
 * Two instances on one PostgreSQL, one endpoint: the cursor's lease lets one of them send
 * a batch at a time; when the holder dies mid-request, the other takes over at the end of
 * the lease and sends the same batch again (the same ids: the receiver de-duplicates).
 */

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const SECRET = 'bi-events-secret-0123456789abcdefgh';

const ids = (r: Received): number[] => (JSON.parse(r.body) as { events: { id: number }[] }).events.map((e) => e.id);

describePostgres('events out on PostgreSQL: two instances, one endpoint', () => {
  let schema: TestSchema;
  let sink: EventSink;
  let a: PgStore;
  let b: PgStore;
  let clock = T0;
  const deliverers: EventsDeliverer[] = [];

  const deliverer = (store: PgStore, batchSize = 100): EventsDeliverer => {
    const settings: EventsOutSettings = {
      endpoints: [{ name: 'bi', url: sink.url, types: undefined, secret: SECRET }],
      batchSize,
      maxBodyBytes: 256 * 1024,
      timeoutMs: 10_000,
      retryBaseMs: 2_000,
      retryCapMs: 300_000,
      pollMs: 3_600_000,
    };
    const d = new EventsDeliverer({ store, settings, log: pino({ level: 'silent' }), now: () => new Date(clock) });
    deliverers.push(d);
    return d;
  };

  const record = async (store: PgStore, id: string) =>
    store.createCall(newCall(id, { createdAt: new Date(clock).toISOString(), expiresAt: new Date(clock + 3_600_000).toISOString() }), [
      { type: 'started' },
      { type: 'offered' },
    ]);

  beforeEach(async () => {
    clock = T0;
    schema = new TestSchema();
    sink = await EventSink.start(200);
    a = await schema.open();
    b = await schema.open();
  });

  afterEach(async () => {
    sink.release();
    for (const d of deliverers.splice(0)) await d.stop(0);
    await sink.stop();
    await schema.drop();
  });

  it('never sends one batch from both at once; a dead holder\'s batch is taken over at its lease\'s end, same ids', async () => {
    const first = deliverer(a);
    const second = deliverer(b);
    // The cursor starts at the newest event: create it before the events.
    await first.deliverDue();
    await record(a, 'call-1');
    await record(b, 'call-2');

    sink.hold();
    const arrived = sink.nextRequest();
    const firstPass = first.deliverDue();
    const batch = await arrived;
    // The first holds the lease, its request unanswered: the second sends nothing.
    await second.deliverDue();
    expect(sink.received).toHaveLength(1);

    // The first instance hangs; past its lease (timeout + margin) the second takes over.
    clock += 26_000;
    const again = sink.nextRequest();
    const secondPass = second.deliverDue();
    const retried = await again;
    expect(ids(retried)).toEqual(ids(batch));
    expect(retried.body).toBe(batch.body);
    expect(sink.received).toHaveLength(2);
    sink.release();
    await Promise.all([firstPass, secondPass]);

    // The second's success moved the cursor; the first's late success wrote nothing over it.
    const events = await a.eventsAfter(0, 100);
    expect(ids(batch)).toEqual(events.map((e) => e.id));
    expect(await a.getEventCursor('bi')).toMatchObject({ lastId: events.at(-1)!.id, leaseOwner: null });
  });

  // Another instance's transaction, mid-way: it has inserted an event (so drawn the smaller
  // id) and not committed. Writers take no lock any more: a's write commits at once, with
  // larger ids that a reader must not pass while the first may still commit.
  const openEarlyEvent = async () => {
    const other = await schema.connect();
    await other.query('BEGIN');
    await other.query(
      `INSERT INTO call_events (call_id, campaign_id, type, detail, created_at) VALUES ('call-early', 'support', 'started', NULL, $1)`,
      [new Date(clock).toISOString()],
    );
    return other;
  };

  it('reads no event past one a transaction still running may commit: it waits for that writer, then answers both in id order', async () => {
    const other = await openEarlyEvent();
    let paused = 0;
    // The reader's first pause: it found the writer running. End that writer there.
    const reader = await schema.open({
      eventHorizon: {
        waitMs: 60_000,
        pause: async () => {
          if (paused++ === 0) await other.query('COMMIT');
        },
      },
    });
    await record(a, 'call-late');
    const events = await reader.eventsAfter(0, 10);
    expect(paused).toBeGreaterThan(0);
    expect(events.map((e) => e.callId)).toEqual(['call-early', 'call-late', 'call-late']);
    expect(events.map((e) => e.id)).toEqual([...events.map((e) => e.id)].sort((x, y) => x - y));
  });

  it('a writer that stays open holds the horizon: reads answer only what was settled before it, and go on once it ends (rolled back: its id is a gap)', async () => {
    const reader = await schema.open({ eventHorizon: { waitMs: 0 } });
    await record(a, 'call-1');
    const settled = await reader.eventsAfter(0, 10);
    expect(settled.map((e) => e.callId)).toEqual(['call-1', 'call-1']);
    const other = await openEarlyEvent();
    await record(b, 'call-2');
    // call-2's events are committed above the open one's id: not readable while it may still commit.
    expect((await reader.eventsAfter(0, 10)).map((e) => e.callId)).toEqual(['call-1', 'call-1']);
    expect(await reader.eventsAfter(settled.at(-1)!.id, 10)).toEqual([]);
    await other.query('ROLLBACK');
    expect((await reader.eventsAfter(settled.at(-1)!.id, 10)).map((e) => e.callId)).toEqual(['call-2', 'call-2']);
  });

  it('writers committing out of order, a reader moving its cursor all along: every event read once, none passed', async () => {
    const reader = await schema.open();
    const seen: number[] = [];
    let cursor = 0;
    let writing = true;
    const reading = (async () => {
      for (;;) {
        const batch = await reader.eventsAfter(cursor, 7);
        seen.push(...batch.map((e) => e.id));
        if (batch.length) cursor = batch.at(-1)!.id;
        else if (!writing) return;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    // Eight connections each writing ten transactions that stay open a few round trips
    // after their insert (as a transaction does that writes more after its events): their
    // ids commit out of order. The stores' own single statements run beside them.
    const writers = await Promise.all(Array.from({ length: 8 }, () => schema.connect()));
    const transactions = writers.map(async (c, w) => {
      for (let t = 0; t < 10; t += 1) {
        await c.query('BEGIN');
        await c.query(`INSERT INTO call_events (call_id, campaign_id, type, detail, created_at) VALUES ($1, 'support', 'started', NULL, $2)`, [`raw-${w}-${t}`, new Date(clock).toISOString()]);
        for (let n = (w * 7 + t * 3) % 4; n > 0; n -= 1) await c.query('SELECT 1');
        await c.query('COMMIT');
      }
    });
    const stores = Array.from({ length: 20 }, (_, i) => record(i % 2 ? a : b, `call-${i}`));
    await Promise.all([...transactions, ...stores]);
    writing = false;
    await reading;
    const all = (await writers[0]!.query<{ id: string }>('SELECT id FROM call_events ORDER BY id')).rows.map((r) => Number(r.id));
    expect(all).toHaveLength(120);
    expect(seen).toEqual(all);
  });

  it('both woken together, again and again: every event sent once and in order, never two requests at once', async () => {
    const first = deliverer(a, 2);
    const second = deliverer(b, 2);
    await first.deliverDue();
    for (let i = 0; i < 6; i += 1) await record(i % 2 ? a : b, `call-${i}`);
    // Twelve events in batches of two: both instances try for each batch.
    for (let round = 0; round < 6; round += 1) await Promise.all([first.deliverDue(), second.deliverDue()]);
    expect(sink.mostAtOnce).toBe(1);
    expect(sink.received.flatMap(ids)).toEqual((await a.eventsAfter(0, 100)).map((e) => e.id));
  });
});
