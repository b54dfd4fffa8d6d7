import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Server as HttpServer } from 'node:http';
import request from 'supertest';
import type { CampaignInput } from '../src/campaigns/schema';
import { engagementPath, lpAvailable, lpError, lpHang, lpNotAvailable, startFakeLivePerson, type FakeLivePerson } from './fakes/liveperson';
import { json, startFakeServer, type FakeServer } from './fakes/fake-server';
import { startFakeTwilioLookup, type FakeTwilioLookup } from './fakes/twilio-lookup';
import { TWILIO_ACCOUNT } from './fakes/twilio';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from './helpers/server';
import { PHONE_BROWSER } from './helpers/link-visitors';

/**
 * Whether a call is offered, and where its text may go, walked as an IVR would against
 * the real server on the real store: availability (static, LivePerson, any JSON
 * endpoint), opening hours, the service switch, limits, number rules, consent evidence,
 * expiring links and offer variants.
 */

const DNIS = '+18005550100';
const MOBILE = '+16175551234';
// Tuesday 24 November 2026, 15:00 in New York (EST, UTC-5).
const TUESDAY_AFTERNOON = new Date('2026-11-24T20:00:00Z');

let server: TestServer | undefined;
let clock: Date;
afterEach(async () => {
  await server?.close();
  server = undefined;
});
beforeEach(() => {
  clock = new Date(TUESDAY_AFTERNOON);
});

function start(campaigns: CampaignInput[] = [campaign()], env: Record<string, string> = {}): TestServer {
  // The fake endpoints listen on 127.0.0.1, as an operator testing locally would allow.
  server = startTestServer({ campaigns, env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1', ...env }, now: () => clock });
  return server;
}

const admin = (srv: TestServer) => ({
  get: (path: string) => request(srv.app).get(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`),
  put: (path: string, body: object) => request(srv.app).put(path).set('Authorization', `Bearer ${ADMIN_TOKEN}`).send(body),
});

const callIds = new WeakMap<IvrCaller, string>();

/** The call's id, as the server wrote it in the documents (a call handed back at once has none: it is counted, not stored). */
function callIdOf(caller: IvrCaller): string {
  const id = callIds.get(caller);
  if (!id) throw new Error('no call id recorded for this caller');
  return id;
}

/** The calls not offered on the clock's UTC day, by reason, as the admin's funnel report counts them. */
async function notOfferedToday(srv: TestServer): Promise<Record<string, number>> {
  const day = clock.toISOString().slice(0, 10);
  const res = await admin(srv).get(`/api/reports/funnel?from=${day}&to=${day}&timeZone=UTC`);
  expect(res.status).toBe(200);
  return res.body.total.notOffered as Record<string, number>;
}

/** A pino logger whose JSON lines the test reads back: what an operator sees in the log. */
function capturedLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

async function callFrom(srv: TestServer | string, ani: string, dnis = DNIS): Promise<IvrCaller> {
  const caller = new IvrCaller(typeof srv === 'string' ? srv : srv.app);
  await caller.start({ dnis, ani, callid: 'cvp-1' });
  const inDocument = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1];
  if (inDocument) callIds.set(caller, inDocument);
  return caller;
}

/** Accepts the offer and confirms the number called from. */
async function acceptAndConfirm(caller: IvrCaller): Promise<void> {
  await caller.press('1');
  await caller.press('1');
}

async function messagesOf(srv: TestServer) {
  const res = await admin(srv).get('/api/messages?limit=500&reveal=true&reason=test+assertions');
  expect(res.status).toBe(200);
  return res.body.messages as Array<{ to: string; body: string; callId: string; status: string }>;
}

async function eventsOf(srv: TestServer, callId: string) {
  return srv.store.listEvents(callId);
}

function shortCodeIn(body: string): string {
  const match = /\/s\/([0-9A-Za-z]{7,16})/.exec(body);
  if (!match?.[1]) throw new Error(`no short link in "${body}"`);
  return match[1];
}

describe('static availability, the default', () => {
  it('offers every call, without asking anyone', async () => {
    const srv = start();
    const caller = await callFrom(srv, MOBILE);
    expect(caller.isQuestion()).toBe(true);
    const events = await eventsOf(srv, callIdOf(caller));
    expect(events.map((e) => e.type)).toEqual(['started', 'offered']);
    expect(events[1]?.detail).toEqual({ availability: 'static' });
  });
});

describe('the service switch', () => {
  it('hands every call back silently while off, and offers again from the next call once on', async () => {
    const srv = start();
    expect((await admin(srv).get('/api/service')).body).toEqual({ enabled: true, changedBy: null, changedAt: null });

    const off = await admin(srv).put('/api/service', { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ enabled: false, changedBy: 'admin-api' });

    const caller = await callFrom(srv, MOBILE);
    expect(caller.isQuestion()).toBe(false);
    expect(caller.prompts()).toBe('');
    expect(caller.ending().result).toEqual({ status: 'unavailable', reason: 'service-off', maskedNumber: '' });

    await admin(srv).put('/api/service', { enabled: true });
    expect((await callFrom(srv, MOBILE)).isQuestion()).toBe(true);
  });

  it('is kept across a restart', async () => {
    const first = start();
    await admin(first).put('/api/service', { enabled: false });
    await first.close();
    server = startTestServer({ campaigns: [campaign()], dataDir: first.dataDir, now: () => clock });
    expect((await callFrom(server, MOBILE)).ending().result.reason).toBe('service-off');
  });

  it('refuses a body that is not {enabled: boolean}, naming the field, and a request without the token', async () => {
    const srv = start();
    const bad = await admin(srv).put('/api/service', { enabled: 'yes' });
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual([expect.objectContaining({ field: 'enabled' })]);
    expect((await request(srv.app).put('/api/service').send({ enabled: false })).status).toBe(401);
    expect((await admin(srv).get('/api/service')).body.enabled).toBe(true);
  });
});

describe('opening hours', () => {
  const hours = {
    timeZone: 'America/New_York',
    hours: {
      weekly: { mon: ['08:00-20:00'], tue: ['08:00-20:00'], wed: ['08:00-20:00'], thu: ['08:00-20:00'], fri: ['08:00-20:00'] },
      closed: ['2026-11-26'],
    },
  };

  it.each([
    ['Tuesday 15:00 New York time', '2026-11-24T20:00:00Z', true],
    ['Tuesday 07:59', '2026-11-24T12:59:00Z', false],
    ['Tuesday 08:00', '2026-11-24T13:00:00Z', true],
    ['Tuesday 20:00 (closing time)', '2026-11-25T01:00:00Z', false],
    ['Thanksgiving, a dated closure', '2026-11-26T17:00:00Z', false],
    ['Saturday', '2026-11-28T17:00:00Z', false],
  ])('%s: offered = %s', async (_when, iso, offered) => {
    clock = new Date(iso);
    const srv = start([campaign(hours)]);
    const caller = await callFrom(srv, MOBILE);
    expect(caller.isQuestion()).toBe(offered);
    if (!offered) {
      expect(caller.ending().result).toEqual({ status: 'unavailable', reason: 'outside-hours', maskedNumber: '' });
      expect(await notOfferedToday(srv)).toEqual({ 'outside-hours': 1 });
    }
  });

  it('refuses a campaign with hours but no time zone, at start-up', () => {
    expect(() => start([campaign({ hours: hours.hours })])).toThrow(/timeZone: is required when hours are set/);
  });
});

describe('LivePerson IVR Engagement API', () => {
  let lp: FakeLivePerson;
  beforeEach(async () => {
    lp = await startFakeLivePerson();
  });
  afterEach(() => lp.close());

  const liveperson = (extra: Record<string, unknown> = {}): CampaignInput =>
    campaign({
      availability: { kind: 'liveperson', accountId: '90412079', baseUrl: lp.url, consumerSections: ['Support'], ...extra },
    } as Partial<CampaignInput>);

  it('"Not Available": no offer, the call is handed back at once with the reason recorded', async () => {
    lp.respond(() => lpNotAvailable());
    const srv = start([liveperson()]);
    const caller = await callFrom(srv, MOBILE);
    expect(caller.isQuestion()).toBe(false);
    expect(caller.ending().result).toEqual({ status: 'unavailable', reason: 'not-available', maskedNumber: '' });
    expect(lp.requests).toHaveLength(1);
    expect(lp.requests[0]?.path).toBe(engagementPath('90412079'));
    expect(JSON.parse(lp.requests[0]?.body ?? '')).toMatchObject({ appType: 'IVR', consumerSections: ['Support'] });
    expect(await notOfferedToday(srv)).toEqual({ 'not-available': 1 });
  });

  it('"Available": the engagement\'s own chat URL arrives by text, one per call, never reused', async () => {
    const srv = start([liveperson()]);
    const first = await callFrom(srv, MOBILE);
    await acceptAndConfirm(first);
    expect(first.ending().result.status).toBe('sent');
    const second = await callFrom(srv, '+16175550142');
    await acceptAndConfirm(second);
    expect(lp.requests).toHaveLength(2);

    const messages = await messagesOf(srv);
    expect(messages).toHaveLength(2);
    const targets = await Promise.all(
      messages.map(async (m) => (await request(srv.app).get(`/s/${shortCodeIn(m.body)}`)).headers.location as string),
    );
    for (const target of targets) expect(target).toMatch(/^https:\/\/lpcdn\.lpsnmedia\.net\/le_unified_window\/index\.html\?lpUnifiedWindowConfig=\d+$/);
    expect(new Set(targets).size).toBe(2);
  });

  it('the short link to a chat URL lives only as long as LivePerson says it is valid, then shows a friendly page', async () => {
    lp.respond(() => lpAvailable({ validForSeconds: 120 }));
    const srv = start([liveperson({ maxWaitSeconds: 600 })]);
    const caller = await callFrom(srv, MOBILE);
    await acceptAndConfirm(caller);
    const [message] = await messagesOf(srv);
    const code = shortCodeIn(message?.body ?? '');

    clock = new Date(clock.getTime() + 119_000);
    expect((await request(srv.app).get(`/s/${code}`).set(PHONE_BROWSER)).status).toBe(302);
    clock = new Date(clock.getTime() + 1_000);
    const expired = await request(srv.app).get(`/s/${code}`).set(PHONE_BROWSER);
    expect(expired.status).toBe(410);
    expect(expired.text).toContain('This link has expired');
    const events = (await eventsOf(srv, callIdOf(caller))).map((e) => e.type);
    expect(events.filter((t) => t === 'link-clicked')).toHaveLength(1);
    expect(events).toContain('link-expired');
  });

  it('asks again when the chat URL ran out while the caller was keying, and texts the fresh one', async () => {
    lp.respond(() => lpAvailable({ validForSeconds: 30 }));
    const srv = start([liveperson()]);
    const caller = await callFrom(srv, MOBILE);
    await caller.press('1');
    clock = new Date(clock.getTime() + 31_000);
    await caller.press('1');
    expect(caller.ending().result.status).toBe('sent');
    expect(lp.requests).toHaveLength(2);
    const [message] = await messagesOf(srv);
    const target = (await request(srv.app).get(`/s/${shortCodeIn(message?.body ?? '')}`)).headers.location;
    expect(target).toMatch(/lpUnifiedWindowConfig=\d+$/);
  });

  it('does not offer when the expected wait is longer than the campaign allows', async () => {
    lp.respond(() => lpAvailable({ expectedWaitTimeSeconds: 900 }));
    const srv = start([liveperson({ maxWaitSeconds: 600 })]);
    expect((await callFrom(srv, MOBILE)).ending().result.reason).toBe('wait-too-long');
  });

  it('a check that times out is recorded and, by default, hands the call back', async () => {
    lp.respond(() => lpHang());
    const { log, lines } = capturedLog();
    server = startTestServer({ campaigns: [liveperson({ timeoutMs: 300 })], now: () => clock, log, env: { OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' } });
    const srv = server;
    // The fake never answers: the call can only end because the check gave up at its timeout.
    const caller = await callFrom(srv, MOBILE);
    expect(caller.ending().result).toEqual({ status: 'unavailable', reason: 'availability-error', maskedNumber: '' });
    expect(await notOfferedToday(srv)).toEqual({ 'availability-error': 1 });
    // Counted, not stored: why the check failed is in the log.
    expect(lines.find((l) => l.msg === 'call handed back at start')).toMatchObject({
      reason: 'availability-error',
      detail: 'LivePerson: no answer within 300 ms',
    });
  });

  it('with onError "offer", a failing check still offers, texting the campaign link', async () => {
    lp.respond(() => lpError(500, 'Internal error', 1003));
    const srv = start([liveperson({ onError: 'offer' })]);
    const caller = await callFrom(srv, MOBILE);
    expect(caller.isQuestion()).toBe(true);
    expect((await eventsOf(srv, callIdOf(caller)))[1]?.detail).toEqual({
      availability: 'error',
      availabilityError: 'LivePerson answered HTTP 500',
    });
    await acceptAndConfirm(caller);
    const [message] = await messagesOf(srv);
    const target = (await request(srv.app).get(`/s/${shortCodeIn(message?.body ?? '')}`)).headers.location;
    expect(target).toMatch(/^https:\/\/chat\.example\.com\/start\?customer=%2B16175551234/);
  });

  it('reuses a "Not Available" answer for a few seconds instead of asking for every call', async () => {
    lp.respond(() => lpNotAvailable());
    const srv = start([liveperson({ cacheSeconds: 5 })]);
    for (let i = 0; i < 3; i++) expect((await callFrom(srv, MOBILE)).ending().result.reason).toBe('not-available');
    expect(lp.requests).toHaveLength(1);
    expect(await notOfferedToday(srv)).toEqual({ 'not-available': 3 });
  });
});

describe('any JSON availability endpoint', () => {
  let endpoint: FakeServer;
  afterEach(() => endpoint.close());

  it('reads "available" and the chat URL where the campaign says, with its secret header from the environment', async () => {
    endpoint = await startFakeServer(() =>
      json(200, { data: { open: 'yes', chat: { url: 'https://chat.example.net/c/abc123' } } }),
    );
    const srv = start(
      [
        campaign({
          availability: {
            kind: 'http',
            url: `${endpoint.url}/agents?queue=support`,
            headers: { Authorization: 'Bearer {secret:AGENTS_TOKEN}' },
            availablePath: 'data.open',
            availableEquals: 'yes',
            urlPath: 'data.chat.url',
          },
        } as Partial<CampaignInput>),
      ],
      { CAMPAIGN_SECRET_AGENTS_TOKEN: 'tok-123' },
    );
    const caller = await callFrom(srv, MOBILE);
    await acceptAndConfirm(caller);
    expect(endpoint.requests[0]?.headers.authorization).toBe('Bearer tok-123');
    expect(endpoint.requests[0]?.url).toBe('/agents?queue=support');
    const [message] = await messagesOf(srv);
    expect((await request(srv.app).get(`/s/${shortCodeIn(message?.body ?? '')}`)).headers.location).toBe(
      'https://chat.example.net/c/abc123',
    );
    expect(caller.documents.join('')).not.toContain('tok-123');
  });

  it('hands the call back when the endpoint says no', async () => {
    endpoint = await startFakeServer(() => json(200, { data: { open: 'no' } }));
    const srv = start([
      campaign({
        availability: { kind: 'http', url: endpoint.url, availablePath: 'data.open', availableEquals: 'yes' },
      } as Partial<CampaignInput>),
    ]);
    expect((await callFrom(srv, MOBILE)).ending().result.reason).toBe('not-available');
  });

  it('refuses to start with a campaign that names a secret the environment does not set', async () => {
    endpoint = await startFakeServer(() => json(200, {}));
    expect(() =>
      start([
        campaign({
          availability: { kind: 'http', url: endpoint.url, availablePath: 'ok', headers: { 'X-Key': '{secret:MISSING}' } },
        } as Partial<CampaignInput>),
      ]),
    ).toThrow(/support\.json: availability: secret MISSING is not set \(CAMPAIGN_SECRET_MISSING\)/);
  });
});

describe('limits', () => {
  it('a second call from the same number inside the limit is not texted, and the caller is told why', async () => {
    const srv = start();
    const first = await callFrom(srv, MOBILE);
    await acceptAndConfirm(first);
    expect(first.ending().result.status).toBe('sent');

    clock = new Date(clock.getTime() + 5 * 60_000);
    const second = await callFrom(srv, MOBILE);
    await acceptAndConfirm(second);
    expect(second.prompts()).toBe(
      "We've already sent a text to this number recently, so we won't send another. Please use the link in that message, or stay on the line.",
    );
    expect(second.ending().result).toEqual({ status: 'failed', reason: 'limit-reached', maskedNumber: '+*******1234' });
    expect(await messagesOf(srv)).toHaveLength(1);
    const limit = (await eventsOf(srv, callIdOf(second))).find((e) => e.type === 'limit-reached');
    expect(limit?.detail).toEqual({ scope: 'destination', limit: '1 per 10 min', number: '+*******1234' });

    // After ten minutes the same number may be texted again (the daily limit is 3).
    clock = new Date(clock.getTime() + 5 * 60_000);
    const third = await callFrom(srv, MOBILE);
    await acceptAndConfirm(third);
    expect(third.ending().result.status).toBe('sent');
  });

  it('counts texts per caller number, whatever number they go to', async () => {
    const srv = start([campaign({ limits: { perDestination: [], perCaller: [{ max: 1, withinMinutes: 60 }] } })]);
    const first = await callFrom(srv, MOBILE);
    await acceptAndConfirm(first);
    const second = await callFrom(srv, MOBILE);
    await second.press('1');
    await second.press('2');
    await second.press('6175550142');
    await second.press('1');
    expect(second.ending().result.reason).toBe('limit-reached');
  });

  it('a campaign at its daily cap is not offered until midnight in its time zone', async () => {
    const srv = start([campaign({ timeZone: 'America/New_York', limits: { dailyCap: 1 } })]);
    const first = await callFrom(srv, MOBILE);
    await acceptAndConfirm(first);
    expect(first.ending().result.status).toBe('sent');

    const capped = await callFrom(srv, '+16175550142');
    expect(capped.ending().result).toEqual({ status: 'unavailable', reason: 'campaign-cap', maskedNumber: '' });

    // 23:59 New York time is still the same day; 00:00 is a new one.
    clock = new Date('2026-11-25T04:59:00Z');
    expect((await callFrom(srv, '+16175550143')).ending().result.reason).toBe('campaign-cap');
    clock = new Date('2026-11-25T05:00:00Z');
    expect((await callFrom(srv, '+16175550143')).isQuestion()).toBe(true);
  });

  describe('under concurrency, over real sockets', () => {
    let http: HttpServer;
    afterEach(() => new Promise<void>((resolve) => http.close(() => resolve())));

    it('fifty simultaneous submits for one number send exactly one text', async () => {
      const srv = start();
      http = srv.listen(0, '127.0.0.1');
      await new Promise((resolve) => http.once('listening', resolve));
      const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

      // Fifty callers with withheld numbers, each keying in the same mobile number.
      const callers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const caller = await callFrom(base, 'anonymous');
          await caller.press('1');
          await caller.press('6175551234');
          return caller;
        }),
      );
      await Promise.all(callers.map((c) => c.press('1')));

      const reasons = callers.map((c) => c.ending().result.reason);
      expect(reasons.filter((r) => r === 'accepted')).toHaveLength(1);
      expect(reasons.filter((r) => r === 'limit-reached')).toHaveLength(49);
      const messages = await messagesOf(srv);
      expect(messages).toHaveLength(1);
      expect(messages[0]?.to).toBe(MOBILE);
    });
  });
});

describe('where a text may go', () => {
  async function enterNumber(srv: TestServer, digits: string, ani = 'anonymous'): Promise<IvrCaller> {
    const caller = await callFrom(srv, ani);
    await caller.press('1');
    await caller.press(digits);
    return caller;
  }

  it.each([
    ['a premium-rate number', '9005550100'],
    ['a toll-free number', '8885550100'],
    ['a number of another country (011, the US international prefix)', '011447400123456'],
  ])('refuses %s typed in, and asks for another', async (_what, digits) => {
    const srv = start();
    const caller = await enterNumber(srv, digits);
    expect(caller.prompts()).toContain("Sorry, that isn't a mobile number we can text.");
    expect(caller.prompts()).toContain('Please enter your 10-digit mobile number');
    expect(await messagesOf(srv)).toHaveLength(0);
  });

  it('texts a foreign number when the campaign allows its country', async () => {
    const srv = start([campaign({ allowedCountries: ['US', 'GB'] })]);
    const caller = await enterNumber(srv, '011447400123456');
    await caller.press('1');
    expect(caller.ending().result).toEqual({ status: 'sent', reason: 'accepted', maskedNumber: '+********3456' });
  });

  it.each([
    ['withheld', 'anonymous'],
    ['a private SIP URI', 'sip:anonymous@anonymous.invalid'],
    ['toll-free', '+18885550100'],
    ['the dialled number itself (a forwarded call)', DNIS],
    ["one of the brand's own numbers", '+16175550000'],
  ])('a %s ANI is not offered as "the number you are calling from"', async (_what, ani) => {
    const srv = start([campaign({ ownNumbers: ['(617) 555-0000'] })]);
    const caller = await callFrom(srv, ani);
    await caller.press('1');
    expect(caller.prompts()).toBe('Please enter your 10-digit mobile number, then press pound.');
    const accepted = (await eventsOf(srv, callIdOf(caller))).find((e) => e.type === 'accepted');
    expect(accepted?.detail).toMatchObject({ aniUsable: false });
  });

  describe('with the Twilio line-type lookup', () => {
    let lookup: FakeTwilioLookup;
    beforeEach(async () => {
      lookup = await startFakeTwilioLookup();
    });
    afterEach(() => lookup.close());

    const env = () => ({
      LINE_TYPE_LOOKUP: 'twilio',
      LOOKUP_TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      LOOKUP_TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      LOOKUP_TWILIO_BASE_URL: lookup.url,
    });

    it('asks a caller on a landline for a mobile number, and confirms a mobile one', async () => {
      const srv = start([campaign()], env());
      const landline = await callFrom(srv, '+14155550102');
      await landline.press('1');
      expect(landline.prompts()).toBe('Please enter your 10-digit mobile number, then press pound.');

      const mobile = await callFrom(srv, '+14155550101');
      await mobile.press('1');
      expect(mobile.prompts()).toContain("We'll text the number you're calling from, ending in 0101.");
      expect(lookup.requests.map((r) => r.path)).toEqual(['/v2/PhoneNumbers/%2B14155550102', '/v2/PhoneNumbers/%2B14155550101']);
    });

    it('refuses a typed-in landline, and remembers line types instead of paying twice', async () => {
      const srv = start([campaign()], env());
      for (let i = 0; i < 2; i++) {
        const caller = await callFrom(srv, 'anonymous');
        await caller.press('1');
        await caller.press('4155550102');
        expect(caller.prompts()).toContain("Sorry, that isn't a mobile number we can text.");
      }
      expect(lookup.requests).toHaveLength(1);
    });

    it('falls back to the number rules when the lookup fails', async () => {
      lookup.respond(() => ({ status: 503, body: 'down' }));
      const srv = start([campaign()], env());
      const caller = await callFrom(srv, MOBILE);
      await caller.press('1');
      expect(caller.prompts()).toContain("We'll text the number you're calling from");
    });
  });
});

describe('consent evidence', () => {
  it('keeps, for every text, who agreed to what and when; exported as JSON and CSV, numbers masked unless a reason is given', async () => {
    const srv = start();
    const caller = await callFrom(srv, MOBILE);
    clock = new Date(clock.getTime() + 4_000);
    await caller.press('1');
    clock = new Date(clock.getTime() + 3_000);
    await caller.press('1');
    const callId = callIdOf(caller);
    const [message] = await messagesOf(srv);

    const range = 'from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z';
    const masked = await admin(srv).get(`/api/consent?${range}`);
    expect(masked.status).toBe(200);
    expect(masked.body.consent).toEqual([
      {
        messageId: expect.any(String),
        callId,
        campaignId: 'support',
        variant: null,
        dnis: DNIS,
        ani: '+*******1234',
        destination: '+*******1234',
        destinationSource: 'ani',
        acceptKey: '1',
        confirmKey: '1',
        offerText: 'To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.',
        offerVersion: expect.stringMatching(/^[0-9a-f]{12}$/),
        offeredAt: '2026-11-24T20:00:00.000Z',
        acceptedAt: '2026-11-24T20:00:04.000Z',
        confirmedAt: '2026-11-24T20:00:07.000Z',
        channel: 'sms',
        channelConsentText: '',
      },
    ]);
    expect(masked.body.consent[0].messageId).toBe((message as unknown as { id: string }).id);

    const revealed = await admin(srv).get(`/api/consent?${range}&reveal=true&reason=carrier%20complaint%20ticket%204711&format=csv`);
    expect(revealed.status).toBe(200);
    expect(revealed.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(revealed.headers['content-disposition']).toContain('consent-2026-11-24-2026-11-25.csv');
    const [header, row, end] = revealed.text.split('\r\n');
    expect(header).toBe(
      'message_id,call_id,campaign_id,variant,dnis,ani,destination,destination_source,accept_key,confirm_key,offer_version,offer_text,offered_at,accepted_at,confirmed_at,channel,channel_consent_text',
    );
    // Numbers start with "+": prefixed so a spreadsheet keeps them as text.
    expect(row).toContain(`,'+18005550100,'+16175551234,'+16175551234,ani,1,1,`);
    expect(row).toContain('"To get a text message with a link to chat with us now, press 1. To stay on the line, press 2."');
    expect(end).toBe('');
  });

  it('refuses to reveal numbers without a reason, and an inverted range, naming the fields', async () => {
    const srv = start();
    const noReason = await admin(srv).get('/api/consent?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z&reveal=true');
    expect(noReason.status).toBe(400);
    expect(noReason.body.fields).toEqual([{ field: 'reason', message: 'is required to reveal numbers' }]);
    const inverted = await admin(srv).get('/api/consent?from=2026-11-25T00:00:00Z&to=2026-11-24T00:00:00Z');
    expect(inverted.body.fields).toEqual([{ field: 'to', message: 'must be after from' }]);
    expect((await request(srv.app).get('/api/consent?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z')).status).toBe(401);
  });

  it('no text, no consent record: a declined offer and a limited send leave none', async () => {
    const srv = start();
    const declined = await callFrom(srv, MOBILE);
    await declined.press('2');
    const sent = await callFrom(srv, MOBILE);
    await acceptAndConfirm(sent);
    const limited = await callFrom(srv, MOBILE);
    await acceptAndConfirm(limited);
    const res = await admin(srv).get('/api/consent?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z');
    expect(res.body.consent).toHaveLength(1);
  });
});

describe('short links that end', () => {
  it('an expired link answers a friendly page in the campaign language, with how to reach the company', async () => {
    const srv = start([
      campaign({
        language: 'es-US',
        linkTtlMinutes: 60,
        expiredLink: { phone: '+1 (800) 555-0100', url: 'https://www.example.com/contacto' },
      }),
    ]);
    const caller = await callFrom(srv, MOBILE);
    await acceptAndConfirm(caller);
    const [message] = await messagesOf(srv);
    const code = shortCodeIn(message?.body ?? '');

    clock = new Date(clock.getTime() + 59 * 60_000);
    expect((await request(srv.app).get(`/s/${code}`)).status).toBe(302);
    clock = new Date(clock.getTime() + 60_000);
    const page = await request(srv.app).get(`/s/${code}`);
    expect(page.status).toBe(410);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain('<html lang="es-US">');
    expect(page.text).toContain('Este enlace ha caducado');
    expect(page.text).toContain('href="tel:+18005550100"');
    expect(page.text).toContain('href="https://www.example.com/contacto"');
  });

  it('without a TTL, links never expire', async () => {
    const srv = start();
    const caller = await callFrom(srv, MOBILE);
    await acceptAndConfirm(caller);
    const [message] = await messagesOf(srv);
    clock = new Date(clock.getTime() + 365 * 86_400_000);
    expect((await request(srv.app).get(`/s/${shortCodeIn(message?.body ?? '')}`)).status).toBe(302);
  });
});

describe('offer variants', () => {
  const variants = {
    variants: [
      { id: 'plain', weight: 1 },
      { id: 'skip-queue', weight: 1, offer: 'Skip the queue: press 1 for a chat link by text, or 2 to hold.', message: 'Skip the queue: {link}' },
    ],
  } as Partial<CampaignInput>;

  it("a call hears its variant's offer and gets its variant's text; the variant is on the call and in the consent record", async () => {
    server = startTestServer({ campaigns: [campaign(variants)], now: () => clock, random: () => 0.75 });
    const caller = await callFrom(server, MOBILE);
    expect(caller.prompts()).toBe('Skip the queue: press 1 for a chat link by text, or 2 to hold.');
    await acceptAndConfirm(caller);
    const [message] = await messagesOf(server);
    expect(message?.body).toMatch(/^Skip the queue: https:\/\/t\.example\.test\/s\/\w+$/);
    expect((await server.store.getCall(callIdOf(caller)))?.variant).toBe('skip-queue');
    const events = await eventsOf(server, callIdOf(caller));
    expect(events[1]).toMatchObject({ type: 'offered', detail: { variant: 'skip-queue' } });
    const consent = await admin(server).get('/api/consent?from=2026-11-24T00:00:00Z&to=2026-11-25T00:00:00Z');
    expect(consent.body.consent[0]).toMatchObject({ variant: 'skip-queue', offerText: 'Skip the queue: press 1 for a chat link by text, or 2 to hold.' });
  });

  it('the other variant keeps the campaign wording', async () => {
    server = startTestServer({ campaigns: [campaign(variants)], now: () => clock, random: () => 0.25 });
    const caller = await callFrom(server, MOBILE);
    expect(caller.prompts()).toBe('To get a text message with a link to chat with us now, press 1. To stay on the line, press 2.');
    expect((await server.store.getCall(callIdOf(caller)))?.variant).toBe('plain');
  });
});
