import express, { type Express } from 'express';
import request from 'supertest';
import { create } from 'xmlbuilder2';
import { reportRoutes } from '../../src/http/report-routes';
import { asApiToken } from '../auth/as-role';
import { IvrCaller } from '../helpers/ivr-caller';
import { campaign, startTestServer, type TestServer } from '../helpers/server';
import { PHONE_BROWSER, WHATSAPP_PREVIEW } from '../helpers/link-visitors';

/**
 * The funnel of real calls, walked as an IVR would against the real server on the real
 * store with a fake clock: offered and accepted (texted, delivered, its link clicked
 * twice), declined, a text the gateway refuses, an offer left unanswered, an unknown
 * DNIS, a call after hours; then the report routes over that store.
 */

const DNIS = '+18005550100';
const UNKNOWN_DNIS = '+18005550199';
const FAILING = '+16175550999';
// Tuesday 24 November 2026, 15:00 in New York (EST, UTC-5).
const TUESDAY_AFTERNOON = '2026-11-24T20:00:00Z';

let server: TestServer;
let clock: Date;
let app: Express;

async function call(at: string, ani: string, dnis = DNIS): Promise<IvrCaller> {
  clock = new Date(at);
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis, ani, callid: 'cvp-1' });
  return caller;
}

beforeAll(async () => {
  clock = new Date(TUESDAY_AFTERNOON);
  server = startTestServer({
    campaigns: [
      campaign({
        timeZone: 'America/New_York',
        hours: { weekly: { mon: ['08:00-20:00'], tue: ['08:00-20:00'], wed: ['08:00-20:00'], thu: ['08:00-20:00'], fri: ['08:00-20:00'] } },
      }),
    ],
    env: { SANDBOX_FAIL_NUMBERS: FAILING },
    now: () => clock,
  });

  // Monday: before the range the tests ask for.
  await (await call('2026-11-23T15:00:00Z', '+16175550001')).press('2');

  const texted = await call('2026-11-24T20:00:00Z', '+16175551234');
  await texted.press('1');
  await texted.press('1');
  expect(texted.ending().result.status).toBe('sent');

  await (await call('2026-11-24T20:05:00Z', '+16175550142')).press('2');

  const refused = await call('2026-11-24T20:10:00Z', FAILING);
  await refused.press('1');
  await refused.press('1');
  await refused.hangUp();

  await (await call('2026-11-24T20:20:00Z', '+16175550177')).giveUp('noinput');
  await call('2026-11-24T20:31:00Z', '+16175550188', UNKNOWN_DNIS);
  // 21:00 in New York: closed.
  expect((await call('2026-11-25T02:00:00Z', '+16175550155')).ending().result.reason).toBe('outside-hours');

  // The next morning the texted caller gets the receipt and taps the link, twice.
  clock = new Date('2026-11-25T15:00:00Z');
  const [sent] = (await server.store.listMessages({ limit: 10, status: 'sent' })).filter((m) => m.to === '+16175551234');
  if (!sent?.vendorMessageId) throw new Error('the text was not sent');
  await server.store.applyReceipt(
    { gateway: 'sandbox', vendorMessageId: sent.vendorMessageId, status: 'delivered', vendorStatus: 'DELIVRD' },
    clock.toISOString(),
  );
  const code = /\/s\/([0-9A-Za-z]{7,16})/.exec(sent.body)?.[1];
  // WhatsApp draws the link's preview first: redirected, not counted.
  expect((await request(server.app).get(`/s/${code}`).set(WHATSAPP_PREVIEW)).status).toBe(302);
  expect((await request(server.app).get(`/s/${code}`).set(PHONE_BROWSER)).status).toBe(302);
  expect((await request(server.app).get(`/s/${code}`).set(PHONE_BROWSER)).status).toBe(302);

  app = express();
  app.use('/api', asApiToken('viewer'), reportRoutes(server.store, () => new Date('2026-11-26T12:00:00Z')));
});

afterAll(async () => {
  await server?.close();
});

const zero = { offered: 0, notOffered: {}, accepted: 0, declined: 0, textsSent: 0, textsDelivered: 0, textsFailed: 0, linksClicked: 0, recontacts: 0, conversationsStarted: 0, conversationsResolved: 0, linksPreviewed: 0 };

describe('store.funnelSlots', () => {
  it('counts each call once per step, in the 15-minute UTC slot it started in', async () => {
    const slots = await server.store.funnelSlots({ from: '2026-11-24T00:00:00.000Z', to: '2026-11-26T00:00:00.000Z' });
    expect(slots).toEqual([
      {
        slot: '2026-11-24T20:00:00.000Z',
        campaignId: 'support',
        dnis: DNIS,
        calls: 3,
        offered: 3,
        notOffered: {},
        accepted: 2,
        declined: 1,
        textsSent: 1,
        textsDelivered: 1,
        textsFailed: 1,
        // Two clicks, one call; counted in the call's slot although they came the next day.
        linksClicked: 1,
        recontacts: 0,
        linksPreviewed: 1,
        conversationsStarted: 0,
        conversationsResolved: 0,
      },
      { ...zero, slot: '2026-11-24T20:15:00.000Z', campaignId: 'support', dnis: DNIS, calls: 1, offered: 1 },
      // Counted, not stored: every unknown DNIS shares one key, so a flood of made-up numbers adds no rows.
      { ...zero, slot: '2026-11-24T20:30:00.000Z', campaignId: null, dnis: 'other', calls: 1, notOffered: { 'unknown-dnis': 1 } },
      { ...zero, slot: '2026-11-25T02:00:00.000Z', campaignId: 'support', dnis: DNIS, calls: 1, notOffered: { 'outside-hours': 1 } },
    ]);
  });

  it('takes calls started in [from, to), of one campaign if asked', async () => {
    const first = await server.store.funnelSlots({ from: '2026-11-24T20:00:00.000Z', to: '2026-11-24T20:20:00.000Z' });
    expect(first.map((s) => [s.slot, s.calls])).toEqual([['2026-11-24T20:00:00.000Z', 3]]);
    const support = await server.store.funnelSlots({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-26T00:00:00.000Z', campaignId: 'support' });
    expect(support.map((s) => [s.slot, s.calls])).toEqual([
      ['2026-11-23T15:00:00.000Z', 1],
      ['2026-11-24T20:00:00.000Z', 3],
      ['2026-11-24T20:15:00.000Z', 1],
      ['2026-11-25T02:00:00.000Z', 1],
    ]);
    expect(await server.store.funnelSlots({ from: '2026-11-24T00:00:00.000Z', to: '2026-11-26T00:00:00.000Z', campaignId: 'sales' })).toEqual([]);
  });
});

describe('GET /reports/funnel', () => {
  it('by hour in New York: 24 rows for the day, the calls in their local hours, the totals and rates', async () => {
    const res = await request(app).get('/api/reports/funnel?from=2026-11-24&to=2026-11-24&timeZone=America/New_York&by=hour');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatchObject({
      by: 'hour',
      timeZone: 'America/New_York',
      from: '2026-11-24T05:00:00.000Z',
      to: '2026-11-25T05:00:00.000Z',
      generatedAt: '2026-11-26T12:00:00.000Z',
    });
    const rows = res.body.rows as Array<{ key: string; calls: number }>;
    expect(rows).toHaveLength(24);
    expect(rows.filter((r) => r.calls > 0).map((r) => [r.key, r.calls])).toEqual([
      ['2026-11-24T15:00', 5],
      ['2026-11-24T21:00', 1],
    ]);
    expect(res.body.rows[21]).toMatchObject({ start: '2026-11-24T21:00:00-05:00', notOffered: { 'outside-hours': 1, 'unknown-dnis': 0 } });
    expect(res.body.total).toEqual({
      key: 'total',
      start: null,
      calls: 6,
      offered: 4,
      notOffered: { 'outside-hours': 1, 'unknown-dnis': 1 },
      accepted: 2,
      declined: 1,
      textsSent: 1,
      textsDelivered: 1,
      textsFailed: 1,
      linksClicked: 1,
      recontacts: 0,
      linksPreviewed: 1,
      conversationsStarted: 0,
      conversationsResolved: 0,
      rates: { acceptance: 0.5, delivery: 1, clickThrough: 1, deflection: 0.1667 },
    });
  });

  it('by day, by campaign, one campaign, and an instant range', async () => {
    const get = async (query: string) => (await request(app).get(`/api/reports/funnel?${query}`)).body;
    const days = await get('from=2026-11-23&to=2026-11-25&timeZone=America/New_York');
    expect(days.rows.map((r: { key: string; calls: number }) => [r.key, r.calls])).toEqual([
      ['2026-11-23', 1],
      ['2026-11-24', 6],
      ['2026-11-25', 0],
    ]);
    const campaigns = await get('from=2026-11-23&to=2026-11-25&timeZone=America/New_York&by=campaign');
    expect(campaigns.rows.map((r: { key: string; calls: number }) => [r.key, r.calls])).toEqual([
      ['(none)', 1],
      ['support', 6],
    ]);
    expect((await get('from=2026-11-24&to=2026-11-24&timeZone=America/New_York&campaign=support')).total.calls).toBe(5);
    const hour = await get(`from=${encodeURIComponent('2026-11-24T15:00:00-05:00')}&to=${encodeURIComponent('2026-11-24T21:00:00Z')}&by=hour`);
    expect(hour.rows.map((r: { key: string; calls: number }) => [r.key, r.calls])).toEqual([['2026-11-24T20:00', 5]]);
  });

  it('as CSV: an attachment named after the range, one line per row', async () => {
    const res = await request(app).get('/api/reports/funnel?from=2026-11-24&to=2026-11-25&timeZone=America/New_York&format=csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe('attachment; filename=funnel-2026-11-24-2026-11-25.csv');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text.split('\r\n')).toEqual([
      'day,start,calls,offered,not_offered,not_offered:outside-hours,not_offered:unknown-dnis,accepted,declined,texts_sent,' +
        'texts_delivered,texts_failed,links_clicked,links_previewed,acceptance_rate,delivery_rate,click_through_rate,deflection_rate,recontacts,' +
        'conversations_started,conversations_resolved',
      '2026-11-24,2026-11-24T00:00:00-05:00,6,4,2,1,1,2,1,1,1,1,1,1,0.5,1,1,0.1667,0,0,0',
      '2026-11-25,2026-11-25T00:00:00-05:00,0,0,0,0,0,0,0,0,0,0,0,0,,,,,0,0,0',
      '',
    ]);
  });
});

/** SVG is not text to supertest: collect the body as a string. */
function getSvg(path: string) {
  return request(app)
    .get(path)
    .buffer(true)
    .parse((res, done) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(null, body));
    });
}

describe('GET /reports/funnel.svg', () => {
  it('the funnel chart (the default) of the same figures', async () => {
    const res = await getSvg('/api/reports/funnel.svg?from=2026-11-24&to=2026-11-24&timeZone=America/New_York');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-security-policy']).toMatch(/default-src 'none'/);
    type Node = { nodeName: string; textContent: string | null; getElementsByTagName(name: string): ArrayLike<Node> };
    const root = (create(res.body as string).node as unknown as { documentElement: Node }).documentElement;
    expect(root.nodeName).toBe('svg');
    const texts = Array.from(root.getElementsByTagName('text')).map((t) => t.textContent);
    expect(texts).toEqual(expect.arrayContaining(['Calls 6', 'Offered 4 · 66.7% of calls', 'Accepted 2 · 50.0% of offered', 'Clicked 1 · 100.0% of sent']));
  });

  it('the series chart, by day', async () => {
    const res = await getSvg('/api/reports/funnel.svg?from=2026-11-23&to=2026-11-25&timeZone=America/New_York&chart=series');
    expect(res.status).toBe(200);
    expect(res.body).toContain('<title>2026-11-24: 6 calls</title>');
  });
});

describe('bad queries: 400, naming the field', () => {
  it.each([
    ['an unknown time zone', 'from=2026-11-24&to=2026-11-24&timeZone=Mars/Olympus', 'timeZone'],
    ['an offset is not a zone', 'from=2026-11-24&to=2026-11-24&timeZone=%2B05:30', 'timeZone'],
    ['to before from', 'from=2026-11-24&to=2026-11-23', 'to'],
    ['an empty instant range', 'from=2026-11-24T00:00:00Z&to=2026-11-24T00:00:00Z', 'to'],
    ['hours over more than 31 days', 'from=2026-11-01&to=2026-12-02&by=hour', 'to'],
    ['days over more than 366 days', 'from=2026-01-01&to=2027-01-02', 'to'],
    ['no such date', 'from=2026-02-30&to=2026-03-01', 'from'],
    ['a date-time without an offset', 'from=2026-11-24T00:00:00&to=2026-11-25', 'from'],
    ['a missing to', 'from=2026-11-24', 'to'],
    ['an unknown grouping', 'from=2026-11-24&to=2026-11-24&by=week', 'by'],
    ['an unknown format', 'from=2026-11-24&to=2026-11-24&format=xml', 'format'],
    ['an unknown field', 'from=2026-11-24&to=2026-11-24&campaing=support', 'campaing'],
  ])('%s', async (_what, query, field) => {
    const res = await request(app).get(`/api/reports/funnel?${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body.fields).toEqual([expect.objectContaining({ field })]);
    expect(res.body.error).toMatch(new RegExp(`^invalid query: ${field}: `));
  });

  it('31 days by hour and 366 by day are fine, counted in local days', async () => {
    expect((await request(app).get('/api/reports/funnel?from=2026-11-01&to=2026-12-01&by=hour&timeZone=America/New_York')).status).toBe(200);
    expect((await request(app).get('/api/reports/funnel?from=2028-01-01&to=2028-12-31')).status).toBe(200);
  });

  it('the chart route takes chart, not format', async () => {
    const bad = await request(app).get('/api/reports/funnel.svg?from=2026-11-24&to=2026-11-24&chart=pie&format=csv');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.map((f: { field: string }) => f.field).sort()).toEqual(['chart', 'format']);
  });
});

