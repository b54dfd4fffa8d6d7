import { createHmac, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { EventSink, type Received } from './sink';

/**
 * Events out with the real app (SQLite store, sandbox gateway, real call flow) and a
 * real HTTP endpoint on a loopback port. The clock is injected: the test moves it
 * through the outage and asks for a delivery pass, instead of waiting on timers.
 */

const SECRET = 'crm-events-secret-0123456789abcdef';
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

/** The receiver's check, written here from the README (not with the code under test). */
function signatureIsGood(r: Received, secret: string, nowSeconds: number): boolean {
  const ts = String(r.headers['x-signature-timestamp'] ?? '');
  const given = String(r.headers['x-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(nowSeconds - Number(ts)) > 300) return false;
  const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${r.body}`).digest('hex')}`;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

interface SentEvent {
  id: number;
  type: string;
  callId: string;
  campaignId: string | null;
  at: string;
  detail: Record<string, unknown>;
}

const eventsOf = (r: Received): SentEvent[] => (JSON.parse(r.body) as { events: SentEvent[] }).events;

describe('events out: an endpoint down, then up', () => {
  let sink: EventSink;
  const servers: TestServer[] = [];
  let clock = T0;
  const now = () => new Date(clock);

  const start = (dataDir?: string, log?: Logger): TestServer => {
    const server = startTestServer({
      ...(log ? { log } : {}),
      env: {
        EVENTS_OUT: JSON.stringify([{ name: 'crm', url: sink.url }]),
        EVENTS_OUT_SECRET_CRM: SECRET,
        // Small batches: the outage's backlog goes out in several requests.
        EVENTS_OUT_BATCH_SIZE: '4',
      },
      now,
      // No jitter: each delay is exactly base × 2^n (2 s, 4 s, 8 s ... capped at 300 s).
      random: () => 0.5,
      // The timer stays out of the way: the test asks for each pass.
      eventsOutPollMs: 3_600_000,
      ...(dataDir ? { dataDir } : {}),
    });
    servers.push(server);
    return server;
  };

  const call = async (server: TestServer, callid: string, ani: string) => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: '+18005550100', ani, callid });
    await caller.press('1');
    await caller.press('1');
  };

  /** Moves the clock on, a step at a time, with a delivery pass at each step. */
  const passTime = async (server: TestServer, seconds: number, step = 5) => {
    for (let t = 0; t < seconds; t += step) {
      clock += step * 1000;
      await server.eventsOut.deliverDue();
    }
  };

  beforeEach(async () => {
    clock = T0;
    sink = await EventSink.start(503);
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    await sink.stop();
  });

  /** Every stored event arrived in a 2xx answer; each id's every copy (failed tries too) is the same. */
  async function expectEverythingDelivered(server: TestServer): Promise<void> {
    const stored = await server.store.eventsAfter(0, 10_000);
    expect(stored.length).toBeGreaterThan(5);
    const accepted = new Set(sink.accepted.flatMap(eventsOf).map((e) => e.id));
    expect(stored.map((e) => e.id).filter((id) => !accepted.has(id))).toEqual([]);
    const copies = new Map<number, string>();
    for (const e of sink.received.flatMap(eventsOf)) {
      const json = JSON.stringify(e);
      expect(copies.get(e.id) ?? json).toBe(json);
      copies.set(e.id, json);
    }
    for (const e of stored) {
      expect(JSON.parse(copies.get(e.id)!)).toEqual({ id: e.id, type: e.type, callId: e.callId, campaignId: e.campaignId, at: e.createdAt, detail: e.detail ?? {} });
    }
    expect(await server.store.getEventCursor('crm')).toMatchObject({ lastId: stored.at(-1)!.id, failures: 0, lastError: null });
  }

  it('down for a minute (503, then connections refused), then up: every event delivered, none lost, repeats the same', async () => {
    const server = start();
    await server.eventsOut.idle();
    await call(server, 'call-1', '+16175551234');
    await server.eventsOut.idle();
    // 503: tried, refused, nothing moved.
    expect(sink.received.length).toBeGreaterThan(0);
    expect(sink.accepted).toEqual([]);
    await passTime(server, 30);
    await sink.refuse();
    await call(server, 'call-2', '+16175550000');
    await passTime(server, 30);
    const failedTries = sink.received.length;
    // Backoff: at 2 s, 4 s, 8 s, 16 s... not every 5 s step of the minute.
    expect(failedTries).toBeGreaterThanOrEqual(3);
    expect(failedTries).toBeLessThan(12);
    // Every try failed in a row: the 503s the sink answered and the refused connections.
    const failures = (await server.store.getEventCursor('crm'))!.failures;
    expect(await server.store.getEventCursor('crm')).toMatchObject({ lastId: 0, lastError: expect.stringMatching(/ECONNREFUSED/) });
    expect(failures).toBeGreaterThan(failedTries);
    // The lag: the oldest undelivered event (call-1's start, at T0) has waited a minute.
    expect((await request(server.app).get('/metrics')).text).toContain('ivr_deflect_events_out_lag_seconds{endpoint="crm"} 60');

    sink.status = 200;
    await sink.accept();
    // The backoff reached 64 s by now: within the cap, the next pass gets through.
    await passTime(server, 300, 30);
    await expectEverythingDelivered(server);
    // In order: each accepted batch starts after the last one's end.
    const ids = sink.accepted.flatMap(eventsOf).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    for (const r of sink.received) {
      expect(signatureIsGood(r, SECRET, Number(r.headers['x-signature-timestamp']))).toBe(true);
      expect(signatureIsGood(r, 'another-secret-0123456789abcdefgh', Number(r.headers['x-signature-timestamp']))).toBe(false);
      expect(r.headers['content-type']).toMatch(/^application\/json/);
    }
    // The timestamp is the (injected) time of sending.
    expect(Number(sink.accepted.at(-1)!.headers['x-signature-timestamp'])).toBeLessThanOrEqual(Math.floor(clock / 1000));
    expect(Number(sink.accepted.at(-1)!.headers['x-signature-timestamp'])).toBeGreaterThan(Math.floor((T0 + 60_000) / 1000));

    // Numbers: masked in the details, never whole anywhere in a body.
    for (const r of sink.received) expect(r.body).not.toMatch(/6175551234|6175550000/);
    const entered = sink.accepted.flatMap(eventsOf).filter((e) => 'number' in e.detail);
    for (const e of entered) expect(e.detail.number).toMatch(/^\+\*+\d{4}$/);

    // The metrics agree: every accepted event counted, every failed try, no lag left.
    const metrics = (await request(server.app).get('/metrics')).text;
    expect(metrics).toContain(`ivr_deflect_events_out_delivered_total{endpoint="crm"} ${sink.accepted.flatMap(eventsOf).length}`);
    expect(metrics).toContain(`ivr_deflect_events_out_failed_attempts_total{endpoint="crm"} ${failures}`);
    expect(metrics).toContain('ivr_deflect_events_out_lag_seconds{endpoint="crm"} 0');
  });

  it('new events after the outage go out promptly: the store\'s observer wakes the deliverer', async () => {
    sink.status = 200;
    const server = start();
    await server.eventsOut.idle();
    const arrived = sink.nextRequest();
    await call(server, 'call-1', '+16175551234');
    // No pass asked for, no clock moved: the commit itself woke it.
    expect(eventsOf(await arrived)[0]).toMatchObject({ type: 'started', callId: expect.any(String) });
    await server.eventsOut.idle();
    await expectEverythingDelivered(server);
  });

  it('a restart mid-outage (a new app on the same SQLite file) still delivers everything', async () => {
    const dataDir = path.join(tempDir('events-out'), 'data');
    const first = start(dataDir);
    await first.eventsOut.idle();
    await call(first, 'call-1', '+16175551234');
    await passTime(first, 20);
    expect(sink.accepted).toEqual([]);
    await first.close();
    servers.splice(servers.indexOf(first), 1);

    sink.status = 200;
    const second = start(dataDir);
    await call(second, 'call-2', '+16175550000');
    await passTime(second, 300, 30);
    await expectEverythingDelivered(second);
    const callIds = new Set(sink.accepted.flatMap(eventsOf).map((e) => e.callId));
    expect(callIds.size).toBe(2);
  });

  it('an endpoint answering 401 (a wrong secret on its side) is retried, never skipped, and logged as an error', async () => {
    sink.status = 401;
    const lines: string[] = [];
    const server = start(undefined, pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }));
    await server.eventsOut.idle();
    await call(server, 'call-1', '+16175551234');
    await passTime(server, 120, 10);
    expect(sink.received.length).toBeGreaterThan(1);
    expect(await server.store.getEventCursor('crm')).toMatchObject({ lastId: 0, lastError: 'HTTP 401 down' });
    const logged = lines.map((l) => JSON.parse(l) as { level: number; msg: string; endpoint?: string });
    expect(logged.filter((l) => l.endpoint === 'crm').every((l) => l.level === 50 && /refuses our events/.test(l.msg))).toBe(true);
    expect(logged.some((l) => l.endpoint === 'crm')).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
    sink.status = 200;
    await passTime(server, 300, 30);
    await expectEverythingDelivered(server);
  });
});
