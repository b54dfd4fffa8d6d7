import request from 'supertest';
import { C2mClient } from '../../src/channels/c2m-client';
import type { C2mInvite } from '../../src/channels/channel';
import { c2mAtOffer } from '../../src/channels/c2m-offer';
import type { Config } from '../../src/config';
import { gatewaySettingsFrom } from '../../src/sms/gateway-config';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server';
import { c2mError, startFakeC2m, C2M_ACCOUNT_ID, type FakeC2m } from '../fakes/liveperson-c2m';

/**
 * The C2M pieces inside the real app, configured from the environment: the call is
 * started by an IVR request, the offer hook's answer is stored on it the way the
 * deflection service will store it (store.updateCall), and the invite is a message on the
 * liveperson-c2m gateway that the real outbox sends and /api/messages shows.
 *
 * The campaign's `channels` list and the service's two call sites are h2's (issue 18):
 * until they land, this test plays the service's part with the same calls.
 */

const DNIS = 'tel:+18005550100';
const CALLER = '+16175551234';
const HANDOFF = 'H072047293477863';
const APP = { clientId: 'c2m-client-id', clientSecret: 'c2m client/secret+1=' };

let fake: FakeC2m;
let server: TestServer;
let env: Record<string, string>;

beforeEach(async () => {
  fake = await startFakeC2m({ appJwt: APP, consumers: { [CALLER]: ['sms', 'wa'] } });
  env = {
    LIVEPERSON_C2M_ACCOUNT_ID: C2M_ACCOUNT_ID,
    LIVEPERSON_C2M_CLIENT_ID: APP.clientId,
    LIVEPERSON_C2M_CLIENT_SECRET: APP.clientSecret,
    LIVEPERSON_C2M_DOMAIN_API_URL: fake.url,
  };
  server = startTestServer({ env });
});
afterEach(async () => {
  await server.close();
  await fake.close();
});

async function startCall(): Promise<string> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: CALLER, callid: 'cvp-c2m' });
  const callId = /[?&]call=([^&"]+)/.exec(caller.xml.replace(/&amp;/g, '&'))?.[1];
  if (!callId) throw new Error('no call id in the document');
  return callId;
}

/** The service's offer step: eligibility, its answer stored on the call. */
async function offer(callId: string) {
  const settings = gatewaySettingsFrom(env).settings['liveperson-c2m'] as NonNullable<Config['gateways']['liveperson-c2m']>;
  const log = { error: () => undefined, warn: () => undefined, info: () => undefined };
  const step = await c2mAtOffer({ client: new C2mClient(settings), log }, { channel: 'c2m', skill: 'support', handoffId: HANDOFF }, CALLER, AbortSignal.timeout(10_000));
  await server.store.updateCall(callId, step.update, step.events, new Date().toISOString());
  if (!step.decision.offer) throw new Error('the fake makes this caller eligible');
  return step.decision.invite;
}

/** The service's send step: the invite is a message on the liveperson-c2m gateway. */
async function queue(callId: string, messageId: string, invite: C2mInvite) {
  await server.store.createMessage({
    id: messageId,
    callId,
    campaignId: 'support',
    to: CALLER,
    body: 'LivePerson invite (handoff template)',
    gateway: 'liveperson-c2m',
    fallbackGateway: null,
    segments: 1,
    encoding: 'GSM-7',
    createdAt: new Date().toISOString(),
    channel: 'c2m',
    c2m: invite,
  });
}

/** The message as /api/messages shows it, once the outbox has settled it (no clock involved: it waits for the state). */
async function settled(messageId: string): Promise<Record<string, unknown>> {
  for (;;) {
    const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
    expect(res.status).toBe(200);
    const message = (res.body.messages as Record<string, unknown>[]).find((m) => m.id === messageId);
    if (message && message.status !== 'queued') return message;
    await new Promise((r) => setImmediate(r));
  }
}

it('stores the eligibility answer on the call, and the outbox sends the invite: LivePerson invites the caller, /api/messages shows it sent', async () => {
  const callId = await startCall();
  const invite = await offer(callId);
  await queue(callId, 'msg-c2m-1', invite);

  const message = await settled('msg-c2m-1');

  expect(message).toMatchObject({ status: 'sent', channel: 'c2m', gateway: 'liveperson-c2m', vendorMessageId: invite.callId, to: CALLER });
  expect(fake.invites).toEqual([{ callId: invite.callId, phone: CALLER, channel: 'sms' }]);
  const call = await server.store.getCall(callId);
  expect(call?.c2mEligibility).toMatchObject({ callId: invite.callId, phone: CALLER, availableChannels: ['sms', 'wa'], recommendedChannel: 'sms' });
  const events = await server.store.listEvents(callId);
  expect(events.find((e) => e.type === 'c2m-eligibility')?.detail).toEqual({ eligible: true, channel: 'sms' });
});

it('an invite LivePerson refuses for good (the handoff is gone, 1500) fails once, with LivePerson\'s code on the message', async () => {
  const callId = await startCall();
  const invite = await offer(callId);
  fake.failNext(c2mError(400, 1500, 'No handoff is available'));
  await queue(callId, 'msg-c2m-2', invite);

  const message = await settled('msg-c2m-2');

  expect(message).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'c2m-1500' } });
  expect(fake.inviteRequests()).toHaveLength(1);
  expect(fake.invites).toEqual([]);
});
