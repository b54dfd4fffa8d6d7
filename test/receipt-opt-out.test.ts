import request from 'supertest';
import type { WebhookRequest } from '../src/sms/port';
import { TWILIO_ACCOUNT, signedTwilioRequest, startFakeTwilio, twilioStatusFields, type FakeTwilio } from './fakes/twilio';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, startTestServer, type TestServer } from './helpers/server';

/**
 * A vendor's receipt that says the recipient opted out (here Twilio's: MessageStatus
 * failed with ErrorCode 21610, https://www.twilio.com/docs/api/errors/21610) through the
 * real route, store and adapter: the number goes on the opt-out list and the next caller
 * is told so. A forged or tampered receipt changes nothing, and a replayed one moves no
 * message back.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';
const STATUS_URL = `${PUBLIC_BASE_URL}/webhooks/twilio/status`;

let twilio: FakeTwilio;
let server: TestServer;

beforeEach(async () => {
  twilio = await startFakeTwilio();
  server = startTestServer({
    env: {
      SMS_GATEWAY: 'twilio',
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.url,
    },
  });
});
afterEach(async () => {
  await server.close();
  await twilio.close();
});

async function deflect(): Promise<IvrCaller> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

async function messages(): Promise<Array<Record<string, unknown>>> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return res.body.messages as Array<Record<string, unknown>>;
}

function post(req: WebhookRequest) {
  return request(server.app)
    .post('/webhooks/twilio/status')
    .set('Content-Type', 'application/x-www-form-urlencoded')
    .set('X-Twilio-Signature', req.headers['x-twilio-signature'] ?? '')
    .send(req.rawBody);
}

/** A status callback for our text, as Twilio signs it (or as a forger signs it, with another token). */
function receipt(sid: string, status: string, errorCode?: string, token: string = TWILIO_ACCOUNT.authToken): WebhookRequest {
  return signedTwilioRequest(token, STATUS_URL, twilioStatusFields({ messageSid: sid, status, to: ANI, ...(errorCode ? { errorCode } : {}) }));
}

async function sentSid(): Promise<string> {
  expect((await deflect()).ending().result.reason).toBe('accepted');
  const [sent] = await messages();
  expect(sent).toMatchObject({ status: 'sent', sentVia: 'twilio' });
  return sent!.vendorMessageId as string;
}

describe('a receipt that says the recipient opted out', () => {
  it('puts the number on the opt-out list: the next caller is told, and Twilio is not asked again', async () => {
    const sid = await sentSid();

    expect((await post(receipt(sid, 'failed', '21610'))).status).toBe(204);

    expect(await server.store.isSuppressed(ANI)).toBe(true);
    expect((await messages())[0]).toMatchObject({ status: 'failed', error: { code: '21610' } });
    const sends = twilio.requests.length;
    const caller = await deflect();
    expect(caller.prompts()).toContain('That number has asked us not to send it texts.');
    expect(twilio.requests).toHaveLength(sends);
  });

  it('does not opt anyone out when it names a message we never sent', async () => {
    await sentSid();

    expect((await post(receipt('SM00000000000000000000000000000000', 'failed', '21610'))).status).toBe(204);

    expect(await server.store.isSuppressed(ANI)).toBe(false);
  });

  it('another failure (30003, unreachable) fails the message but opts no one out', async () => {
    const sid = await sentSid();

    expect((await post(receipt(sid, 'undelivered', '30003'))).status).toBe(204);

    expect((await messages())[0]).toMatchObject({ status: 'undelivered' });
    expect(await server.store.isSuppressed(ANI)).toBe(false);
  });
});

describe('a forged, tampered or replayed receipt', () => {
  it('signed with another auth token (forged): 403, nothing changes', async () => {
    const sid = await sentSid();

    expect((await post(receipt(sid, 'failed', '21610', 'not-our-auth-token'))).status).toBe(403);

    expect(await server.store.isSuppressed(ANI)).toBe(false);
    expect((await messages())[0]).toMatchObject({ status: 'sent' });
  });

  it('with ErrorCode 21610 added to a genuine receipt (tampered): 403, nothing changes', async () => {
    const sid = await sentSid();
    const genuine = receipt(sid, 'failed');
    const tampered = { ...genuine, rawBody: `${genuine.rawBody}&ErrorCode=21610` };

    expect((await post(tampered)).status).toBe(403);

    expect(await server.store.isSuppressed(ANI)).toBe(false);
    expect((await messages())[0]).toMatchObject({ status: 'sent' });
  });

  it('replayed after a later status (stale): accepted as Twilio retries are, but the message does not move back', async () => {
    const sid = await sentSid();
    const sent = receipt(sid, 'sent');

    expect((await post(sent)).status).toBe(204);
    expect((await post(receipt(sid, 'delivered'))).status).toBe(204);
    expect((await post(sent)).status).toBe(204);

    expect((await messages())[0]).toMatchObject({ status: 'delivered', vendorStatus: 'delivered' });
  });
});
