import { LivePersonAvailability } from '../../src/availability/liveperson';
import type { AvailabilityAnswer, AvailabilityRequest } from '../../src/availability/port';
import { LivePersonAvailability as LivePersonSchema } from '../../src/availability/settings';
import { json, startFakeServer, type FakeServer } from '../fakes/fake-server';
import { LP_ACCOUNT_ID, lpAvailable, lpError, startFakeLivePerson, type FakeLivePerson, type LivePersonFakeOptions } from '../fakes/liveperson';
import { OAuth1Verifier, parseAuthorizationHeader } from '../helpers/oauth1-verifier';
import { localOutbound } from '../helpers/outbound';

/**
 * LivePerson authenticates every API request (OAuth 1.0 API key or AppJWT) and names the
 * account's hosts through its Domain API. The fake (test/fakes/liveperson.ts) answers
 * with LivePerson's documented bodies and checks signatures with an RFC 5849 verifier of
 * its own (test/helpers/oauth1-verifier.ts), never with the signer under test.
 */

const API_KEY = {
  consumerKey: 'd392e7ff2e204d6c802e38fd775563d1',
  consumerSecret: 'cs-7f3a9c1e5b2d48e6',
  token: '61adad31204a4e6fab68d560f1ffb594',
  tokenSecret: 'ts-2b8e4f6a0c9d13b7',
};
const APP = { clientId: '75588e18-0213-4e33-8174-883acac7e3c4', clientSecret: 'kgvbkk7glku72jgtmpi6l4a872' };
const SECRETS = {
  LP_CONSUMER_KEY: API_KEY.consumerKey,
  LP_CONSUMER_SECRET: API_KEY.consumerSecret,
  LP_ACCESS_TOKEN: API_KEY.token,
  LP_ACCESS_TOKEN_SECRET: API_KEY.tokenSecret,
  LP_CLIENT_ID: APP.clientId,
  LP_CLIENT_SECRET: APP.clientSecret,
};
const ALL_SECRET_VALUES = Object.values(SECRETS);
const REQUEST: AvailabilityRequest = { campaignId: 'support', dnis: '+18005550100', ani: '+14155550123', callId: 'call-1' };

let fake: FakeLivePerson | undefined;
let other: FakeServer | undefined;
afterEach(async () => {
  await fake?.close();
  await other?.close();
  fake = undefined;
  other = undefined;
});

/** A clock both sides can share (or not), moved by the test. */
function clock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

async function startFake(options: LivePersonFakeOptions): Promise<FakeLivePerson> {
  fake = await startFakeLivePerson(LP_ACCOUNT_ID, () => lpAvailable(), 0, options);
  return fake;
}

function check(settings: Record<string, unknown>, now: () => number = Date.now, secrets: Record<string, string> = SECRETS): LivePersonAvailability {
  const parsed = LivePersonSchema.parse({ kind: 'liveperson', accountId: LP_ACCOUNT_ID, consumerSections: ['Support'], timeoutMs: 3000, ...settings });
  return new LivePersonAvailability(parsed, secrets, localOutbound(), now);
}

function ask(c: LivePersonAvailability): Promise<AvailabilityAnswer> {
  return c.check(REQUEST, AbortSignal.timeout(10_000));
}

/** Details are logged and stored: no credential may ride along, in any part. */
function expectNoCredential(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
}

describe('LivePerson API key (OAuth 1.0 HMAC-SHA1)', () => {
  const apiKey = { type: 'api-key' };

  it('signs the engagement request so that an independent RFC 5849 verifier accepts it, query v=1.0 included', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const answer = await ask(check({ baseUrl: lp.url, auth: apiKey }));

    expect(answer).toMatchObject({ kind: 'available' });
    expect(lp.refusals).toEqual([]);
    const sent = lp.engagementRequests()[0]!;
    const params = parseAuthorizationHeader(String(sent.headers.authorization))!;
    expect(Object.fromEntries([...params].filter(([k]) => k !== 'oauth_signature' && k !== 'oauth_nonce' && k !== 'oauth_timestamp'))).toEqual({
      oauth_consumer_key: API_KEY.consumerKey,
      oauth_token: API_KEY.token,
      oauth_signature_method: 'HMAC-SHA1',
      oauth_version: '1.0',
    });
    // The query is part of what was signed: the same header for v=2.0 does not verify.
    const elsewhere = new OAuth1Verifier(API_KEY).verify({
      method: 'POST',
      url: `${lp.url}${lp.engagementPath}?v=2.0`,
      authorization: String(sent.headers.authorization),
    });
    expect(elsewhere).toEqual({ ok: false, why: 'signature does not match' });
  });

  it('signs each request afresh: a new nonce every time, the timestamp from the clock', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const c = check({ baseUrl: lp.url, auth: apiKey, cacheSeconds: 0 });
    for (let i = 0; i < 3; i++) expect(await ask(c)).toMatchObject({ kind: 'available' });

    const headers = lp.engagementRequests().map((r) => parseAuthorizationHeader(String(r.headers.authorization))!);
    expect(new Set(headers.map((h) => h.get('oauth_nonce'))).size).toBe(3);
    for (const h of headers) expect(Math.abs(Number(h.get('oauth_timestamp')) - Date.now() / 1000)).toBeLessThan(120);
    expect(lp.refusals).toEqual([]);
  });

  it('a wrong secret is refused by LivePerson: an availability failure naming the status, no credential in it', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const answer = await ask(check({ baseUrl: lp.url, auth: apiKey }, Date.now, { ...SECRETS, LP_ACCESS_TOKEN_SECRET: 'not-the-secret' }));

    expect(answer).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 401' });
    expect(lp.refusals).toEqual(['signature does not match']);
    expectNoCredential(answer);
  });

  it('a clock ten minutes off gives a stale timestamp, which LivePerson refuses', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const behind = clock(Date.now() - 10 * 60 * 1000);
    expect(await ask(check({ baseUrl: lp.url, auth: apiKey }, behind.now))).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 401' });
    expect(lp.refusals).toEqual(['timestamp is stale']);
  });

  it('a captured request replayed (same nonce) or tampered with is refused', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    await ask(check({ baseUrl: lp.url, auth: apiKey }));
    const original = lp.engagementRequests()[0]!;
    const replay = (url: string, authorization: string) =>
      fetch(`${lp.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: original.body });

    const replayed = await replay(original.url, String(original.headers.authorization));
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ message: 'Bad Authentication', internalCode: 401 });
    const tampered = await replay(`${original.url}&consumerSections=Sales`, String(original.headers.authorization));
    expect(tampered.status).toBe(401);
    const forged = await replay(original.url, String(original.headers.authorization).replace(/oauth_signature="[^"]+"/, 'oauth_signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"'));
    expect(forged.status).toBe(401);
    expect(lp.refusals).toEqual(['nonce already used', 'signature does not match', 'signature does not match']);
  });

  it('a campaign header cannot replace the signature', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const answer = await ask(check({ baseUrl: lp.url, auth: apiKey, headers: { Authorization: 'Bearer {secret:LP_CLIENT_ID}', 'X-Brand': 'acme' } }));
    expect(answer).toMatchObject({ kind: 'available' });
    expect(String(lp.engagementRequests()[0]!.headers.authorization)).toMatch(/^OAuth /);
    expect(lp.engagementRequests()[0]!.headers['x-brand']).toBe('acme');
  });

  it('an unset credential stops the campaign at start-up, naming the environment variable', () => {
    const { LP_CONSUMER_SECRET: _gone, ...rest } = SECRETS;
    expect(() => check({ domain: 'va.v.liveperson.net', auth: apiKey }, Date.now, rest)).toThrow('secret LP_CONSUMER_SECRET is not set (CAMPAIGN_SECRET_LP_CONSUMER_SECRET)');
    expect(() =>
      check({ domain: 'va.v.liveperson.net', auth: { type: 'api-key', consumerKey: '{secret:ACME_LP_KEY}' } }),
    ).toThrow('CAMPAIGN_SECRET_ACME_LP_KEY');
  });

  it('a credential written into the campaign is refused, without repeating it', () => {
    const result = LivePersonSchema.safeParse({
      kind: 'liveperson',
      accountId: LP_ACCOUNT_ID,
      domain: 'va.v.liveperson.net',
      auth: { type: 'api-key', consumerSecret: API_KEY.consumerSecret },
    });
    expect(result.success).toBe(false);
    const issues = JSON.stringify(result.error?.issues);
    expect(issues).toContain('must name a secret as {secret:NAME}');
    expect(issues).not.toContain(API_KEY.consumerSecret);
  });
});

describe('LivePerson AppJWT (Sentinel, client credentials)', () => {
  const appJwt = { type: 'app-jwt' };

  it('fetches one token for many checks, in turn and at once, and sends it as a bearer', async () => {
    const lp = await startFake({ appJwt: APP });
    const c = check({ baseUrl: lp.url, sentinelUrl: lp.url, auth: appJwt, cacheSeconds: 0 });

    const together = await Promise.all(Array.from({ length: 5 }, () => ask(c)));
    for (let i = 0; i < 5; i++) together.push(await ask(c));

    for (const answer of together) expect(answer).toMatchObject({ kind: 'available' });
    expect(lp.tokenRequests()).toHaveLength(1);
    const form = new URLSearchParams(lp.tokenRequests()[0]!.body);
    expect(Object.fromEntries(form)).toEqual({ client_id: APP.clientId, client_secret: APP.clientSecret, grant_type: 'client_credentials' });
    expect(lp.tokenRequests()[0]!.url).not.toContain(APP.clientSecret);
    for (const r of lp.engagementRequests()) expect(r.headers.authorization).toBe(`Bearer ${lp.tokensIssued[0]}`);
    expect(lp.refusals).toEqual([]);
  });

  it.each([
    ['the JWT exp claim (as in LivePerson\'s example answer)', false],
    ['expires_in', true],
  ])('refreshes the token shortly before it expires, read from %s', async (_from, withExpiresIn) => {
    const time = clock();
    const lp = await startFake({ appJwt: { ...APP, lifetimeSeconds: 3600, withExpiresIn }, now: time.now });
    const c = check({ baseUrl: lp.url, sentinelUrl: lp.url, auth: appJwt, cacheSeconds: 0 }, time.now);

    await ask(c);
    time.advance(3000 * 1000);
    await ask(c);
    expect(lp.tokenRequests()).toHaveLength(1);
    time.advance(570 * 1000); // 30 s before expiry: inside the refresh margin
    await ask(c);
    expect(lp.tokenRequests()).toHaveLength(2);
    time.advance(2 * 3600 * 1000); // long past the second token's expiry
    expect(await ask(c)).toMatchObject({ kind: 'available' });
    expect(lp.tokenRequests()).toHaveLength(3);
    expect(lp.refusals).toEqual([]);
  });

  it('a token LivePerson refuses (401) is dropped: the next check fetches a new one', async () => {
    const lp = await startFake({ appJwt: APP });
    const c = check({ baseUrl: lp.url, sentinelUrl: lp.url, auth: appJwt, cacheSeconds: 0 });
    lp.respond(() => lpError(401, 'Bad Authentication', 401));
    expect(await ask(c)).toEqual({ kind: 'error', detail: 'LivePerson answered HTTP 401' });
    lp.respond(() => lpAvailable());
    expect(await ask(c)).toMatchObject({ kind: 'available' });
    expect(lp.tokenRequests()).toHaveLength(2);
  });

  it('a token Sentinel will not give is an availability failure (never a throw), retried on the next check', async () => {
    const lp = await startFake({ appJwt: APP });
    const c = check({ baseUrl: lp.url, sentinelUrl: lp.url, auth: appJwt, cacheSeconds: 0 }, Date.now, { ...SECRETS, LP_CLIENT_SECRET: 'wrong-secret-value' });

    const answer = await ask(c);
    expect(answer).toEqual({ kind: 'error', detail: 'LivePerson Sentinel answered HTTP 401' });
    expect(lp.engagementRequests()).toHaveLength(0);
    await ask(c);
    expect(lp.tokenRequests()).toHaveLength(2);
    expectNoCredential(answer);
    expect(JSON.stringify(answer)).not.toContain('wrong-secret-value');
  });

  it('an answer without a usable access_token is a failure, and the token never appears in a detail', async () => {
    other = await startFakeServer(() => json(200, { token_type: 'Bearer', access_token: 'has spaces\r\nX-Injected: 1' }));
    const lp = await startFake({});
    const answer = await ask(check({ baseUrl: lp.url, sentinelUrl: other.url, auth: appJwt }));
    expect(answer).toEqual({ kind: 'error', detail: 'LivePerson Sentinel answer has no usable access_token' });
    expect(lp.engagementRequests()).toHaveLength(0);
    expect(JSON.stringify(answer)).not.toContain('has spaces');
  });
});

describe('LivePerson Domain API', () => {
  it('names the engagement host (service smt) once for many checks, in turn and at once', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    const c = check({ domainApiUrl: lp.url, auth: { type: 'api-key' }, cacheSeconds: 0 });

    const answers = await Promise.all(Array.from({ length: 4 }, () => ask(c)));
    for (let i = 0; i < 4; i++) answers.push(await ask(c));

    for (const answer of answers) expect(answer).toMatchObject({ kind: 'available' });
    expect(lp.domainLookups().map((r) => r.url)).toEqual([`/api/account/${LP_ACCOUNT_ID}/service/smt/baseURI.json?version=1.0`]);
    expect(lp.engagementRequests()).toHaveLength(8);
    expect(lp.refusals).toEqual([]);
  });

  it('asks again after an hour', async () => {
    const time = clock();
    const lp = await startFake({});
    const c = check({ domainApiUrl: lp.url, cacheSeconds: 0 }, time.now);
    await ask(c);
    time.advance(59 * 60 * 1000);
    await ask(c);
    expect(lp.domainLookups()).toHaveLength(1);
    time.advance(2 * 60 * 1000);
    await ask(c);
    expect(lp.domainLookups()).toHaveLength(2);
  });

  it('is not asked at all when baseUrl (or domain) gives the host', async () => {
    const lp = await startFake({ apiKey: API_KEY });
    await ask(check({ baseUrl: lp.url, domainApiUrl: lp.url, auth: { type: 'api-key' } }));
    expect(lp.domainLookups()).toHaveLength(0);
    expect(lp.engagementRequests()).toHaveLength(1);
  });

  it('names Sentinel too, for AppJWT, when no sentinelUrl is set', async () => {
    const lp = await startFake({ appJwt: APP });
    const c = check({ domainApiUrl: lp.url, auth: { type: 'app-jwt' }, cacheSeconds: 0 });
    await ask(c);
    await ask(c);
    expect(lp.domainLookups().map((r) => r.path).sort()).toEqual([
      `/api/account/${LP_ACCOUNT_ID}/service/sentinel/baseURI.json`,
      `/api/account/${LP_ACCOUNT_ID}/service/smt/baseURI.json`,
    ]);
    expect(lp.tokenRequests()).toHaveLength(1);
    expect(lp.refusals).toEqual([]);
  });

  it('a failed lookup is an availability failure, not remembered: the next check asks again', async () => {
    other = await startFakeServer(() => lpError(500, 'Internal server error', 1003));
    const c = check({ domainApiUrl: other.url, cacheSeconds: 0 });
    expect(await ask(c)).toEqual({ kind: 'error', detail: 'LivePerson Domain API answered HTTP 500' });
    await ask(c);
    expect(other.requests).toHaveLength(2);
  });

  it.each([
    ['no baseURI', { service: 'smt', account: LP_ACCOUNT_ID }],
    ['another service', { service: 'sentinel', account: LP_ACCOUNT_ID, baseURI: 'va.sentinel.liveperson.net' }],
    ['a host with a path', { service: 'smt', account: LP_ACCOUNT_ID, baseURI: 'evil.example/steal?' }],
    ['a host with credentials', { service: 'smt', account: LP_ACCOUNT_ID, baseURI: 'user:pw@evil.example' }],
  ])('an answer with %s is a failure', async (_what, body) => {
    other = await startFakeServer(() => json(200, body));
    expect(await ask(check({ domainApiUrl: other.url }))).toEqual({ kind: 'error', detail: 'LivePerson Domain API named no usable host for smt' });
  });

  it('reads the all-services form ({baseURIs: [...]}) by service name', async () => {
    const lp = await startFake({});
    const host = lp.url.replace('http://', '');
    other = await startFakeServer(() =>
      json(200, {
        baseURIs: [
          { service: 'liveEngageUI', account: LP_ACCOUNT_ID, baseURI: 'lo.le1.liveperson.net' },
          { service: 'smt', account: LP_ACCOUNT_ID, baseURI: host },
        ],
      }),
    );
    expect(await ask(check({ domainApiUrl: other.url }))).toMatchObject({ kind: 'available' });
    expect(lp.engagementRequests()).toHaveLength(1);
  });

  it('goes through the outbound policy: a Domain API on a loopback address is refused unless allowed', async () => {
    const lp = await startFake({});
    const parsed = LivePersonSchema.parse({ kind: 'liveperson', accountId: LP_ACCOUNT_ID, domainApiUrl: lp.url });
    const strict = new LivePersonAvailability(parsed, SECRETS, localOutbound([]));
    expect(await ask(strict)).toEqual({ kind: 'error', detail: expect.stringMatching(/^LivePerson Domain API: refused: /) });
    expect(lp.requests).toHaveLength(0);
  });

  it("stops waiting for a slow lookup at the check's timeout, and the caller's hang-up stops it sooner", async () => {
    other = await startFakeServer(() => ({ status: 200, hang: true }));
    const slow = check({ domainApiUrl: other.url, timeoutMs: 300 });
    expect(await ask(slow)).toEqual({ kind: 'error', detail: 'LivePerson: no answer within 300 ms' });

    const caller = new AbortController();
    const pending = check({ domainApiUrl: other.url, timeoutMs: 10_000 }).check(REQUEST, caller.signal);
    caller.abort();
    expect(await pending).toEqual({ kind: 'error', detail: 'LivePerson: the caller stopped waiting' });
  });
});
