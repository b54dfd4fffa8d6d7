import { CachedLineTypeLookup, type CachedLookupSettings } from '../../src/lookup/cached';
import type { LineTypeAnswer, LineTypeLookup } from '../../src/lookup/port';
import { TwilioLineTypeLookup } from '../../src/lookup/twilio-lookup';
import { TWILIO_ACCOUNT, twilioError } from '../fakes/twilio';
import { INVALID_NUMBER, answerLookup, numberOfType, startFakeTwilioLookup, type FakeTwilioLookup } from '../fakes/twilio-lookup';

/**
 * The cache in front of the real adapter, with requests counted where they land: at the
 * fake Twilio. A few cases about abandoned waits use a hand-driven inner lookup instead,
 * because they need to see the signal the cache passes on.
 */

let fake: FakeTwilioLookup;

beforeAll(async () => {
  fake = await startFakeTwilioLookup();
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(answerLookup);
});

const MOBILE = numberOfType('mobile');
const LANDLINE = numberOfType('landline');
const VOIP = numberOfType('nonFixedVoip');

const MOBILE_ANSWER: LineTypeAnswer = { kind: 'known', lineType: 'mobile', vendorType: 'mobile', textable: true, carrier: 'Verizon Wireless' };

function twilio(): TwilioLineTypeLookup {
  return new TwilioLineTypeLookup({ ...TWILIO_ACCOUNT, baseUrl: fake.url, timeoutMs: 2_000 });
}

function cached(settings: Partial<CachedLookupSettings> = {}, inner: LineTypeLookup = twilio()): CachedLineTypeLookup {
  return new CachedLineTypeLookup(inner, { ttlMs: 60_000, maxEntries: 100, ...settings });
}

const open = (): AbortSignal => new AbortController().signal;

/** A clock the test moves by hand. */
function clock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('known answers are reused', () => {
  it('a second lookup of the same number is answered without a request', async () => {
    const cache = cached();

    const first = await cache.lookup(MOBILE, open());
    const second = await cache.lookup(MOBILE, open());

    expect(first).toEqual(MOBILE_ANSWER);
    expect(second).toEqual(MOBILE_ANSWER);
    expect(fake.requests).toHaveLength(1);
  });

  it('each number is asked about once', async () => {
    const cache = cached();

    for (const number of [MOBILE, LANDLINE, MOBILE, VOIP, LANDLINE]) await cache.lookup(number, open());

    expect(fake.requests.map((r) => r.path)).toEqual([fake.pathOf(MOBILE), fake.pathOf(LANDLINE), fake.pathOf(VOIP)]);
  });

  it('Twilio’s verdict that a number is invalid is an answer too, and is reused', async () => {
    const cache = cached();

    await cache.lookup(INVALID_NUMBER, open());
    const again = await cache.lookup(INVALID_NUMBER, open());

    expect(again).toEqual({ kind: 'known', lineType: 'unknown', vendorType: 'invalid', textable: false });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('expiry', () => {
  it('an answer is reused until ttlMs has passed, then asked for again', async () => {
    const time = clock();
    const cache = cached({ ttlMs: 10_000, now: time.now });

    await cache.lookup(MOBILE, open());
    time.advance(9_999);
    await cache.lookup(MOBILE, open());
    expect(fake.requests).toHaveLength(1);

    time.advance(1);
    await cache.lookup(MOBILE, open());
    expect(fake.requests).toHaveLength(2);

    // The fresh answer starts a fresh TTL.
    time.advance(9_999);
    await cache.lookup(MOBILE, open());
    expect(fake.requests).toHaveLength(2);
  });

  it('expired entries are dropped when a new answer arrives, not kept until the cache is full', async () => {
    const time = clock();
    const cache = cached({ ttlMs: 1_000, now: time.now });

    await cache.lookup(MOBILE, open());
    await cache.lookup(LANDLINE, open());
    time.advance(1_000);
    await cache.lookup(VOIP, open());

    expect(cache.size).toBe(1);
  });
});

describe('eviction', () => {
  it('holds at most maxEntries numbers, dropping the oldest first', async () => {
    const cache = cached({ maxEntries: 2 });

    await cache.lookup(MOBILE, open());
    await cache.lookup(LANDLINE, open());
    await cache.lookup(VOIP, open()); // MOBILE goes
    expect(cache.size).toBe(2);
    expect(fake.requests).toHaveLength(3);

    await cache.lookup(LANDLINE, open());
    await cache.lookup(VOIP, open());
    expect(fake.requests).toHaveLength(3);

    await cache.lookup(MOBILE, open()); // asked again; LANDLINE, now the oldest, goes
    expect(fake.requests).toHaveLength(4);
    await cache.lookup(LANDLINE, open());
    expect(fake.requests).toHaveLength(5);
    expect(cache.size).toBe(2);
  });
});

describe('errors are not cached', () => {
  it('after an error the next lookup asks again, and its answer is kept', async () => {
    const cache = cached();
    fake.respond(() => twilioError(500, 20500, 'Internal Server Error'));

    const failed = await cache.lookup(MOBILE, open());
    fake.respond(answerLookup);
    const recovered = await cache.lookup(MOBILE, open());
    const kept = await cache.lookup(MOBILE, open());

    expect(failed).toEqual({ kind: 'error', detail: 'Twilio Lookup answered 500: Twilio error 20500' });
    expect(recovered).toEqual(MOBILE_ANSWER);
    expect(kept).toEqual(MOBILE_ANSWER);
    expect(fake.requests).toHaveLength(2);
    expect(cache.size).toBe(1);
  });

  it('a timeout is not cached either', async () => {
    // The first lookup gives up after 100 ms; the second has the usual 2 s, so a loaded
    // machine cannot make the answer that follows the timeout late too.
    const impatient = new TwilioLineTypeLookup({ ...TWILIO_ACCOUNT, baseUrl: fake.url, timeoutMs: 100 });
    let asked = 0;
    const inner: LineTypeLookup = { lookup: (number, signal) => (asked++ === 0 ? impatient : twilio()).lookup(number, signal) };
    const cache = new CachedLineTypeLookup(inner, { ttlMs: 60_000, maxEntries: 10 });
    fake.respond(() => ({ status: 200, hang: true }));

    expect(await cache.lookup(MOBILE, open())).toMatchObject({ kind: 'error' });
    fake.respond(answerLookup);
    expect(await cache.lookup(MOBILE, open())).toEqual(MOBILE_ANSWER);
    expect(fake.requests).toHaveLength(2);
  });

  it('an inner lookup that throws, against its contract, is an error answer rather than a rejection', async () => {
    const throwing: LineTypeLookup = { lookup: () => Promise.reject(new Error('boom')) };
    const cache = cached({}, throwing);

    await expect(cache.lookup(MOBILE, open())).resolves.toEqual({ kind: 'error', detail: 'line-type lookup failed: boom' });
    expect(cache.size).toBe(0);
  });
});

describe('single flight', () => {
  it('ten parallel lookups of one number make one request and all get its answer', async () => {
    fake.respond((req) => ({ ...answerLookup(req), delayMs: 100 }));
    const cache = cached();

    const answers = await Promise.all(Array.from({ length: 10 }, () => cache.lookup(MOBILE, open())));

    expect(fake.requests).toHaveLength(1);
    expect(answers).toEqual(Array.from({ length: 10 }, () => MOBILE_ANSWER));
  });

  it('parallel lookups of different numbers do not wait for each other’s request', async () => {
    fake.respond((req) => ({ ...answerLookup(req), delayMs: 50 }));
    const cache = cached();

    await Promise.all([MOBILE, LANDLINE, MOBILE, LANDLINE].map((n) => cache.lookup(n, open())));

    expect(fake.requests.map((r) => r.path).sort()).toEqual([fake.pathOf(MOBILE), fake.pathOf(LANDLINE)].sort());
  });

  it('a shared request that fails fails for everyone waiting, and the next lookup asks again', async () => {
    fake.respond(() => ({ ...twilioError(503, 20503, 'Service Unavailable'), delayMs: 50 }));
    const cache = cached();

    const answers = await Promise.all(Array.from({ length: 5 }, () => cache.lookup(MOBILE, open())));
    fake.respond(answerLookup);
    const next = await cache.lookup(MOBILE, open());

    expect(answers.every((a) => a.kind === 'error')).toBe(true);
    expect(next).toEqual(MOBILE_ANSWER);
    expect(fake.requests).toHaveLength(2);
  });
});

describe('callers who stop waiting', () => {
  /** An inner lookup answered by hand, recording the signal it was given. */
  function manual(): { inner: LineTypeLookup; calls: { signal: AbortSignal; answer: (a: LineTypeAnswer) => void }[] } {
    const calls: { signal: AbortSignal; answer: (a: LineTypeAnswer) => void }[] = [];
    const inner: LineTypeLookup = {
      lookup: (_e164, signal) =>
        new Promise<LineTypeAnswer>((resolve) => {
          calls.push({ signal, answer: resolve });
          signal.addEventListener('abort', () => resolve({ kind: 'error', detail: 'aborted' }));
        }),
    };
    return { inner, calls };
  }

  it('one caller hanging up gets an answer at once; the others keep the shared request', async () => {
    const { inner, calls } = manual();
    const cache = cached({}, inner);
    const leaving = new AbortController();

    const gone = cache.lookup(MOBILE, leaving.signal);
    const staying = cache.lookup(MOBILE, open());
    leaving.abort();

    expect(await gone).toEqual({ kind: 'error', detail: 'line-type lookup abandoned by the caller' });
    expect(calls).toHaveLength(1);
    expect(calls[0].signal.aborted).toBe(false);

    calls[0].answer(MOBILE_ANSWER);
    expect(await staying).toEqual(MOBILE_ANSWER);
  });

  it('when every caller has gone the request is aborted, and a later lookup starts a fresh one', async () => {
    const { inner, calls } = manual();
    const cache = cached({}, inner);
    const first = new AbortController();
    const second = new AbortController();

    const answers = [cache.lookup(MOBILE, first.signal), cache.lookup(MOBILE, second.signal)];
    first.abort();
    second.abort();
    await Promise.all(answers);

    expect(calls[0].signal.aborted).toBe(true);
    const later = cache.lookup(MOBILE, open());
    expect(calls).toHaveLength(2);
    calls[1].answer(MOBILE_ANSWER);
    expect(await later).toEqual(MOBILE_ANSWER);
  });

  it('a caller already gone costs no request, but a cached answer is still given', async () => {
    const { inner, calls } = manual();
    const cache = cached({}, inner);
    const gone = AbortSignal.abort();

    expect(await cache.lookup(MOBILE, gone)).toMatchObject({ kind: 'error' });
    expect(calls).toHaveLength(0);

    const pending = cache.lookup(MOBILE, open());
    calls[0].answer(MOBILE_ANSWER);
    await pending;
    expect(await cache.lookup(MOBILE, gone)).toEqual(MOBILE_ANSWER);
  });
});

describe('settings', () => {
  it.each([0, -1, 1.5, Number.NaN])('maxEntries %p is refused', (maxEntries) => {
    expect(() => cached({ maxEntries })).toThrow(RangeError);
  });

  it.each([-1, Number.NaN])('ttlMs %p is refused', (ttlMs) => {
    expect(() => cached({ ttlMs })).toThrow(RangeError);
  });
});
