import express, { type Express } from 'express';
import request from 'supertest';
import { reportRoutes } from '../../src/http/report-routes';
import { asApiToken } from '../auth/as-role';
import type { CallEvent } from '../../src/store/port';
import { IvrCaller } from '../helpers/ivr-caller';
import { expectValidVxml } from '../helpers/vxml-schema';
import { campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Repeat calls (issue 19 part 3), walked as an IVR would against the real server on the
 * real store with a fake clock: a caller texted on day 0 calls another campaign's DNIS
 * on day 3 (a recontact by ani) and again on day 9 (past the 7-day window: not one); a
 * number texted for a call from another line calls in itself (a recontact by number);
 * a withheld caller texted at a number they typed is never matched when a withheld
 * call comes again. Then the funnel counts the recontacts and the stuck report, asked on
 * day 20 when every window has passed, counts the deflections that stuck.
 */

const SUPPORT = '+18005550100';
const SALES = '+18005550122';
const CALLER = '+16175551234';
const OFFICE = '+16175550142';
const TYPED = '+16172531234';
const DAY = 86_400_000;
// Tuesday 24 November 2026, 15:00 UTC.
const DAY0 = Date.parse('2026-11-24T15:00:00.000Z');
const onDay = (n: number, minutes = 0): string => new Date(DAY0 + n * DAY + minutes * 60_000).toISOString();

let server: TestServer;
let clock: Date;
let app: Express;
/** The offer page the recontacting caller heard on day 3. */
let day3Offer = '';

async function call(at: string, ani: string, dnis = SUPPORT): Promise<IvrCaller> {
  clock = new Date(at);
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis, ani, callid: `cvp-${at}` });
  return caller;
}

/** Offered, accepted, texted at the caller id (or at `typed` when given), as a caller would press it. */
async function textedCall(at: string, ani: string, typed?: string): Promise<void> {
  const caller = await call(at, ani);
  await caller.press('1');
  // A withheld caller is asked for a number straight away; another picks "another number".
  if (typed && ani) await caller.press('2');
  if (typed) await caller.press(typed.replace('+1', ''));
  await caller.press('1');
  expect(caller.ending().result.status).toBe('sent');
}

/** The calls of a day's start: each call's recontact event, if any (by the order of the calls). */
async function recontactsOn(n: number): Promise<Array<CallEvent['detail'] | undefined>> {
  const events = await server.store.searchEvents({ from: onDay(n), to: onDay(n + 1), limit: 1000 });
  const calls = [...new Set(events.filter((e) => e.type === 'started').map((e) => e.callId))];
  return calls.map((id) => events.find((e) => e.callId === id && e.type === 'recontact')?.detail);
}

beforeAll(async () => {
  clock = new Date(DAY0);
  server = startTestServer({
    campaigns: [campaign(), campaign({ id: 'sales', name: 'Sales chat', dnis: ['+1 800 555 0122'], recontactDays: 30 })],
    now: () => clock,
  });

  // Day 0: three texts by support.
  await textedCall(onDay(0), CALLER);
  await textedCall(onDay(0, 5), OFFICE, TYPED);
  await textedCall(onDay(0, 10), '', '+16172539876');
  // Day 3: the caller rings sales (any campaign's DNIS counts) and holds.
  const back = await call(onDay(3), CALLER, SALES);
  day3Offer = back.xml;
  await back.press('2');
  // Day 4: the typed number rings support from that phone; a withheld caller rings too.
  await (await call(onDay(4), TYPED)).press('2');
  await (await call(onDay(4, 5), '')).press('2');
  // Day 9: the caller again, 9 days after the text (support's window is 7).
  await (await call(onDay(9), CALLER)).press('2');

  app = express();
  app.use('/api', asApiToken('viewer'), reportRoutes(server.store, () => new Date(onDay(20)), { recontactDaysOf: (id) => (id === 'sales' ? 30 : 7) }));
});

afterAll(async () => {
  await server?.close();
});

describe('a recontact is recorded on the new call at its start', () => {
  it('the texted caller ringing another campaign on day 3: by ani, naming the earlier campaign and the days since', async () => {
    const [detail] = await recontactsOn(3);
    expect(detail).toMatchObject({ earlierCampaign: 'support', daysSince: 3, matchedBy: 'ani' });
  });

  it('the number texted for a call from another line, calling itself: by number', async () => {
    const [typed, withheld] = await recontactsOn(4);
    expect(typed).toMatchObject({ earlierCampaign: 'support', daysSince: 4, matchedBy: 'number' });
    // A withheld caller was texted on day 0; another withheld call is never matched to it.
    expect(withheld).toBeUndefined();
  });

  it('the caller again on day 9, past support\'s 7-day window: not a recontact', async () => {
    expect(await recontactsOn(9)).toEqual([undefined]);
  });

  it('the first calls of day 0 are none (nothing was texted before them)', async () => {
    expect(await recontactsOn(0)).toEqual([undefined, undefined, undefined]);
  });

  it('offers the recontacting caller as any other, in valid VoiceXML', async () => {
    await expectValidVxml(day3Offer);
    expect(day3Offer).toContain('<form');
  });
});

describe('the reports', () => {
  it('the funnel counts the recontacts by campaign (JSON and CSV)', async () => {
    const res = await request(app).get(`/api/reports/funnel?from=2026-11-24&to=2026-12-05&by=campaign`);
    expect(res.status).toBe(200);
    const byKey = Object.fromEntries((res.body.rows as Array<{ key: string; calls: number; recontacts: number }>).map((r) => [r.key, [r.calls, r.recontacts]]));
    // support: three texted on day 0, the typed number (a recontact) and a withheld caller on day 4, the caller on day 9.
    expect(byKey).toEqual({ sales: [1, 1], support: [6, 1] });
    const csv = await request(app).get(`/api/reports/funnel?from=2026-11-24&to=2026-12-05&by=campaign&format=csv`);
    const [header, sales] = csv.text.trim().split('\r\n');
    const column = header?.split(',').indexOf('recontacts') ?? -1;
    expect(column).toBeGreaterThan(0);
    expect(sales?.split(',')[column]).toBe('1');
  });

  it('deflections that stuck: of support\'s three texts, two callers called again within 7 days, one did not', async () => {
    const res = await request(app).get('/api/reports/stuck?from=2026-11-24&to=2026-11-24');
    expect(res.status).toBe(200);
    expect(res.body.note).toMatch(/fully passed/);
    expect(res.body.rows).toEqual([{ campaignId: 'support', recontactDays: 7, judged: 3, recontacted: 2, stuck: 1, stuckRate: 0.3333, pending: 0 }]);
    const csv = await request(app).get('/api/reports/stuck?from=2026-11-24&to=2026-11-24&format=csv');
    expect(csv.text).toBe('campaign,recontact_days,judged,recontacted,stuck,stuck_rate,pending\r\nsupport,7,3,2,1,0.3333,0\r\n');
  });

  it('judges no text whose window is still open: asked on day 5, all three are pending', async () => {
    const early = express();
    early.use('/api', asApiToken('viewer'), reportRoutes(server.store, () => new Date(onDay(5)), { recontactDaysOf: () => 7 }));
    const res = await request(early).get('/api/reports/stuck?from=2026-11-24&to=2026-11-24');
    expect(res.body.rows).toEqual([{ campaignId: 'support', recontactDays: 7, judged: 0, recontacted: 0, stuck: 0, stuckRate: null, pending: 3 }]);
  });

  it('refuses a bad range with a 400', async () => {
    expect((await request(app).get('/api/reports/stuck?from=2026-11-24&to=2026-11-01')).status).toBe(400);
  });
});
