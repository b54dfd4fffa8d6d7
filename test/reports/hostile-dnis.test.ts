import path from 'node:path';
import Database from 'better-sqlite3';
import request from 'supertest';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN } from '../helpers/server';
import type { TestServer } from '../helpers/server';
import { signIn, startConsole, type Admin } from '../console/helpers';

/**
 * Issue 15 part 8: anyone who can reach /vxml/start can make calls with any DNIS. 220,000
 * made-up numbers used to make the by-DNIS report 52 MB long and the console's by-DNIS
 * page and series chart answer 500 (Math.max(...rows) overflowed the stack). Now numbers
 * no campaign answers are one "(other)" row: the report, its CSV, both charts and the
 * console page stay small and answer 200.
 */

const MADE_UP = 220_000;
// Sunday 22 November 2026, noon UTC: the example campaign has no hours, so calls are offered.
const NOON = new Date('2026-11-22T12:00:00Z');
const RANGE = 'from=2026-11-22&to=2026-11-22&timeZone=UTC&by=dnis';
const DNIS = '+18005550100';
const dnisOf = (i: number) => `+1900${String(i).padStart(7, '0')}`;

/**
 * Copies the call `id` (its row and its events) into calls bulk-1 .. bulk-(count - 1),
 * each with its own DNIS (dnisOf), through a second connection to the store's file (WAL:
 * the server's own connection stays open). The columns are read from the table, so a
 * column added later is copied too.
 */
function copyCall(file: string, id: string, count: number): void {
  const db = new Database(file);
  try {
    const columns = (table: string) => (db.pragma(`table_info(${table})`) as Array<{ name: string }>).map((c) => c.name);
    const numbers = `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count - 1})`;
    const callColumns = columns('calls');
    const callValues = callColumns.map((c) => (c === 'id' ? "'bulk-' || n.i" : c === 'dnis' ? "'+1900' || printf('%07d', n.i)" : `c.${c}`));
    const eventColumns = columns('call_events').filter((c) => c !== 'id');
    const eventValues = eventColumns.map((c) => (c === 'call_id' ? "'bulk-' || n.i" : `e.${c}`));
    db.transaction(() => {
      db.prepare(`INSERT INTO calls (${callColumns.join(', ')}) ${numbers} SELECT ${callValues.join(', ')} FROM n, calls c WHERE c.id = ?`).run(id);
      db.prepare(`INSERT INTO call_events (${eventColumns.join(', ')}) ${numbers} SELECT ${eventValues.join(', ')} FROM n, call_events e WHERE e.call_id = ? ORDER BY n.i, e.id`).run(id);
    })();
    // What the reports below rely on: 220,000 calls, each with an event and a DNIS of its own.
    const made = db.prepare("SELECT COUNT(*) AS calls, COUNT(DISTINCT dnis) AS numbers, (SELECT COUNT(*) FROM call_events WHERE call_id LIKE 'bulk-%') AS events FROM calls WHERE id LIKE 'bulk-%'").get();
    expect(made).toEqual({ calls: count, numbers: count, events: count });
  } finally {
    db.close();
  }
}

// 220,000 calls make each report read seconds long on a loaded machine; nothing asserts time.
jest.setTimeout(180_000);

let server: TestServer;
let admin: Admin;

beforeAll(async () => {
  server = await startConsole({ now: () => NOON });
  // The bulk: calls no campaign answers, each with its own made-up DNIS. The first is
  // stored by the store itself...
  const createdAt = NOON.toISOString();
  const expiresAt = new Date(NOON.getTime() + 60_000).toISOString();
  await server.store.createCall(
    { id: 'bulk-0', campaignId: null, mode: 'goto', dnis: dnisOf(0), ani: '+16175550100', platformCallId: '', state: 'handed-back', result: null, lastPage: null, createdAt, expiresAt },
    [{ type: 'not-offered', detail: { reason: 'unknown-dnis' } }],
  );
  // ...and copied 219,999 times in SQL, every column of its row and of its event as the
  // store wrote them but the call id and the DNIS: the same rows 220,000 createCall's
  // would leave, in one statement each instead of 220,000 inserts through the store (the
  // file's setup took 13 of its 41 s on a quiet machine; this, about a second).
  copyCall(path.join(server.dataDir, 'ivr-deflect.db'), 'bulk-0', MADE_UP);
  // ...and a few through the real IVR door, with the campaign's own number beside them.
  for (const dnis of ['+19990000001', '+19990000002', DNIS]) await new IvrCaller(server.app).start({ dnis, ani: '+16175550123', callid: `real-${dnis}` });
  admin = await signIn(server.app);
}, 10 * 60_000);

afterAll(() => server?.close());

const api = (path: string) => request(server.app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`);

it('the API report by DNIS is one "(other)" row for the made-up numbers, and small', async () => {
  const res = await api(`/api/reports/funnel?${RANGE}`);
  expect(res.status).toBe(200);
  expect(res.text.length).toBeLessThan(10_000);
  const rows = (res.body as { rows: Array<{ key: string; calls: number }> }).rows;
  expect(rows.map((r) => [r.key, r.calls])).toEqual([
    [DNIS, 1],
    ['(other)', MADE_UP + 2],
  ]);
  expect(res.body.total.calls).toBe(MADE_UP + 3);
  expect(res.body.rowsFolded).toBe(0);
});

it('the CSV and both SVG charts answer 200 and stay small', async () => {
  for (const path of [`/api/reports/funnel?${RANGE}&format=csv`, `/api/reports/funnel.svg?${RANGE}&chart=series`, `/api/reports/funnel.svg?${RANGE}`]) {
    const res = await api(path);
    expect([path, res.status]).toEqual([path, 200]);
    expect(Buffer.byteLength(res.text ?? res.body.toString())).toBeLessThan(20_000);
  }
});

it('the console by-DNIS page answers 200 with the "(other)" row and says what it holds', async () => {
  const res = await admin.get(`/admin/reports?${RANGE}`);
  expect(res.status).toBe(200);
  expect(res.text).toContain('(other)');
  expect(res.text).toContain('counts the calls to numbers no campaign answers');
  expect(res.text).toContain('Calls, texts and clicks by DNIS');
  expect(res.text.length).toBeLessThan(100_000);
  const csv = await admin.get(`/admin/reports.csv?${RANGE}`);
  expect(csv.status).toBe(200);
  expect(csv.text.split('\r\n').filter(Boolean)).toHaveLength(3);
});
