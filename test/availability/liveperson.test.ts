import { LivePersonAvailability, engagementUrl } from '../../src/availability/liveperson';
import type { AvailabilityAnswer, AvailabilityRequest } from '../../src/availability/port';
import { LivePersonAvailability as LivePersonSchema } from '../../src/availability/settings';
import { localOutbound } from '../helpers/outbound';
import { json, startFakeServer } from '../fakes/fake-server';
import {
  LP_ACCOUNT_ID,
  lpAvailable,
  lpError,
  lpHang,
  lpMalformed,
  lpNotAvailable,
  lpSlow,
  startFakeLivePerson,
  type FakeLivePerson,
} from '../fakes/liveperson';

const TOKEN = 'lp-token-5f0c2a9e71d4';
const SECRETS = { LP_TOKEN: TOKEN };
const REQUEST: AvailabilityRequest = { campaignId: 'support', dnis: '+18005550100', ani: '+14155550123', callId: 'call-1' };

let fake: FakeLivePerson;

beforeAll(async () => {
  fake = await startFakeLivePerson();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(() => lpAvailable());
});

function check(overrides: Record<string, unknown> = {}): LivePersonAvailability {
  const settings = LivePersonSchema.parse({
    kind: 'liveperson',
    accountId: LP_ACCOUNT_ID,
    baseUrl: fake.url,
    consumerSections: ['Support', 'Billing'],
    engagementAttributes: [{ type: 'personal', personal: { language: 'en-US' } }],
    headers: { Authorization: 'Bearer {secret:LP_TOKEN}', 'X-Brand': 'acme' },
    ...overrides,
  });
  return new LivePersonAvailability(settings, SECRETS, localOutbound());
}

function ask(c = check(), signal = AbortSignal.timeout(5000)): Promise<AvailabilityAnswer> {
  return c.check(REQUEST, signal);
}

/** Details are logged and stored: the token may never ride along. */
function expectError(answer: AvailabilityAnswer, detail: RegExp): void {
  expect(answer).toEqual({ kind: 'error', detail: expect.stringMatching(detail) });
  expect(JSON.stringify(answer)).not.toContain(TOKEN);
}

describe('LivePersonAvailability: the request', () => {
  it('POSTs the IVR engagement body to the account engagement resource, v=1.0, with resolved headers', async () => {
    await ask();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/api/account/${LP_ACCOUNT_ID}/external/engagement`);
    expect(req.query.get('v')).toBe('1.0');
    expect(JSON.parse(req.body)).toEqual({
      appType: 'IVR',
      consumerSections: ['Support', 'Billing'],
      engagementAttributes: [{ type: 'personal', personal: { language: 'en-US' } }],
    });
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(req.headers.accept).toBe('application/json');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['x-brand']).toBe('acme');
  });

  it('sends empty sections and attributes when the campaign names none', async () => {
    await ask(check({ consumerSections: undefined, engagementAttributes: undefined }));

    expect(JSON.parse(fake.requests[0]!.body)).toEqual({ appType: 'IVR', consumerSections: [], engagementAttributes: [] });
  });

  it("uses https://{domain} unless baseUrl replaces it, and tolerates a baseUrl's trailing slash", () => {
    expect(engagementUrl({ accountId: '123', domain: 'va.v.liveperson.net' })).toBe(
      'https://va.v.liveperson.net/api/account/123/external/engagement?v=1.0',
    );
    expect(engagementUrl({ accountId: '123', domain: 'va.v.liveperson.net', baseUrl: 'http://proxy.local/lp/' })).toBe(
      'http://proxy.local/lp/api/account/123/external/engagement?v=1.0',
    );
    // Neither: the host comes from LivePerson's Domain API at the first check (liveperson-auth.test.ts).
    expect(engagementUrl({ accountId: '123' })).toBeUndefined();
  });

  it('refuses to build a check whose header names an unset secret, naming the secret', () => {
    expect(() => check({ headers: { Authorization: 'Bearer {secret:MISSING}' } })).toThrow(/MISSING/);
  });
});

describe('LivePersonAvailability: answers', () => {
  it('reads Available with the one-time urlToChat, validity, wait and queue size', async () => {
    fake.respond(() =>
      lpAvailable({ urlToChat: 'https://lpcdn.example/chat?ctx=abc', validForSeconds: 120, expectedWaitTimeSeconds: 30, queueSize: 4 }),
    );

    expect(await ask()).toEqual({
      kind: 'available',
      chatUrl: 'https://lpcdn.example/chat?ctx=abc',
      validForSeconds: 120,
      expectedWaitSeconds: 30,
      queueSize: 4,
    });
  });

  it('leaves out figures that are not numbers rather than guessing', async () => {
    fake.respond(() => lpAvailable({ validForSeconds: '120', expectedWaitTimeSeconds: null, queueSize: -1 }));

    const answer = await ask();
    expect(answer).toEqual({ kind: 'available', chatUrl: expect.stringMatching(/^https:\/\//) });
  });

  it('reads Not Available', async () => {
    fake.respond(() => lpNotAvailable());

    expect(await ask()).toMatchObject({ kind: 'not-available' });
  });

  it.each([
    ['relative', '/le_unified_window/index.html'],
    ['non-http', 'javascript:alert(1)'],
    ['not a string', 42],
    ['missing', undefined],
  ])('treats Available with a %s urlToChat as malformed', async (_what, urlToChat) => {
    fake.respond(() => lpAvailable({ urlToChat }));

    expectError(await ask(), /urlToChat/);
  });

  it('reports a LivePerson error by its HTTP status alone, never its message', async () => {
    fake.respond(() => lpError(500, 'Internal server error while computing availability', 1003));

    expect(await ask()).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 500' });
  });

  it('keeps an error body that echoes the token back out of the detail', async () => {
    fake.respond((req) => lpError(401, `Invalid token in header: ${req.headers.authorization}`, 401));

    const answer = await ask();
    expectError(answer, /^LivePerson answered HTTP 401$/);
  });

  it('keeps whatever an HTTP error body says out of the detail (it is not ours to repeat)', async () => {
    fake.respond(() => ({ status: 502, body: '<html>root:x:0:0:root:/root:/bin/bash</html>' }));

    expect(await ask()).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 502' });
  });

  it('does not follow a redirect, and says so', async () => {
    fake.respond(() => ({ status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' }, body: '' }));

    expect(await ask()).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 302 (redirects are not followed)' });
    expect(fake.requests).toHaveLength(1);
  });

  it('treats a body that is not JSON as an error', async () => {
    fake.respond(() => lpMalformed());

    expectError(await ask(), /not a JSON object/);
  });

  it('treats an unknown status as an error', async () => {
    fake.respond(() => json(200, { status: 'Busy' }));

    expect(await ask()).toEqual({ kind: 'error', detail: 'LivePerson answered an unknown status' });
  });

  it('treats a 2xx answer without a status as an error', async () => {
    fake.respond(() => json(200, { engagementDetails: { urlToChat: 'https://lp.example/c' } }));

    expectError(await ask(), /has no status/);
  });
});

describe('LivePersonAvailability: time', () => {
  it('waits for a slow answer that arrives within timeoutMs', async () => {
    fake.respond(() => lpSlow(lpNotAvailable(), 150));

    expect(await ask(check({ timeoutMs: 2000 }))).toMatchObject({ kind: 'not-available' });
  });

  it('gives up on a hanging endpoint after timeoutMs', async () => {
    fake.respond(() => lpHang());

    const started = Date.now();
    const answer = await ask(check({ timeoutMs: 200 }));
    const elapsed = Date.now() - started;

    expectError(answer, /^LivePerson: no answer within 200 ms$/);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    expect(elapsed).toBeLessThan(1000);
  });

  it("stops when the caller's signal aborts, before its own timeout", async () => {
    fake.respond(() => lpHang());
    const caller = new AbortController();
    setTimeout(() => caller.abort(), 100);

    const started = Date.now();
    const answer = await ask(check({ timeoutMs: 5000 }), caller.signal);

    expectError(answer, /caller stopped waiting/);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('answers an error (never throws) when nothing listens', async () => {
    const gone = await startFakeServer(() => ({ status: 200 }));
    await gone.close();

    expectError(await ask(check({ baseUrl: gone.url })), /^LivePerson: .*ECONNREFUSED/);
  });
});
