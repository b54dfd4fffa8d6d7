import request from 'supertest';
import type { CampaignInput } from '../../src/campaigns/schema';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';
import { c2mError, startFakeC2m, C2M_ACCOUNT_ID, type FakeC2m } from '../fakes/liveperson-c2m';

/**
 * LivePerson Connect-to-Messaging through the real app: an IVR call to a campaign that
 * lists C2M, the eligibility call at the start (its answer decides whether C2M is offered
 * and on which of LivePerson's channels), the invite as a message the real outbox sends on
 * the liveperson-c2m gateway, /api/messages, the consent record, and the fallback when
 * LivePerson will not invite. The fake answers LivePerson's documented shapes and refuses
 * any request without a live AppJWT it issued (test/fakes/liveperson-c2m.ts).
 */

const DNIS = '+18005550100';
const ELIGIBLE = '+16175551234';
const NOT_ELIGIBLE = '+16175559876';
const OTHER_ELIGIBLE = '+16175550000';
const HANDOFF = 'H072047293477863';
const APP = { clientId: 'c2m-client-id', clientSecret: 'c2m client/secret+1=' };
const C2M = { channel: 'c2m' as const, skill: 'support', handoffId: HANDOFF, consent: 'By pressing 1 you agree to get a message from Acme on the channel LivePerson picks.' };

let fake: FakeC2m;
let server: TestServer;

beforeEach(async () => {
  fake = await startFakeC2m({ appJwt: APP, consumers: { [ELIGIBLE]: ['sms', 'wa'], [OTHER_ELIGIBLE]: ['wa'] } });
});
afterEach(async () => {
  await server?.close();
  await fake.close();
});

function start(c: CampaignInput): TestServer {
  server = startTestServer({
    campaigns: [c],
    env: {
      LIVEPERSON_C2M_ACCOUNT_ID: C2M_ACCOUNT_ID,
      LIVEPERSON_C2M_CLIENT_ID: APP.clientId,
      LIVEPERSON_C2M_CLIENT_SECRET: APP.clientSecret,
      LIVEPERSON_C2M_DOMAIN_API_URL: fake.url,
    },
  });
  return server;
}

const c2mOnly = () => campaign({ channels: { mode: 'fallback', list: [C2M] } });
const c2mThenSms = () => campaign({ channels: { mode: 'fallback', fallbackAfterSeconds: 120, list: [C2M, { channel: 'sms' }] } });

function callIdOf(caller: IvrCaller): string {
  const match = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'));
  if (!match?.[1]) throw new Error('no call id in the document');
  return match[1];
}

async function apiMessages(): Promise<Record<string, unknown>[]> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  expect(res.status).toBe(200);
  return res.body.messages;
}

/** A call that accepts at once and confirms the number it is calling from. */
async function acceptedCall(ani: string): Promise<IvrCaller> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

describe('eligible: LivePerson sends the invite itself', () => {
  it('the caller hears the invite was sent; LivePerson invited the number once, on the channel it recommended; /api/messages and the consent record show C2M', async () => {
    start(c2mOnly());
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: ELIGIBLE });
    expect(caller.prompts()).toContain(C2M.consent);
    const callId = callIdOf(caller);
    await caller.press('1');
    await caller.press('1');

    expect(caller.ending().result).toMatchObject({ status: 'sent', reason: 'accepted' });
    expect(caller.prompts()).toBe("We've sent you a message. Goodbye.");
    expect(fake.eligibilityRequests()).toHaveLength(1);
    expect(fake.invites).toEqual([{ callId: expect.any(String), phone: ELIGIBLE, channel: 'sms' }]);
    const [message] = await apiMessages();
    expect(message).toMatchObject({ channel: 'c2m', gateway: 'liveperson-c2m', status: 'sent', to: ELIGIBLE, vendorMessageId: fake.invites[0]!.callId });
    const events = await server.store.listEvents(callId);
    expect(events.find((e) => e.type === 'c2m-eligibility')?.detail).toEqual({ eligible: true, channel: 'sms' });
    const consent = await request(server.app)
      .get('/api/consent?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(consent.body.consent).toEqual([expect.objectContaining({ channel: 'c2m', channelConsentText: C2M.consent })]);
  });

  it('a campaign asking for WhatsApp gets it: "whatsapp" in the campaign is LivePerson\'s "wa", offered and asked for in the invite', async () => {
    start(campaign({ channels: { mode: 'fallback', list: [{ ...C2M, overrideChannel: 'whatsapp' }] } }));
    const caller = await acceptedCall(ELIGIBLE);

    expect(caller.ending().result).toMatchObject({ status: 'sent' });
    expect(JSON.parse(fake.inviteRequests()[0]!.body)).toMatchObject({ overrideChannel: 'wa' });
    expect(fake.invites).toEqual([{ callId: expect.any(String), phone: ELIGIBLE, channel: 'wa' }]);
  });

  it('refuses at load a handoff id longer than LivePerson takes (16 characters)', () => {
    expect(() => start(campaign({ channels: { mode: 'fallback', list: [{ ...C2M, handoffId: 'H0720472934778631' }] } }))).toThrow(/channels\.list\.0\.handoffId/);
  });

  it('a caller who gives another number gets a fresh eligibility call for that number, and the invite goes there', async () => {
    start(c2mOnly());
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: ELIGIBLE });
    await caller.press('1');
    await caller.press('2'); // change: enter another number
    await caller.press(OTHER_ELIGIBLE.slice(2));
    await caller.press('1');

    expect(caller.ending().result).toMatchObject({ status: 'sent' });
    expect(fake.eligibilityRequests().map((r) => JSON.parse(r.body).consumerPhoneNumber)).toEqual([ELIGIBLE, OTHER_ELIGIBLE]);
    expect(fake.invites).toEqual([{ callId: expect.any(String), phone: OTHER_ELIGIBLE, channel: 'wa' }]);
  });
});

describe('not eligible, or LivePerson cannot say', () => {
  it('a caller LivePerson says is not eligible is not offered C2M: with no other channel the call goes back to the IVR at once, nothing invited', async () => {
    start(c2mOnly());
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: NOT_ELIGIBLE });

    expect(caller.ending().result).toMatchObject({ status: 'unavailable', reason: 'not-eligible' });
    expect(fake.inviteRequests()).toHaveLength(0);
    expect(await apiMessages()).toEqual([]);
  });

  it('with SMS next in the list, the caller is offered a text instead, and gets one (no invite)', async () => {
    start(c2mThenSms());
    const caller = await acceptedCall(NOT_ELIGIBLE);

    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    expect(fake.inviteRequests()).toHaveLength(0);
    expect(await apiMessages()).toEqual([expect.objectContaining({ channel: 'sms', status: 'sent', to: NOT_ELIGIBLE })]);
  });

  it('LivePerson rate-limiting the eligibility call (1029) or failing (500) means no C2M for that caller; the SMS channel still works', async () => {
    start(c2mThenSms());
    fake.failNext(c2mError(429, 1029, 'Too many requests'));
    const limited = await acceptedCall(ELIGIBLE);
    expect(limited.prompts()).toBe("We've sent you a text. Goodbye.");

    fake.failNext({ status: 500, body: 'Internal Server Error' });
    const failed = await acceptedCall(OTHER_ELIGIBLE);
    expect(failed.prompts()).toBe("We've sent you a text. Goodbye.");
    expect(fake.inviteRequests()).toHaveLength(0);
  });

  it('a withheld caller is not asked about: no eligibility request, no C2M', async () => {
    start(c2mOnly());
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: 'anonymous' });

    expect(caller.ending().result).toMatchObject({ status: 'unavailable', reason: 'not-eligible' });
    expect(fake.eligibilityRequests()).toHaveLength(0);
  });
});

describe('the invite refused', () => {
  it('an invite LivePerson refuses for good (the handoff is gone, 1500) fails once, and the SMS fallback goes instead, once', async () => {
    start(c2mThenSms());
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: ELIGIBLE });
    await caller.press('1');
    fake.failNext(c2mError(400, 1500, 'No handoff is available'));
    await caller.press('1');

    expect(caller.prompts()).toBe("We've sent you a text. Goodbye.");
    const messages = await apiMessages();
    const invite = messages.find((m) => m.channel === 'c2m');
    expect(invite).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'c2m-1500' } });
    expect(messages.filter((m) => m.channel === 'sms')).toEqual([expect.objectContaining({ status: 'sent', fallbackOf: invite?.id })]);
    expect(fake.inviteRequests()).toHaveLength(1);
  });
});
