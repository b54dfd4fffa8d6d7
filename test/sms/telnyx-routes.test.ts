import request from 'supertest';
import type { WebhookRequest } from '../../src/sms/port';
import type { FakeServer } from '../fakes/fake-server';
import { acceptTelnyxMessage, signedTelnyxRequest, startFakeTelnyx, telnyxDeliveryEvent, telnyxError, telnyxInboundEvent, telnyxKeys } from '../fakes/telnyx';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, PUBLIC_BASE_URL, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Telnyx callbacks through the real routes and store: what a caller notices when Telnyx
 * reports an opt-out in a receipt, answers 40300 to a send, or when a signed STOP is
 * replayed inside the signature's 5-minute window.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';
const FROM = '+18445550001';
const KEY = 'KEY01-telnyx-routes-test';
const KEYS = telnyxKeys();

let fake: FakeServer;
let server: TestServer;

beforeEach(async () => {
  fake = await startFakeTelnyx(KEY);
  server = startTestServer({
    env: { TELNYX_API_KEY: KEY, TELNYX_FROM: FROM, TELNYX_PUBLIC_KEY: KEYS.publicKey, TELNYX_BASE_URL: fake.url },
    campaigns: [campaign({ gateway: 'telnyx' })],
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

const OPTED_OUT = 'That number has asked us not to send it texts.';

it('a receipt failed by the recipient\'s STOP (40300) means the next caller on that number gets no text', async () => {
  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
  const id = await sentId();
  const event = telnyxDeliveryEvent({ messageId: id, status: 'sending_failed', to: ANI, errors: [{ code: '40300', title: 'Blocked due to STOP message' }] });
  expect((await deliver(signedTelnyxRequest(KEYS.secretKey, `${PUBLIC_BASE_URL}/webhooks/telnyx/status`, event))).status).toBe(204);

  const again = await call();
  expect(again.prompts()).toContain(OPTED_OUT);
  expect(fake.requests).toHaveLength(1);
});

it('a send refused with 40300 tells the caller the number opted out, and puts it on the list', async () => {
  fake.respond(() => telnyxError(409, '40300', 'Blocked due to STOP message', `Messages cannot be sent from ${FROM} to ${ANI} due to an existing block rule.`));
  expect((await call()).prompts()).toContain(OPTED_OUT);

  fake.respond(acceptTelnyxMessage);
  expect((await call()).prompts()).toContain(OPTED_OUT);
  expect(fake.requests).toHaveLength(1);
});

it('a signed STOP replayed after a START, inside the 5-minute window, does not opt the caller out again', async () => {
  const inbound = (text: string) =>
    signedTelnyxRequest(KEYS.secretKey, `${PUBLIC_BASE_URL}/webhooks/telnyx/inbound`, telnyxInboundEvent({ from: ANI, to: FROM, text }));
  const stop = inbound('STOP');
  expect((await deliver(stop)).status).toBe(204);
  expect((await deliver(inbound('START'))).status).toBe(204);
  // The captured STOP, bytes and signature unchanged: Telnyx's message id gives it away.
  expect((await deliver(stop)).status).toBe(204);

  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
});

/** The Telnyx message id the one text was recorded under (what Telnyx's receipts name). */
async function sentId(): Promise<string> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  const [message] = res.body.messages as Array<{ vendorMessageId: string }>;
  expect(message?.vendorMessageId).toMatch(/^[0-9a-f-]{36}$/);
  return message!.vendorMessageId;
}
