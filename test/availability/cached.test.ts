import { CachedAvailability } from '../../src/availability/cached';
import { createAvailabilityCheck } from '../../src/availability/create';
import type { AvailabilityCheck, AvailabilityRequest } from '../../src/availability/port';
import { AvailabilitySettings } from '../../src/availability/settings';
import { localOutbound } from '../helpers/outbound';
import { json, startFakeServer, type FakeServer } from '../fakes/fake-server';
import { LP_ACCOUNT_ID, lpAvailable, lpError, lpHang, lpNotAvailable, startFakeLivePerson, type FakeLivePerson } from '../fakes/liveperson';

const REQUEST: AvailabilityRequest = { campaignId: 'support', dnis: '+18005550100', ani: '+14155550123', callId: 'call-1' };
const callFrom = (ani: string): AvailabilityRequest => ({ ...REQUEST, ani, callId: `call-${ani}` });

/** A clock the test moves by hand, so expiry is exact and no test sleeps. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_700_000_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
}

function signal(): AbortSignal {
  return AbortSignal.timeout(5000);
}

describe('CachedAvailability over LivePerson (requests counted at the fake)', () => {
  let fake: FakeLivePerson;
  const clock = manualClock();

  beforeAll(async () => {
    fake = await startFakeLivePerson();
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.requests.length = 0;
  });

  function liveperson(extra: Record<string, unknown> = {}): AvailabilityCheck {
    const settings = AvailabilitySettings.parse({ kind: 'liveperson', accountId: LP_ACCOUNT_ID, baseUrl: fake.url, cacheSeconds: 10, ...extra });
    return createAvailabilityCheck(settings, {}, localOutbound(), clock.now)!;
  }

  it('reuses Not Available for other callers until cacheSeconds pass', async () => {
    fake.respond(() => lpNotAvailable());
    const check = liveperson();

    for (const ani of ['+14155550001', '+14155550002', '+14155550003']) {
      expect(await check.check(callFrom(ani), signal())).toMatchObject({ kind: 'not-available' });
    }
    expect(fake.requests).toHaveLength(1);

    clock.advance(9_999);
    await check.check(REQUEST, signal());
    expect(fake.requests).toHaveLength(1);

    clock.advance(1);
    await check.check(REQUEST, signal());
    expect(fake.requests).toHaveLength(2);
  });

  it('never hands one one-time urlToChat to two callers', async () => {
    fake.respond(() => lpAvailable());
    const check = liveperson();

    const answers = await Promise.all([1, 2, 3].map(() => check.check(REQUEST, signal())));
    const again = await check.check(REQUEST, signal());

    expect(fake.requests).toHaveLength(4);
    const urls = [...answers, again].map((a) => (a.kind === 'available' ? a.chatUrl : undefined));
    expect(urls.every((u) => typeof u === 'string')).toBe(true);
    expect(new Set(urls).size).toBe(4);
  });

  it('does not let an earlier Not Available outlive a fresh urlToChat, nor the reverse', async () => {
    const check = liveperson();
    fake.respond(() => lpAvailable());
    await check.check(REQUEST, signal());
    fake.respond(() => lpNotAvailable());
    expect(await check.check(REQUEST, signal())).toMatchObject({ kind: 'not-available' });
    fake.respond(() => lpAvailable());
    expect(await check.check(REQUEST, signal())).toMatchObject({ kind: 'not-available' });

    expect(fake.requests).toHaveLength(2);
  });

  it('caches an error, so a dead endpoint costs one caller the timeout, not every caller', async () => {
    fake.respond(() => lpHang());
    const check = liveperson({ timeoutMs: 200 });

    const first = await check.check(REQUEST, signal());
    const started = Date.now();
    const second = await check.check(REQUEST, signal());

    expect(first).toEqual({ kind: 'error', detail: 'LivePerson: no answer within 200 ms' });
    expect(second).toEqual(first);
    expect(Date.now() - started).toBeLessThan(100);
    expect(fake.requests).toHaveLength(1);
  });

  it('caches an HTTP error the same way', async () => {
    fake.respond(() => lpError(503, 'Service unavailable', 503));
    const check = liveperson();

    await check.check(REQUEST, signal());
    expect(await check.check(REQUEST, signal())).toMatchObject({ kind: 'error', detail: expect.stringContaining('HTTP 503') });
    expect(fake.requests).toHaveLength(1);
  });

  it('asks every time with cacheSeconds 0', async () => {
    fake.respond(() => lpNotAvailable());
    const check = liveperson({ cacheSeconds: 0 });

    await check.check(REQUEST, signal());
    await check.check(REQUEST, signal());
    expect(fake.requests).toHaveLength(2);
  });

  it("does not cache an answer cut short by the caller's own signal", async () => {
    const caller = new AbortController();
    // The caller hangs up once the request has reached LivePerson (not after a fixed
    // time, which a busy machine may spend before the request is even sent).
    fake.respond(() => {
      caller.abort();
      return lpHang();
    });
    const check = liveperson({ timeoutMs: 5000 });

    expect(await check.check(REQUEST, caller.signal)).toMatchObject({ kind: 'error', detail: expect.stringContaining('caller') });
    fake.respond(() => lpNotAvailable());
    expect(await check.check(REQUEST, signal())).toMatchObject({ kind: 'not-available' });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('CachedAvailability over a JSON endpoint', () => {
  let fake: FakeServer;
  const clock = manualClock();

  beforeAll(async () => {
    fake = await startFakeServer(() => json(200, { open: true }));
  });
  afterAll(() => fake.close());

  it('reuses an available answer that carries no chat URL', async () => {
    const settings = AvailabilitySettings.parse({ kind: 'http', url: `${fake.url}/open`, availablePath: 'open', cacheSeconds: 30 });
    const check = createAvailabilityCheck(settings, {}, localOutbound(), clock.now)!;

    expect(await check.check(REQUEST, signal())).toEqual({ kind: 'available' });
    expect(await check.check(REQUEST, signal())).toEqual({ kind: 'available' });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('CachedAvailability on its own', () => {
  it('hands each caller its own copy of a cached answer', async () => {
    const inner: AvailabilityCheck = { check: async () => ({ kind: 'not-available', detail: 'closed' }) };
    const check = new CachedAvailability(inner, 5, manualClock().now);

    const first = (await check.check(REQUEST, signal())) as { detail?: string };
    first.detail = 'changed by a careless caller';
    expect(await check.check(REQUEST, signal())).toEqual({ kind: 'not-available', detail: 'closed' });
  });
});

describe('createAvailabilityCheck', () => {
  it('makes no check for a static campaign', () => {
    expect(createAvailabilityCheck({ kind: 'static' }, {}, localOutbound())).toBeUndefined();
  });

  it('refuses a campaign whose header names an unset secret', () => {
    const settings = AvailabilitySettings.parse({
      kind: 'http',
      url: 'https://staffing.example/now',
      availablePath: 'open',
      headers: { Authorization: 'Bearer {secret:STAFFING}' },
    });
    expect(() => createAvailabilityCheck(settings, {}, localOutbound())).toThrow(/STAFFING/);
  });
});
