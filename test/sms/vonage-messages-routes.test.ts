import request from 'supertest';
import type { WebhookRequest } from '../../src/sms/port';
import { signedVonageWebhook, startFakeVonageMessages, vonageApplication, vonageInboundBody, vonageStatusBody, type FakeVonageMessages } from '../fakes/vonage-messages';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * The Vonage Messages API gateway in the whole server: a caller's text goes out through
 * it, and Vonage's signed status and inbound webhooks reach the real routes and store.
 * What a user notices: the message's status in the admin API, and a STOP honoured; a
 * forged, unsigned or replayed webhook changes nothing.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';
const APP = vonageApplication();
const STATUS_URL = `${PUBLIC_BASE_URL}/webhooks/vonage-messages/status`;
const INBOUND_URL = `${PUBLIC_BASE_URL}/webhooks/vonage-messages/inbound`;

let fake: FakeVonageMessages;
let server: TestServer;

beforeEach(async () => {
  fake = await startFakeVonageMessages(APP);
  server = startTestServer({
    env: {
      VONAGE_MESSAGES_APPLICATION_ID: APP.applicationId,
      VONAGE_MESSAGES_PRIVATE_KEY: APP.privateKey,
      VONAGE_MESSAGES_SIGNATURE_SECRET: APP.signatureSecret,
      VONAGE_MESSAGES_SMS_FROM: '18445550001',
      VONAGE_MESSAGES_BASE_URL: fake.url,
    },
    campaigns: [campaign({ gateway: 'vonage-messages' })],
  });
});
afterEach(async () => {
  await server.close();
  await fake.close();
});

function deliver(callback: WebhookRequest) {
  let req = request(server.app).post(callback.url.slice(PUBLIC_BASE_URL.length));
  for (const [name, value] of Object.entries(callback.headers)) if (value !== undefined) req = req.set(name, value);
  return req.send(callback.rawBody);
}

async function call(): Promise<IvrCaller> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

async function theMessage(): Promise<{ status: string; vendorMessageId: string }> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [message] = res.body.messages as Array<{ status: string; vendorMessageId: string }>;
  return message!;
}

const status = (uuid: string, vendorStatus: string, issuedAt = new Date()) =>
  signedVonageWebhook(APP.signatureSecret, STATUS_URL, vonageStatusBody({ uuid, status: vendorStatus, channel: 'sms' }), { issuedAt });

// The read receipt's effect on the store is h1's part of issue 18 (the gateway's mapping
// of "read" is in vonage-messages.test.ts): this test stops at delivered.
it('sends the caller’s text through Vonage, and the delivered webhook marks it delivered', async () => {
  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
  expect(fake.accepted).toHaveLength(1);
  expect(fake.accepted[0]!.body).toMatchObject({ channel: 'sms', to: ANI.slice(1), message_type: 'text' });
  const { vendorMessageId } = await theMessage();
  expect(vendorMessageId).toBe(fake.accepted[0]!.uuid);

  expect((await deliver(status(vendorMessageId, 'delivered'))).status).toBeLessThan(300);
  expect((await theMessage()).status).toBe('delivered');
});

it('an undeliverable webhook marks the text undelivered', async () => {
  await call();
  const { vendorMessageId } = await theMessage();

  expect((await deliver(status(vendorMessageId, 'undeliverable'))).status).toBeLessThan(300);
  expect((await theMessage()).status).toBe('undelivered');
});

it('forged, unsigned, altered and replayed status webhooks are refused and change nothing', async () => {
  await call();
  const { vendorMessageId } = await theMessage();
  const before = (await theMessage()).status;
  const good = status(vendorMessageId, 'undeliverable');
  const { authorization: _dropped, ...unsigned } = good.headers;

  const refusals = [
    signedVonageWebhook('not-the-secret', STATUS_URL, vonageStatusBody({ uuid: vendorMessageId, status: 'undeliverable' })),
    { ...good, headers: unsigned },
    { ...good, rawBody: good.rawBody.replace('undeliverable', 'delivered') },
    // Captured and replayed ten minutes after Vonage signed it.
    status(vendorMessageId, 'undeliverable', new Date(Date.now() - 10 * 60_000)),
  ];
  for (const forged of refusals) expect((await deliver(forged)).status).toBe(403);
  expect((await theMessage()).status).toBe(before);
});

it('a signed STOP through Vonage’s inbound webhook means the next caller on that number gets no text', async () => {
  const stop = signedVonageWebhook(APP.signatureSecret, INBOUND_URL, vonageInboundBody({ channel: 'sms', from: ANI.slice(1), to: '18445550001', text: 'STOP' }));
  expect((await deliver(stop)).status).toBeLessThan(300);

  expect((await call()).prompts()).toContain('That number has asked us not to send it texts.');
  expect(fake.accepted).toHaveLength(0);
});

it('an unsigned STOP is refused and the caller still gets the text', async () => {
  const stop = signedVonageWebhook(APP.signatureSecret, INBOUND_URL, vonageInboundBody({ channel: 'sms', from: ANI.slice(1), to: '18445550001', text: 'STOP' }));
  const { authorization: _dropped, ...unsigned } = stop.headers;
  expect((await deliver({ ...stop, headers: unsigned })).status).toBe(403);

  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
  expect(fake.accepted).toHaveLength(1);
});

it('a signed STOP replayed after a START, inside the 5-minute window, does not opt the caller out again', async () => {
  // Sent two and one seconds ago: Vonage's timestamp orders the STOP before the START.
  const inbound = (text: string, secondsAgo: number) =>
    signedVonageWebhook(
      APP.signatureSecret,
      INBOUND_URL,
      vonageInboundBody({ channel: 'sms', from: ANI.slice(1), to: '18445550001', text, timestamp: new Date(Date.now() - secondsAgo * 1000) }),
    );
  const stop = inbound('STOP', 2);
  expect((await deliver(stop)).status).toBeLessThan(300);
  expect((await deliver(inbound('START', 1))).status).toBeLessThan(300);
  // The captured STOP, bytes and token unchanged: its message_uuid gives it away.
  expect((await deliver(stop)).status).toBeLessThan(300);

  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
});
