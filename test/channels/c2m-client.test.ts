import { C2mClient } from '../../src/channels/c2m-client';
import { loadConfig } from '../../src/config';
import { gatewaySettingsFrom, type LivePersonC2mSettings } from '../../src/sms/gateway-config';
import { c2mError, startFakeC2m, C2M_ACCOUNT_ID, type FakeC2m } from '../fakes/liveperson-c2m';

/**
 * The C2M client against a fake that answers LivePerson's documented shapes and checks
 * every request's credentials (AppJWT from Sentinel, or an OAuth 1.0 signature verified
 * by the independent RFC 5849 verifier). Settings come from the environment variables an
 * operator sets, through the real parser.
 */

const CALLER = '+16175552001';
const WHATSAPP_USER = '+16175552002';
const HANDOFF = 'H072047293477863';
const APP = { clientId: 'c2m-client-id', clientSecret: 'c2m client/secret+1=' };
const KEY = { consumerKey: 'c2m-app-key', consumerSecret: 'c2m secret!', token: 'c2m-access-token', tokenSecret: 'c2m token secret~' };

function settingsFrom(env: Record<string, string>): LivePersonC2mSettings {
  const { settings, problems } = gatewaySettingsFrom(env);
  expect(problems).toEqual([]);
  return settings['liveperson-c2m']!;
}

function appJwtSettings(fake: FakeC2m, extra: Record<string, string> = {}): LivePersonC2mSettings {
  return settingsFrom({
    LIVEPERSON_C2M_ACCOUNT_ID: C2M_ACCOUNT_ID,
    LIVEPERSON_C2M_CLIENT_ID: APP.clientId,
    LIVEPERSON_C2M_CLIENT_SECRET: APP.clientSecret,
    LIVEPERSON_C2M_DOMAIN_API_URL: fake.url,
    ...extra,
  });
}

function apiKeySettings(fake: FakeC2m, secret = KEY.consumerSecret): LivePersonC2mSettings {
  return settingsFrom({
    LIVEPERSON_C2M_ACCOUNT_ID: C2M_ACCOUNT_ID,
    LIVEPERSON_C2M_AUTH: 'api-key',
    LIVEPERSON_C2M_CONSUMER_KEY: KEY.consumerKey,
    LIVEPERSON_C2M_CONSUMER_SECRET: secret,
    LIVEPERSON_C2M_ACCESS_TOKEN: KEY.token,
    LIVEPERSON_C2M_ACCESS_TOKEN_SECRET: KEY.tokenSecret,
    LIVEPERSON_C2M_BASE_URL: fake.url,
    LIVEPERSON_C2M_DOMAIN_API_URL: fake.url,
  });
}

const ask = (client: C2mClient, phone = CALLER, skill = 'support', handoffId = HANDOFF) =>
  client.eligibility({ skill, consumerPhoneNumber: phone, handoffId }, AbortSignal.timeout(10_000));

let fake: FakeC2m;
afterEach(async () => {
  await fake?.close();
  fake = undefined as unknown as FakeC2m;
});

describe('eligibility with an AppJWT, the host from the Domain API', () => {
  beforeEach(async () => {
    fake = await startFakeC2m({ appJwt: APP, consumers: { [CALLER]: ['sms', 'wa'], [WHATSAPP_USER]: ['wa'] } });
  });

  it('answers eligible with LivePerson\'s callId and channels, asking the host the Domain API names for connectToMessagingDomain', async () => {
    const client = new C2mClient(appJwtSettings(fake));
    const answer = await ask(client);

    expect(answer).toEqual({ kind: 'eligible', callId: expect.stringMatching(/^[0-9a-f-]{36}$/), availableChannels: ['sms', 'wa'], recommendedChannel: 'sms' });
    expect(fake.calls.get((answer as { callId: string }).callId)?.phone).toBe(CALLER);
    expect(fake.domainLookups().map((r) => r.path)).toEqual(
      expect.arrayContaining([`/api/account/${C2M_ACCOUNT_ID}/service/connectToMessagingDomain/baseURI.json`, `/api/account/${C2M_ACCOUNT_ID}/service/sentinel/baseURI.json`]),
    );
    const [request] = fake.eligibilityRequests();
    expect(request!.url).toBe(`/api/account/${C2M_ACCOUNT_ID}/eligibility?v=2.0`);
    expect(JSON.parse(request!.body)).toEqual({ skill: 'support', consumerPhoneNumber: CALLER, handoffId: HANDOFF });
    expect(request!.headers.authorization).toBe(`Bearer ${fake.tokensIssued[0]}`);
  });

  it('keeps the token and the host for the next call (one Sentinel fetch, one lookup per service)', async () => {
    const client = new C2mClient(appJwtSettings(fake));
    await ask(client);
    await ask(client, WHATSAPP_USER);
    expect(fake.tokenRequests()).toHaveLength(1);
    expect(fake.domainLookups()).toHaveLength(2);
    expect(fake.eligibilityRequests()).toHaveLength(2);
  });

  it('answers not eligible when no channel reaches the number', async () => {
    const answer = await ask(new C2mClient(appJwtSettings(fake)), '+16175559999');
    expect(answer).toEqual({ kind: 'not-eligible', callId: expect.any(String), availableChannels: [] });
  });

  it.each([
    ['an invalid number (1001)', '+1617', 'support', HANDOFF, { code: 'c2m-1001', meaning: 'invalid-number' }],
    ['no engagement for the skill (1300)', CALLER, 'billing', HANDOFF, { code: 'c2m-1300', meaning: 'no-engagement' }],
    ['a handoff that does not exist (1500)', CALLER, 'support', 'H000', { code: 'c2m-1500', meaning: 'misconfigured' }],
  ])('maps %s', async (_label, phone, skill, handoffId, error) => {
    const answer = await ask(new C2mClient(appJwtSettings(fake)), phone, skill, handoffId);
    expect(answer).toMatchObject({ kind: 'error', error });
  });

  it.each([
    ['the rate limit (429 1029)', c2mError(429, 1029, 'Rate limit hit'), { code: 'c2m-1029', meaning: 'rate-limited' }],
    ['an internal error (500 5003)', c2mError(500, 5003, 'Internal Server Error'), { code: 'c2m-5003', meaning: 'unavailable' }],
    ['a 502 from a proxy, not LivePerson\'s shape', { status: 502, body: '<html>bad gateway</html>' }, { code: 'c2m-http-502', meaning: 'unavailable' }],
    ['an eligible answer without a callId', { status: 200, headers: { 'content-type': 'application/json' }, body: '{"eligible":true,"availableChannels":["sms"]}' }, { code: 'c2m-malformed', meaning: 'unavailable' }],
  ])('maps %s', async (_label, reply, error) => {
    fake.failNext(reply);
    expect(await ask(new C2mClient(appJwtSettings(fake)))).toMatchObject({ kind: 'error', error });
  });

  it('gives up at LIVEPERSON_C2M_TIMEOUT_MS when LivePerson does not answer', async () => {
    fake.failNext({ status: 200, hang: true });
    const answer = await ask(new C2mClient(appJwtSettings(fake, { LIVEPERSON_C2M_TIMEOUT_MS: '200' })));
    expect(answer).toMatchObject({ kind: 'error', error: { code: 'c2m-timeout', meaning: 'unavailable' } });
  });

  it('fetches a new token after LivePerson refuses a revoked one (401 1100)', async () => {
    const client = new C2mClient(appJwtSettings(fake));
    await ask(client);
    fake.revokeTokens();
    expect(await ask(client)).toMatchObject({ kind: 'error', error: { code: 'c2m-1100', meaning: 'auth' } });
    expect(await ask(client)).toMatchObject({ kind: 'eligible' });
    expect(fake.tokenRequests()).toHaveLength(2);
  });

  it('never puts the client secret in a failure detail, even when the answer echoes it', async () => {
    fake.failNext(c2mError(400, 1000, `Invalid request: client_secret=${APP.clientSecret}`));
    const answer = await ask(new C2mClient(appJwtSettings(fake)));
    expect(answer.kind).toBe('error');
    expect(JSON.stringify(answer)).not.toContain(APP.clientSecret);
    expect(JSON.stringify(answer)).toContain('[secret]');
  });
});

describe('eligibility and invite signed with an API key (OAuth 1.0)', () => {
  beforeEach(async () => {
    fake = await startFakeC2m({ apiKey: KEY, consumers: { [CALLER]: ['sms', 'wa'] } });
  });

  it('signs each request so an independent RFC 5849 verifier accepts it, ?v=2.0 included', async () => {
    const client = new C2mClient(apiKeySettings(fake));
    const answer = await ask(client);
    expect(answer.kind).toBe('eligible');
    const callId = (answer as { callId: string }).callId;
    expect(await client.invite({ callId }, AbortSignal.timeout(10_000))).toEqual({ kind: 'invited', callId });
    expect(fake.refusals).toEqual([]);
    expect(fake.invites).toEqual([{ callId, phone: CALLER, channel: 'sms' }]);
    expect(fake.domainLookups()).toEqual([]);
  });

  it('is refused with a wrong secret, and a replayed signed request is refused too', async () => {
    const wrong = await ask(new C2mClient(apiKeySettings(fake, 'not the secret')));
    expect(wrong).toMatchObject({ kind: 'error', error: { code: 'c2m-1100', meaning: 'auth' } });
    expect(fake.refusals).toEqual(['signature does not match']);

    await ask(new C2mClient(apiKeySettings(fake)));
    const signed = fake.eligibilityRequests().at(-1)!;
    const replay = await fetch(`${fake.url}${signed.url}`, {
      method: 'POST',
      headers: { authorization: String(signed.headers.authorization), 'content-type': 'application/json' },
      body: signed.body,
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({ errorMessage: 'Invalid Bearer token', errorCode: 1100 });
    expect(fake.refusals.at(-1)).toBe('nonce already used');
  });
});

describe('the settings an operator gives', () => {
  it('names the missing credential of the chosen auth, one line each', () => {
    expect(gatewaySettingsFrom({ LIVEPERSON_C2M_ACCOUNT_ID: '123', LIVEPERSON_C2M_CLIENT_ID: 'x' }).problems).toEqual([
      'LIVEPERSON_C2M_CLIENT_SECRET: is required when liveperson-c2m uses app-jwt auth',
    ]);
    expect(gatewaySettingsFrom({ LIVEPERSON_C2M_ACCOUNT_ID: '123', LIVEPERSON_C2M_AUTH: 'api-key', LIVEPERSON_C2M_CONSUMER_KEY: 'k' }).problems).toEqual([
      'LIVEPERSON_C2M_CONSUMER_SECRET: is required when liveperson-c2m uses api-key auth',
      'LIVEPERSON_C2M_ACCESS_TOKEN: is required when liveperson-c2m uses api-key auth',
      'LIVEPERSON_C2M_ACCESS_TOKEN_SECRET: is required when liveperson-c2m uses api-key auth',
    ]);
    expect(gatewaySettingsFrom({ LIVEPERSON_C2M_CLIENT_SECRET: 's' }).problems).toContain('LIVEPERSON_C2M_ACCOUNT_ID: is required when liveperson-c2m is configured');
  });

  it('stops start-up with one line naming the variable: a bad value, or liveperson-c2m as the SMS gateway', () => {
    const base = { ADMIN_TOKEN: 'x'.repeat(32), LIVEPERSON_C2M_ACCOUNT_ID: '123', LIVEPERSON_C2M_CLIENT_ID: 'i', LIVEPERSON_C2M_CLIENT_SECRET: 's' };
    expect(() => loadConfig({ ...base, LIVEPERSON_C2M_TIMEOUT_MS: 'fast' })).toThrow('Invalid configuration: LIVEPERSON_C2M_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 10000');
    expect(() => loadConfig({ ...base, LIVEPERSON_C2M_AUTH: 'oauth' })).toThrow('Invalid configuration: LIVEPERSON_C2M_AUTH: must be one of app-jwt, api-key');
    expect(() => loadConfig({ ...base, SMS_GATEWAY: 'liveperson-c2m' })).toThrow(
      "Invalid configuration: SMS_GATEWAY: liveperson-c2m cannot send a text message (a campaign's channels name it)",
    );
    expect(loadConfig(base).gateways['liveperson-c2m']?.accountId).toBe('123');
  });

  it('defaults to LivePerson\'s Domain API, an AppJWT and a 1500 ms budget', () => {
    const { settings } = gatewaySettingsFrom({ LIVEPERSON_C2M_ACCOUNT_ID: '123', LIVEPERSON_C2M_CLIENT_ID: 'i', LIVEPERSON_C2M_CLIENT_SECRET: 's' });
    expect(settings['liveperson-c2m']).toEqual({ accountId: '123', domainApiUrl: 'https://api.liveperson.net', timeoutMs: 1500, auth: 'app-jwt', clientId: 'i', clientSecret: 's' });
  });
});
