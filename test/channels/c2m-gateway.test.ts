import { C2mBudgets, c2mAtOffer, c2mAtSend, type C2mChannelEntry } from '../../src/channels/c2m-offer';
import { C2mClient } from '../../src/channels/c2m-client';
import { createGateways } from '../../src/sms/create-gateway';
import { gatewaySettingsFrom } from '../../src/sms/gateway-config';
import type { SmsGateway } from '../../src/sms/port';
import { c2mError, startFakeC2m, C2M_ACCOUNT_ID, type FakeC2m } from '../fakes/liveperson-c2m';

/**
 * The invite as a gateway (liveperson-c2m, built from the environment by createGateways
 * like any vendor, refusals redacted), and the two hooks the deflection service calls:
 * eligibility at the offer, the invite's callId at the send. All against the fake C2M.
 */

const CALLER = '+16175552001';
const OTHER = '+16175552002';
const NOWHERE = '+16175559999';
const HANDOFF = 'H072047293477863';
const APP = { clientId: 'c2m-client-id', clientSecret: 'c2m client/secret+1=' };
const ENTRY: C2mChannelEntry = { channel: 'c2m', skill: 'support', handoffId: HANDOFF };

let fake: FakeC2m;
let env: Record<string, string>;

beforeEach(async () => {
  fake = await startFakeC2m({ appJwt: APP, consumers: { [CALLER]: ['sms', 'wa'], [OTHER]: ['wa'] } });
  env = {
    LIVEPERSON_C2M_ACCOUNT_ID: C2M_ACCOUNT_ID,
    LIVEPERSON_C2M_CLIENT_ID: APP.clientId,
    LIVEPERSON_C2M_CLIENT_SECRET: APP.clientSecret,
    LIVEPERSON_C2M_DOMAIN_API_URL: fake.url,
  };
});
afterEach(() => fake.close());

function build(): { gateway: SmsGateway; client: C2mClient } {
  const { settings, problems } = gatewaySettingsFrom(env);
  expect(problems).toEqual([]);
  const gateways = createGateways({ gateways: settings, sandboxFailNumbers: [], publicBaseUrl: 'https://t.example.test' });
  return { gateway: gateways.get('liveperson-c2m')!, client: new C2mClient(settings['liveperson-c2m']!) };
}

function recordingLog() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
  return { lines, log: { error: at('error'), warn: at('warn'), info: at('info') } as never };
}

const signal = () => AbortSignal.timeout(10_000);

describe('the liveperson-c2m gateway: the invite through the outbox', () => {
  it('carries the c2m channel only, and is accepted with LivePerson\'s callId: LivePerson sends the invite', async () => {
    const { gateway, client } = build();
    expect(gateway.channels).toEqual(['c2m']);
    const answer = await client.eligibility({ skill: 'support', consumerPhoneNumber: CALLER, handoffId: HANDOFF }, signal());
    const callId = (answer as { callId: string }).callId;

    const outcome = await gateway.send({ id: 'm1', to: CALLER, body: 'Chat with us', channel: 'c2m', c2m: { callId, overrideChannel: 'wa' } }, signal());

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: callId });
    expect(fake.invites).toEqual([{ callId, phone: CALLER, channel: 'wa' }]);
    expect(JSON.parse(fake.inviteRequests()[0]!.body)).toEqual({ callId, overrideChannel: 'wa' });
  });

  it('refuses a message that never went through eligibility, without asking LivePerson', async () => {
    const outcome = await build().gateway.send({ id: 'm1', to: CALLER, body: 'x', channel: 'c2m' }, signal());
    expect(outcome).toMatchObject({ outcome: 'permanent', code: 'c2m-no-call-id', reason: 'rejected' });
    expect(fake.inviteRequests()).toEqual([]);
  });

  it.each([
    ['1900 overridden channel not available: the fallback channel may still reach the caller', c2mError(400, 1900, 'Overridden channel is not available'), { outcome: 'permanent', code: 'c2m-1900', reason: 'not-on-channel' }],
    ['1400 message cannot be sent', c2mError(400, 1400, 'Message cannot be sent'), { outcome: 'permanent', code: 'c2m-1400', reason: 'not-on-channel' }],
    ['1001 invalid phone', c2mError(400, 1001, 'Invalid customerPhoneNumber'), { outcome: 'permanent', code: 'c2m-1001', reason: 'invalid-number' }],
    ['1500 no handoff', c2mError(400, 1500, 'No handoff is available'), { outcome: 'permanent', code: 'c2m-1500', reason: 'rejected' }],
    ['1300 no engagement for the skill', c2mError(400, 1300, 'No engagement found for skill support'), { outcome: 'permanent', code: 'c2m-1300', reason: 'rejected' }],
    ['1029 rate limit: tried again later, slowing down', c2mError(429, 1029, 'Rate limit hit'), { outcome: 'retryable', code: 'c2m-1029', throttled: true, retryAfterMs: 5000 }],
    ['5000 internal error: tried again later', c2mError(500, 5000, 'Internal Server Error'), { outcome: 'retryable', code: 'c2m-5000' }],
    ['1100 invalid token: tried again with a fresh one', c2mError(401, 1100, 'Invalid Bearer token'), { outcome: 'retryable', code: 'c2m-1100' }],
  ])('maps %s', async (_label, reply, expected) => {
    const { gateway } = build();
    fake.failNext(reply);
    const outcome = await gateway.send({ id: 'm1', to: CALLER, body: 'x', channel: 'c2m', c2m: { callId: '0b0eb76e-0ff9-4d03-935b-c86ca9aa9354' } }, signal());
    expect(outcome).toMatchObject(expected);
    if (outcome.outcome !== 'accepted') expect(outcome.detail).toContain(`LivePerson C2M invite answered HTTP ${reply.status}`);
  });

  it('keeps the account\'s credentials and the caller\'s number out of a refusal that echoes them', async () => {
    const { gateway } = build();
    fake.failNext(c2mError(400, 1000, `Invalid request for ${CALLER} with client_secret=${encodeURIComponent(APP.clientSecret)} and ${APP.clientId}`));
    const outcome = await gateway.send({ id: 'm1', to: CALLER, body: 'x', channel: 'c2m', c2m: { callId: '0b0eb76e-0ff9-4d03-935b-c86ca9aa9354' } }, signal());
    const detail = outcome.outcome === 'accepted' ? '' : outcome.detail;
    expect(detail).toContain('Invalid request for');
    expect(detail).not.toContain(APP.clientId);
    expect(detail).not.toContain(encodeURIComponent(APP.clientSecret));
    expect(detail).not.toContain('6175552001');
  });
});

describe('eligibility at the offer', () => {
  it('offers on the channel LivePerson recommends, and says what to store on the call', async () => {
    const { client } = build();
    const { lines, log } = recordingLog();
    const step = await c2mAtOffer({ client, log, now: () => Date.parse('2026-12-04T21:00:00Z') }, ENTRY, CALLER, signal());

    expect(step.decision).toMatchObject({ offer: true, channel: 'sms', invite: { callId: expect.any(String) } });
    expect(step.update).toEqual({
      c2mEligibility: { callId: expect.any(String), phone: CALLER, availableChannels: ['sms', 'wa'], recommendedChannel: 'sms', checkedAt: '2026-12-04T21:00:00.000Z' },
    });
    expect(step.events).toEqual([{ type: 'c2m-eligibility', detail: { eligible: true, channel: 'sms' } }]);
    expect(lines).toEqual([]);
  });

  it('offers on the campaign\'s overrideChannel when LivePerson has it for this number, and asks for it in the invite', async () => {
    const step = await c2mAtOffer({ client: build().client, log: recordingLog().log }, { ...ENTRY, overrideChannel: 'wa' }, CALLER, signal());
    expect(step.decision).toMatchObject({ offer: true, channel: 'wa', invite: { overrideChannel: 'wa' } });
  });

  it('does not offer when the overrideChannel is not one LivePerson has for this number', async () => {
    const step = await c2mAtOffer({ client: build().client, log: recordingLog().log }, { ...ENTRY, overrideChannel: 'sms' }, OTHER, signal());
    expect(step.decision).toEqual({ offer: false, reason: 'channel-unavailable' });
    expect(step.update).toEqual({});
  });

  it('does not offer when the number is not eligible, and records the answer', async () => {
    const step = await c2mAtOffer({ client: build().client, log: recordingLog().log }, ENTRY, NOWHERE, signal());
    expect(step.decision).toEqual({ offer: false, reason: 'not-eligible' });
    expect(step.events).toEqual([{ type: 'c2m-eligibility', detail: { eligible: false, reason: 'not-eligible' } }]);
  });

  it('does not offer when the handoff is missing, and logs it at error level with the number masked', async () => {
    const { lines, log } = recordingLog();
    const step = await c2mAtOffer({ client: build().client, log }, { ...ENTRY, handoffId: 'H404' }, CALLER, signal());
    expect(step.decision).toEqual({ offer: false, reason: 'misconfigured' });
    expect(step.events).toEqual([{ type: 'c2m-eligibility', detail: { eligible: false, error: 'c2m-1500', reason: 'misconfigured' } }]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'error', fields: { code: 'c2m-1500', handoffId: 'H404' } });
    expect(JSON.stringify(lines)).not.toContain('6175552001');
  });

  it('logs LivePerson\'s words with the caller\'s number masked when they quote it', async () => {
    const { lines, log } = recordingLog();
    fake.failNext(c2mError(400, 1001, `Invalid customerPhoneNumber ${CALLER}`));
    const step = await c2mAtOffer({ client: build().client, log }, ENTRY, CALLER, signal());
    expect(step.decision).toEqual({ offer: false, reason: 'invalid-number' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields.detail).toContain('Invalid customerPhoneNumber +*******2001');
    expect(JSON.stringify(lines)).not.toContain('6175552001');
  });

  it.each([
    ['no engagement for the skill', { ...ENTRY, skill: 'billing' }, undefined, 'no-engagement'],
    ['the rate limit', ENTRY, c2mError(429, 1029, 'Rate limit hit'), 'rate-limited'],
    ['LivePerson down', ENTRY, c2mError(503, 5001, 'Internal Server Error'), 'error'],
  ] as const)('does not offer on %s (nobody waits on the line for a retry)', async (_label, entry, reply, reason) => {
    if (reply) fake.failNext(reply);
    const step = await c2mAtOffer({ client: build().client, log: recordingLog().log }, entry, CALLER, signal());
    expect(step.decision).toEqual({ offer: false, reason });
    expect(fake.eligibilityRequests()).toHaveLength(1);
  });
});

describe('the eligibility budget', () => {
  it('stops asking LivePerson once the campaign\'s calls for the minute are spent, and asks again the next minute', async () => {
    let now = Date.parse('2026-12-04T21:00:10Z');
    const budgets = new C2mBudgets(2, () => now);
    const deps = () => ({ client: build().client, log: recordingLog().log, budget: budgets.forCampaign('support') });

    expect((await c2mAtOffer(deps(), ENTRY, CALLER, signal())).decision.offer).toBe(true);
    expect((await c2mAtOffer(deps(), ENTRY, CALLER, signal())).decision.offer).toBe(true);
    const spent = await c2mAtOffer(deps(), ENTRY, CALLER, signal());
    expect(spent.decision).toEqual({ offer: false, reason: 'rate-limited' });
    expect(spent.events).toEqual([{ type: 'c2m-eligibility', detail: { eligible: false, error: 'c2m-budget', reason: 'rate-limited' } }]);
    expect(fake.eligibilityRequests()).toHaveLength(2);
    // Another campaign has its own budget.
    expect((await c2mAtOffer({ ...deps(), budget: budgets.forCampaign('sales') }, ENTRY, CALLER, signal())).decision.offer).toBe(true);

    now += 60_000;
    expect((await c2mAtOffer(deps(), ENTRY, CALLER, signal())).decision.offer).toBe(true);
    expect(fake.eligibilityRequests()).toHaveLength(4);
  });
});

describe('the invite at the send', () => {
  it('reuses the offer\'s callId for the number it was asked about (no second eligibility call)', async () => {
    const { client, gateway } = build();
    const deps = { client, log: recordingLog().log };
    const offer = await c2mAtOffer(deps, ENTRY, CALLER, signal());
    const eligibility = offer.update.c2mEligibility!;

    const send = await c2mAtSend(deps, ENTRY, eligibility, CALLER, signal());

    expect(send.decision).toMatchObject({ offer: true, invite: { callId: eligibility.callId } });
    expect(send.update).toEqual({});
    expect(fake.eligibilityRequests()).toHaveLength(1);
    const invite = send.decision.offer ? send.decision.invite : undefined;
    expect(await gateway.send({ id: 'm1', to: CALLER, body: 'x', channel: 'c2m', c2m: invite! }, signal())).toMatchObject({ outcome: 'accepted' });
    expect(fake.invites.map((i) => i.phone)).toEqual([CALLER]);
  });

  it('asks again for another number the caller gave, and invites that number', async () => {
    const { client, gateway } = build();
    const deps = { client, log: recordingLog().log };
    const offer = await c2mAtOffer(deps, ENTRY, CALLER, signal());

    const send = await c2mAtSend(deps, ENTRY, offer.update.c2mEligibility!, OTHER, signal());

    expect(fake.eligibilityRequests()).toHaveLength(2);
    expect(send.update.c2mEligibility).toMatchObject({ phone: OTHER, availableChannels: ['wa'] });
    const invite = send.decision.offer ? send.decision.invite : undefined;
    await gateway.send({ id: 'm1', to: OTHER, body: 'x', channel: 'c2m', c2m: invite! }, signal());
    expect(fake.invites).toEqual([{ callId: invite!.callId, phone: OTHER, channel: 'wa' }]);
  });

  it('says invalid-number for another number LivePerson refuses, so the caller can be asked again', async () => {
    const deps = { client: build().client, log: recordingLog().log };
    const send = await c2mAtSend(deps, ENTRY, null, '+1617', signal());
    expect(send.decision).toEqual({ offer: false, reason: 'invalid-number' });
  });
});
