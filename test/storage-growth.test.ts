import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import pino from 'pino';
import request from 'supertest';
import { composeSharedServer, type Server } from '../src/compose';
import { loadConfig } from '../src/config';
import { IvrCaller } from './helpers/ivr-caller';
import { describePostgres, TEST_DATABASE_URL } from './helpers/postgres';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from './helpers/server';
import { expectValidVxml } from './helpers/vxml-schema';

/**
 * Issue 15 part 2, replayed against the real app: a script floods /vxml/start with made-up
 * DNIS values (a new one each time), with none at all, and with huge platform call ids.
 * Before, every start stored a call, its rendered page and three events (about 950 bytes
 * each): 1,400 requests/s filled about 6 GB an hour. Now a call that is never offered is
 * counted (one row per 15-minute slot, campaign, DNIS and reason, every unknown or missing
 * DNIS under one key), not stored; the caller still gets a valid hand-back document.
 */

const DNIS = '+18005550100';
const UNKNOWN_STARTS = 60;
const MISSING_STARTS = 20;
// Counted in requests, not time: on a busy machine a flood of 80 may take a while.
const FLOOD_TIMEOUT_MS = 180_000;
const HUGE_CALL_ID = 'x'.repeat(5_000);
const CLOCK = new Date('2026-11-24T20:00:00Z');

/** A made-up DNIS per request, as a script trying to make a row each time would send. */
const madeUpDnis = (i: number) => `+1900555${String(i).padStart(4, '0')}`;

/** Starts the calls twenty at a time; returns each hand-back's reason and one document of each kind. */
async function flood(app: Server['app']): Promise<{ reasons: Map<string, number>; documents: string[] }> {
  const params = [
    ...Array.from({ length: UNKNOWN_STARTS }, (_, i) => ({ dnis: madeUpDnis(i), ani: '+16175551234', callid: HUGE_CALL_ID })),
    ...Array.from({ length: MISSING_STARTS }, () => ({ ani: '+16175551234', callid: HUGE_CALL_ID })),
  ];
  const reasons = new Map<string, number>();
  const documents = new Map<string, string>();
  for (let i = 0; i < params.length; i += 20) {
    const callers = await Promise.all(
      params.slice(i, i + 20).map(async (p) => {
        const caller = new IvrCaller(app);
        await caller.start(p);
        return caller;
      }),
    );
    for (const caller of callers) {
      const { result } = caller.ending();
      expect(result.status).toBe('unavailable');
      reasons.set(result.reason ?? '', (reasons.get(result.reason ?? '') ?? 0) + 1);
      documents.set(result.reason ?? '', caller.xml);
    }
  }
  return { reasons, documents: [...documents.values()] };
}

async function notOfferedToday(app: Server['app']): Promise<Record<string, number>> {
  const res = await request(app).get('/api/reports/funnel?from=2026-11-24&to=2026-11-24&timeZone=UTC').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body.total.notOffered as Record<string, number>;
}

const expectedReasons = new Map([
  ['unknown-dnis', UNKNOWN_STARTS],
  ['missing-dnis', MISSING_STARTS],
]);

describe('SQLite: a flood of starts that are never offered', () => {
  let server: TestServer;
  beforeAll(() => {
    server = startTestServer({ campaigns: [campaign()], now: () => CLOCK });
  });
  afterAll(() => server.close());

  it('hands every call back with a valid document, counts them in the funnel report, and stores no call', async () => {
    const { reasons, documents } = await flood(server.app);
    expect(reasons).toEqual(expectedReasons);
    // Together: the validator checks the documents asked for at once in one xmllint run.
    await Promise.all(documents.map((xml) => expectValidVxml(xml)));
    expect(await notOfferedToday(server.app)).toEqual({ 'unknown-dnis': UNKNOWN_STARTS, 'missing-dnis': MISSING_STARTS });

    const db = new Database(path.join(server.dataDir, 'ivr-deflect.db'), { readonly: true });
    try {
      const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      expect([count('calls'), count('call_events')]).toEqual([0, 0]);
      // One counter per reason: the made-up DNIS values made no rows of their own.
      expect(db.prepare('SELECT dnis, reason, calls FROM not_offered_counts ORDER BY reason').all()).toEqual([
        { dnis: 'other', reason: 'missing-dnis', calls: MISSING_STARTS },
        { dnis: 'other', reason: 'unknown-dnis', calls: UNKNOWN_STARTS },
      ]);
    } finally {
      db.close();
    }
  }, FLOOD_TIMEOUT_MS);

  it('still stores an offered call in full, with the platform call id cut to 64 characters', async () => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: '+16175551234', callid: HUGE_CALL_ID });
    expect(caller.isQuestion()).toBe(true);
    const callId = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1] ?? '';
    expect((await server.store.getCall(callId))?.platformCallId).toBe('x'.repeat(64));
  });
});

describePostgres('PostgreSQL: a flood of starts that are never offered', () => {
  const schema = `growth_${Math.random().toString(16).slice(2, 10)}`;
  let server: Server;

  async function query<T>(sql: string): Promise<T[]> {
    const client = new Client({ connectionString: TEST_DATABASE_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  }

  beforeAll(async () => {
    await query(`CREATE SCHEMA ${schema}`);
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    server = await composeSharedServer(loadConfig({ DATABASE_URL: url.href, ADMIN_TOKEN, PUBLIC_BASE_URL, IVR_ALLOWED_CIDRS: '127.0.0.0/8,::1' }), pino({ level: 'silent' }), {
      now: () => CLOCK,
    });
  });
  afterAll(async () => {
    await server?.close();
    await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });

  it('hands every call back, counts them in the funnel report, and stores no call', async () => {
    const { reasons } = await flood(server.app);
    expect(reasons).toEqual(expectedReasons);
    expect(await notOfferedToday(server.app)).toEqual({ 'unknown-dnis': UNKNOWN_STARTS, 'missing-dnis': MISSING_STARTS });
    expect(await query('SELECT (SELECT count(*) FROM calls)::int AS calls, (SELECT count(*) FROM call_events)::int AS events')).toEqual([
      { calls: 0, events: 0 },
    ]);
    expect(await query('SELECT dnis, reason, calls FROM not_offered_counts ORDER BY reason')).toEqual([
      { dnis: 'other', reason: 'missing-dnis', calls: MISSING_STARTS },
      { dnis: 'other', reason: 'unknown-dnis', calls: UNKNOWN_STARTS },
    ]);
  }, FLOOD_TIMEOUT_MS);
});
