import request from 'supertest';
import { EXPORT_PAGE_SIZE } from '../../src/http/admin/event-export';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';

/**
 * GET /api/events/export: a range of call events for a warehouse, NDJSON or CSV, read
 * from the store page by page (more events than one page here), formula-safe CSV, the
 * range bounded, the admin token required.
 */

const DAY = Date.parse('2026-11-02T00:00:00.000Z');
const at = (ms: number) => new Date(DAY + ms).toISOString();
const CALLS = Math.ceil((EXPORT_PAGE_SIZE * 1.5) / 2);

describe('GET /api/events/export', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = startTestServer();
    // Two events a call, one call a second: more than one page of the store's reads.
    for (let i = 0; i < CALLS; i += 1) {
      await server.store.createCall(
        {
          id: `call-${i}`,
          campaignId: i % 3 ? 'support' : 'sales',
          mode: 'goto',
          dnis: '+18005550100',
          ani: '+16175559876',
          platformCallId: '',
          state: 'offered',
          result: null,
          lastPage: null,
          createdAt: at(i * 1000),
          expiresAt: at(i * 1000 + 3_600_000),
        },
        // A detail a spreadsheet would run as a formula if it were let through.
        [{ type: 'started' }, { type: 'number-entered', detail: { number: '+*******1234', note: '=HYPERLINK("x")' } }],
      );
    }
    // One the day after: outside the range.
    await server.store.createCall(
      { id: 'later', campaignId: 'support', mode: 'goto', dnis: '+18005550100', ani: '', platformCallId: '', state: 'offered', result: null, lastPage: null, createdAt: at(86_400_000), expiresAt: at(90_000_000) },
      [{ type: 'started' }],
    );
  });

  afterAll(() => server.close());

  /** The answer with its body as text, whatever its type (supertest buffers only the types it knows). */
  const get = async (query: string) => {
    const res = await request(server.app)
      .get(`/api/events/export?${query}`)
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .buffer(true)
      .parse((stream, done) => {
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (text += chunk));
        stream.on('end', () => done(null, text));
      });
    return { status: res.status, headers: res.headers, text: res.body as string };
  };
  const range = `from=${at(0)}&to=${at(86_400_000)}`;

  it('answers NDJSON: every event of the range once, in id order, as events out sends them', async () => {
    const res = await get(range);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toContain('events-2026-11-02-2026-11-03.ndjson');
    const lines = res.text.trimEnd().split('\n').map((l) => JSON.parse(l) as { id: number; type: string; callId: string; at: string; detail: object });
    expect(lines.length).toBe(CALLS * 2);
    expect(lines.length).toBeGreaterThan(EXPORT_PAGE_SIZE);
    const stored = await server.store.eventsAfter(0, 10_000);
    expect(lines.map((l) => l.id)).toEqual(stored.filter((e) => e.callId !== 'later').map((e) => e.id));
    expect(new Set(lines.map((l) => l.id)).size).toBe(lines.length);
    expect(lines[1]).toEqual({ id: stored[1]!.id, type: 'number-entered', callId: 'call-0', campaignId: 'sales', at: at(0), detail: { number: '+*******1234', note: '=HYPERLINK("x")' } });
  });

  it('answers CSV: a header, one row per event, the detail as one JSON cell', async () => {
    const res = await get(`${range}&format=csv&type=number-entered&campaign=support`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const rows = res.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe('id,type,call_id,campaign_id,at,detail');
    const support = Array.from({ length: CALLS }, (_, i) => i).filter((i) => i % 3);
    expect(rows.length - 1).toBe(support.length);
    // RFC 4180: the JSON cell quoted, its quotes doubled.
    const detail = JSON.stringify({ number: '+*******1234', note: '=HYPERLINK("x")' });
    expect(rows[1]).toMatch(new RegExp(`^\\d+,number-entered,call-1,support,2026-11-02T00:00:01\\.000Z,`));
    expect(rows[1]!.slice(rows[1]!.indexOf(',2026-11-02T00:00:01.000Z,') + 26)).toBe(`"${detail.replace(/"/g, '""')}"`);
  });

  it('refuses a range longer than 31 days, a reversed one, an unknown format, and a missing token', async () => {
    expect((await get(`from=${at(0)}&to=${at(32 * 86_400_000)}`)).status).toBe(400);
    expect((await get(`from=${at(1000)}&to=${at(0)}`)).status).toBe(400);
    expect((await get(`${range}&format=xlsx`)).status).toBe(400);
    expect((await request(server.app).get(`/api/events/export?${range}`)).status).toBe(401);
  });

  it('answers an empty range with nothing (CSV: the header alone)', async () => {
    const empty = `from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`;
    expect((await get(empty)).text).toBe('');
    expect((await get(`${empty}&format=csv`)).text).toBe('id,type,call_id,campaign_id,at,detail\r\n');
  });
});
