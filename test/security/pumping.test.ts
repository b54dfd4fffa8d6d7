import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { CampaignSchema, DEFAULT_HOURLY_CAP, type CampaignInput } from '../../src/campaigns/schema';
import { lpAvailable, startFakeLivePerson, type FakeLivePerson } from '../fakes/liveperson';
import { TWILIO_ACCOUNT } from '../fakes/twilio';
import { startFakeTwilioLookup, type FakeTwilioLookup } from '../fakes/twilio-lookup';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * SMS pumping and paid-request abuse, replayed against the real app on the real store:
 * scripts walking calls with withheld or made-up caller ids, bursts to one number range or
 * to a foreign country, enter-change-repeat to run up line-type lookups, and anonymous
 * starts opening chat engagements. Each attack is bounded by a shipped default or a
 * documented setting; the time is an injected clock.
 */

// Each test walks a dozen calls over HTTP: on a loaded 2-core machine that outlasts the
// default 20 s. A ceiling, not a speed requirement.
jest.setTimeout(90_000);

const DNIS = 'tel:+18005550100';
const SORRY = "Sorry, we couldn't send you a text right now. Please stay on the line.";

let clock: Date;
let server: TestServer | undefined;
let logLines: Array<Record<string, unknown>>;

beforeEach(() => {
  clock = new Date('2026-11-24T15:00:00Z');
  logLines = [];
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function start(campaigns: CampaignInput[] = [campaign()], env: Record<string, string> = {}): TestServer {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  server = startTestServer({ campaigns, env, now: () => clock, log: pino({ level: 'info' }, sink) });
  return server;
}

async function call(srv: TestServer, ani: string, dnis = DNIS): Promise<IvrCaller> {
  const caller = new IvrCaller(srv.app);
  await caller.start({ dnis, ani });
  return caller;
}

/** Accepts, then confirms the caller's own number, or keys `digits` and confirms them. */
async function textTo(srv: TestServer, ani: string, digits?: string): Promise<IvrCaller> {
  const caller = await call(srv, ani);
  await caller.press('1');
  if (digits) await caller.press(digits);
  await caller.press('1');
  return caller;
}

async function texts(srv: TestServer): Promise<string[]> {
  const res = await request(srv.app).get('/api/messages?reveal=true&reason=test+assertions&limit=500').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return (res.body.messages as Array<{ to: string }>).map((m) => m.to);
}

async function limitEvents(srv: TestServer) {
  return srv.store.searchEvents({ from: '2026-01-01T00:00:00Z', to: '2027-01-01T00:00:00Z', type: 'limit-reached', limit: 500 });
}

/** A valid Boston number in its own range (one exchange per i). */
const ownRange = (i: number): string => `+1617${200 + i}0123`;

describe('withheld is a caller too', () => {
  it('counts withheld, empty and unreadable caller ids as one caller: three texts a day, not one per call', async () => {
    const srv = start();
    const anis = ['anonymous', '', 'restricted', '12', 'sip:garbage@198.51.100.7'];
    const callers = [];
    for (const [i, ani] of anis.entries()) callers.push(await textTo(srv, ani, ownRange(i).slice(2)));

    expect(await texts(srv)).toHaveLength(3);
    for (const caller of callers.slice(3)) {
      expect(caller.prompts()).toContain('already');
      expect(caller.ending().result).toEqual({ status: 'failed', reason: 'limit-reached', maskedNumber: '+*******0123' });
    }
    const refused = await limitEvents(srv);
    expect(refused.map((e) => e.detail?.scope)).toEqual(['caller', 'caller']);
  });

  it('gives another campaign\'s withheld callers their own bucket', async () => {
    const srv = start([campaign(), campaign({ id: 'sales', dnis: ['+1 800 555 0101'] })]);
    for (let i = 0; i < 3; i++) await textTo(srv, 'anonymous', ownRange(i).slice(2));
    const sales = await call(srv, 'anonymous', 'tel:+18005550101');
    await sales.press('1');
    await sales.press(ownRange(3).slice(2));
    await sales.press('1');
    expect(sales.ending().result.status).toBe('sent');
  });
});

describe('shipped caps', () => {
  it(`stops a campaign with no limits set at ${DEFAULT_HOURLY_CAP} texts an hour, at the send and then before the offer`, async () => {
    const srv = start();
    // The texts of the last hour (in the real store, as the send step leaves them), each
    // from a caller and to a number of its own, in a range of its own: walking 59 calls
    // over HTTP only takes longer.
    for (let i = 0; i < DEFAULT_HOURLY_CAP - 1; i++) {
      const at = new Date(clock.getTime() - 30 * 60_000 + i * 1000).toISOString();
      await srv.store.createMessage({
        id: `earlier-${i}`,
        callId: `earlier-call-${i}`,
        campaignId: 'support',
        to: ownRange(i),
        caller: ownRange(i),
        body: 'Chat with us: https://t.example.test/s/abcdefgh',
        gateway: 'sandbox',
        fallbackGateway: null,
        segments: 1,
        encoding: 'GSM-7',
        createdAt: at,
        dueAt: new Date(clock.getTime() + 3_600_000).toISOString(),
      });
    }
    const late = await call(srv, ownRange(DEFAULT_HOURLY_CAP));
    await late.press('1');
    await textTo(srv, ownRange(DEFAULT_HOURLY_CAP - 1));
    expect(await texts(srv)).toHaveLength(DEFAULT_HOURLY_CAP);

    // Offered before the cap was reached, refused at the send with the honest prompt.
    await late.press('1');
    expect(late.prompts()).toBe(SORRY);
    expect(late.ending().result).toMatchObject({ status: 'failed', reason: 'campaign-cap' });
    expect((await limitEvents(srv)).map((e) => e.detail)).toEqual([expect.objectContaining({ scope: 'campaign', limit: 'hourly cap' })]);
    // Now no call is offered at all; an hour later, texting resumes.
    expect((await call(srv, ownRange(DEFAULT_HOURLY_CAP + 1))).ending().result).toEqual({ status: 'unavailable', reason: 'campaign-cap', maskedNumber: '' });
    clock = new Date(clock.getTime() + 3_600_000);
    expect((await textTo(srv, ownRange(DEFAULT_HOURLY_CAP + 2))).ending().result.status).toBe('sent');
  });

  it('gives every campaign an hourly and a daily cap unless it removes them with null', () => {
    const base = { id: 'c', name: 'C', dnis: ['+18005550100'], message: 'Chat: {link}', link: 'https://chat.example.com/' };
    expect(CampaignSchema.parse(base).limits).toMatchObject({ hourlyCap: 60, dailyCap: 600 });
    expect(CampaignSchema.parse({ ...base, limits: { perCaller: [] } }).limits).toMatchObject({ hourlyCap: 60, dailyCap: 600 });
    expect(CampaignSchema.parse({ ...base, limits: { hourlyCap: null, dailyCap: null } }).limits).toMatchObject({ hourlyCap: null, dailyCap: null });
    expect(CampaignSchema.safeParse({ ...base, limits: { hourlyCap: 0 } }).success).toBe(false);
  });

  it('stops the whole service at SMS_SERVICE_HOURLY_BUDGET texts an hour, across campaigns', async () => {
    const srv = start([campaign(), campaign({ id: 'sales', dnis: ['+1 800 555 0101'] })], { SMS_SERVICE_HOURLY_BUDGET: '2' });
    await textTo(srv, ownRange(0));
    const sales = await call(srv, ownRange(1), 'tel:+18005550101');
    await sales.press('1');
    await sales.press('1');
    const third = await textTo(srv, ownRange(2));
    expect(await texts(srv)).toHaveLength(2);
    expect(third.prompts()).toBe(SORRY);
    expect(third.ending().result).toMatchObject({ status: 'failed', reason: 'service-budget' });
    expect((await limitEvents(srv))[0]?.detail).toMatchObject({ scope: 'service', limit: 'service hourly budget' });
  });
});

describe('the pumping guard', () => {
  it('pauses texting to a number range after a burst: the caller hears the honest prompt, and it is an event, a metric and an error log', async () => {
    const srv = start();
    // Six callers (so no per-caller limit applies) asking for texts to one range.
    const callers = [];
    for (let i = 1; i <= 6; i++) callers.push(await textTo(srv, `+1617555010${i}`));
    expect(await texts(srv)).toHaveLength(5);

    const refused = callers[5]!;
    expect(refused.prompts()).toBe(SORRY);
    // Range and last four digits together would spell the number: the IVR gets neither.
    expect(refused.ending().result).toEqual({ status: 'failed', reason: 'suspected-pumping', maskedNumber: '' });
    expect((await limitEvents(srv)).map((e) => e.detail)).toEqual([
      { scope: 'prefix', limit: '5 per range per 10 min', reason: 'range-burst', range: '+1617555' },
    ]);
    const metrics = await request(srv.app).get('/metrics');
    expect(metrics.text).toContain('ivr_deflect_pumping_guard_refusals_total{campaign="support",reason="range-burst"} 1');
    expect(metrics.text).toContain('ivr_deflect_send_limits_reached_total{campaign="support",scope="prefix"} 1');
    const errors = logLines.filter((l) => l.level === 50);
    expect(errors).toEqual([expect.objectContaining({ reason: 'range-burst', range: '+1617555', campaignId: 'support' })]);
    expect(JSON.stringify(logLines)).not.toContain('16175550106');

    // Other ranges are not paused; this one is again once the window has slid on.
    expect((await textTo(srv, ownRange(0))).ending().result.status).toBe('sent');
    expect((await textTo(srv, '+16175550107')).ending().result.reason).toBe('suspected-pumping');
    clock = new Date(clock.getTime() + 10 * 60_000);
    expect((await textTo(srv, '+16175550108')).ending().result.status).toBe('sent');
  });

  it("refuses a burst to a country outside the campaign's own, even to numbers in different ranges", async () => {
    const srv = start([campaign({ allowedCountries: ['US', 'GB'] } as Partial<CampaignInput>)]);
    const callers = [];
    for (let i = 1; i <= 4; i++) callers.push(await textTo(srv, `+447400${i}23456`));
    expect(await texts(srv)).toHaveLength(3);
    expect(callers[3]!.ending().result).toEqual({ status: 'failed', reason: 'suspected-pumping', maskedNumber: '' });
    expect((await limitEvents(srv))[0]?.detail).toMatchObject({ scope: 'country', reason: 'foreign-country-burst', range: '+44' });
    // The campaign's own country is not held back by it.
    expect((await textTo(srv, ownRange(0))).ending().result.status).toBe('sent');
  });

  it('takes its thresholds from the settings (an operator texting one exchange a lot)', async () => {
    const srv = start([campaign()], { PUMPING_MAX_PER_RANGE: '20' });
    for (let i = 1; i <= 6; i++) await textTo(srv, `+1617555010${i}`);
    expect(await texts(srv)).toHaveLength(6);
  });
});

describe('number lookups', () => {
  let lookup: FakeTwilioLookup;
  beforeEach(async () => {
    lookup = await startFakeTwilioLookup();
  });
  afterEach(() => lookup.close());

  const lookupEnv = (extra: Record<string, string> = {}) => ({
    LINE_TYPE_LOOKUP: 'twilio',
    LOOKUP_TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
    LOOKUP_TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
    LOOKUP_TWILIO_BASE_URL: lookup.url,
    ...extra,
  });

  it('ends enter, change, repeat after maxNumberAttempts numbers, each a paid lookup at most up to the per-call budget', async () => {
    const srv = start([campaign()], lookupEnv());
    const caller = await call(srv, 'anonymous');
    await caller.press('1');
    let entries = 0;
    // The attack: a new number each time (so no cache helps), then "change". Today it ended
    // only when the script did (300 lookups in 2 s).
    for (let i = 0; i < 20 && caller.isQuestion(); i++) {
      if (caller.prompts().includes('Please enter your 10-digit mobile number')) {
        await caller.press(`415555${String(2000 + i)}`);
        entries += 1;
      } else {
        await caller.press('2');
      }
    }
    expect(caller.isQuestion()).toBe(false);
    expect(caller.ending().result).toMatchObject({ status: 'failed', reason: 'invalid-number' });
    expect(entries).toBe(3);
    expect(lookup.requests.length).toBeLessThanOrEqual(3);
    expect(lookup.requests.length).toBeGreaterThan(0);
  });

  it('makes at most LOOKUP_HOURLY_BUDGET paid lookups an hour; past it numbers are judged by their digits', async () => {
    const srv = start([campaign()], lookupEnv({ LOOKUP_HOURLY_BUDGET: '2' }));
    for (let i = 0; i < 4; i++) {
      const caller = await call(srv, 'anonymous');
      await caller.press('1');
      await caller.press(`415555${String(3000 + i)}`);
      expect(caller.prompts()).toContain("Press 1 if that's right");
    }
    expect(lookup.requests).toHaveLength(2);
    clock = new Date(clock.getTime() + 3_600_000);
    const later = await call(srv, 'anonymous');
    await later.press('1');
    await later.press('4155553009');
    expect(lookup.requests).toHaveLength(3);
  });
});

describe('availability checks', () => {
  let lp: FakeLivePerson;
  beforeEach(async () => {
    lp = await startFakeLivePerson(undefined, () => lpAvailable());
  });
  afterEach(() => lp.close());

  const liveperson = (onError: 'offer' | 'hand-back'): CampaignInput =>
    campaign({ availability: { kind: 'liveperson', accountId: '90412079', baseUrl: lp.url, consumerSections: ['Support'], onError } } as Partial<CampaignInput>);

  it('lets anonymous starts open at most AVAILABILITY_CHECKS_PER_MINUTE engagements a minute; past it onError applies, with the reason recorded', async () => {
    const srv = start([liveperson('hand-back')], { AVAILABILITY_CHECKS_PER_MINUTE: '3', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' });
    const callers = [];
    for (let i = 0; i < 6; i++) callers.push(await call(srv, 'anonymous'));
    expect(lp.requests).toHaveLength(3);
    expect(callers.map((c) => c.isQuestion())).toEqual([true, true, true, false, false, false]);
    expect(callers[5]!.ending().result).toEqual({ status: 'unavailable', reason: 'availability-error', maskedNumber: '' });
    // Calls not offered are counted, not stored: the reason's detail is on the log line.
    const handedBack = logLines.filter((l) => l.msg === 'call handed back at start');
    expect(handedBack.map((l) => ({ reason: l.reason, detail: l.detail }))).toEqual(
      Array.from({ length: 3 }, () => ({ reason: 'availability-error', detail: 'availability check budget spent (3 per minute)' })),
    );
    clock = new Date(clock.getTime() + 60_000);
    expect((await call(srv, 'anonymous')).isQuestion()).toBe(true);
    expect(lp.requests).toHaveLength(4);
  });

  it('offers with the campaign link past the budget when the campaign says onError "offer"', async () => {
    const srv = start([liveperson('offer')], { AVAILABILITY_CHECKS_PER_MINUTE: '1', OUTBOUND_ALLOWED_HOSTS: '127.0.0.1' });
    await textTo(srv, ownRange(0));
    const second = await textTo(srv, ownRange(1));
    expect(second.ending().result.status).toBe('sent');
    expect(lp.requests).toHaveLength(1);
  });
});
