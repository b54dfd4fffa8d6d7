import request from 'supertest';
import type { FakeServer } from '../fakes/fake-server';
import {
  metaSignature,
  startFakeWhatsapp,
  statusBody,
  textBody,
  WA_APP_SECRET,
  WA_PHONE_NUMBER_ID,
  WA_TOKEN,
  WA_VERIFY_TOKEN,
  WA_VERSION,
} from '../fakes/whatsapp-cloud';
import { IvrCaller } from '../helpers/ivr-caller';
import { ADMIN_TOKEN, campaign, startTestServer, type TestServer } from '../helpers/server';

/**
 * Meta's callbacks through the real app (routes, store, outbox): the handshake Meta makes
 * when the callback URL is saved, signed statuses moving the caller's message forward,
 * forged ones refused, and a STOP on WhatsApp that a replay cannot repeat.
 */

const DNIS = '+18005550100';
const ANI = '+16175551234';
const CALLBACK = '/webhooks/whatsapp-cloud/status';

let meta: FakeServer;
let server: TestServer;

/** Meta's settings, pointing the adapter at the fake. */
const whatsappEnv = (): Record<string, string> => ({
  WHATSAPP_ACCESS_TOKEN: WA_TOKEN,
  WHATSAPP_PHONE_NUMBER_ID: WA_PHONE_NUMBER_ID,
  WHATSAPP_APP_SECRET: WA_APP_SECRET,
  WHATSAPP_VERIFY_TOKEN: WA_VERIFY_TOKEN,
  WHATSAPP_API_BASE_URL: meta.url,
  WHATSAPP_API_VERSION: WA_VERSION,
});

beforeEach(async () => {
  meta = await startFakeWhatsapp();
  // A WhatsApp-only gateway is a channel of a campaign, never its SMS gateway.
  server = startTestServer({
    env: whatsappEnv(),
    campaigns: [
      campaign({
        channels: {
          mode: 'fallback',
          list: [{ channel: 'whatsapp', gateway: 'whatsapp-cloud', template: { name: 'chat_link', language: 'en_US', body: ['{link}'] }, consent: 'By pressing 1 you agree to get WhatsApp messages from Acme.' }],
        },
      }),
    ],
  });
});
afterEach(async () => {
  await server.close();
  await meta.close();
});

/** Posts a body as Meta does: JSON, signed with the app secret unless told otherwise. */
async function post(body: string, options: { path?: string; signature?: string | null } = {}) {
  const req = request(server.app).post(options.path ?? CALLBACK).set('Content-Type', 'application/json');
  const signature = options.signature === undefined ? await metaSignature(body) : options.signature;
  return (signature === null ? req : req.set('X-Hub-Signature-256', signature)).send(body);
}

async function call(): Promise<IvrCaller> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani: ANI });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

async function messages(): Promise<Array<{ status: string; vendorMessageId: string; vendorStatus: string | null }>> {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return res.body.messages;
}

const OPTED_OUT = 'That number has asked us not to send it texts.';

describe('the subscription handshake (GET with hub.*)', () => {
  const handshake = (token: string, path = CALLBACK) =>
    request(server.app).get(path).query({ 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '1158201444' });

  it('answers the challenge as text when the verify token is ours, on either callback path', async () => {
    for (const path of [CALLBACK, '/webhooks/whatsapp-cloud/inbound']) {
      const res = await handshake(WA_VERIFY_TOKEN, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain/);
      expect(res.text).toBe('1158201444');
    }
  });

  it('refuses a wrong verify token with 403, and does not echo the challenge', async () => {
    const res = await handshake('guessed-token');

    expect(res.status).toBe(403);
    expect(res.text).not.toContain('1158201444');
  });
});

it('a signed status moves the caller’s message to delivered; a late "sent" does not move it back', async () => {
  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
  const [sent] = await messages();
  expect(sent).toMatchObject({ status: 'sent', vendorMessageId: expect.stringMatching(/^wamid\./) });
  const id = sent!.vendorMessageId;

  expect((await post(statusBody(id, 'delivered'))).status).toBe(200);
  expect((await messages())[0]).toMatchObject({ status: 'delivered', vendorStatus: 'delivered' });
  expect((await post(statusBody(id, 'sent'))).status).toBe(200);
  expect((await messages())[0]).toMatchObject({ status: 'delivered' });
});

it('a signed "read" status moves a delivered message to read', async () => {
  await call();
  const id = (await messages())[0]!.vendorMessageId;

  expect((await post(statusBody(id, 'delivered'))).status).toBe(200);
  expect((await post(statusBody(id, 'read'))).status).toBe(200);
  expect((await messages())[0]).toMatchObject({ status: 'read', vendorStatus: 'read' });
  expect((await post(statusBody(id, 'delivered'))).status).toBe(200);
  expect((await messages())[0]).toMatchObject({ status: 'read' });
});

it('an unsigned or forged status is refused and changes nothing', async () => {
  await call();
  const id = (await messages())[0]!.vendorMessageId;
  const body = statusBody(id, 'delivered');

  expect((await post(body, { signature: null })).status).toBe(401);
  expect((await post(body, { signature: await metaSignature(body, 'not-the-app-secret') })).status).toBe(403);
  expect((await post(body, { signature: await metaSignature(statusBody(id, 'sent')) })).status).toBe(403);
  expect((await messages())[0]).toMatchObject({ status: 'sent' });
});

it('a failed status with 131050 (stopped marketing messages) means the next caller on that number gets nothing', async () => {
  await call();
  const id = (await messages())[0]!.vendorMessageId;
  const failed = statusBody(id, 'failed', ANI.slice(1), [{ code: 131050, title: 'User has stopped marketing messages' }]);
  expect((await post(failed)).status).toBe(200);

  expect((await call()).prompts()).toContain(OPTED_OUT);
  expect(meta.requests).toHaveLength(1);
});

it('a STOP sent on WhatsApp, posted to the one callback URL, opts the number out of WhatsApp, not of SMS', async () => {
  // Opt-out is per channel: a campaign that offers both (choice: 1 for a text, 3 for WhatsApp).
  await server.close();
  server = startTestServer({
    env: whatsappEnv(),
    campaigns: [
      campaign({
        channels: {
          mode: 'choice',
          list: [
            { channel: 'sms', key: '1' },
            {
              channel: 'whatsapp',
              gateway: 'whatsapp-cloud',
              template: { name: 'chat_link', language: 'en_US', body: ['{link}'] },
              consent: 'By pressing 3 you agree to get WhatsApp messages from Acme.',
              key: '3',
            },
          ],
        },
      }),
    ],
  });
  const choose = async (key: string) => {
    const caller = new IvrCaller(server.app);
    await caller.start({ dnis: DNIS, ani: ANI });
    await caller.press(key);
    await caller.press('1');
    return caller;
  };
  expect((await post(textBody(ANI.slice(1), 'STOP'))).status).toBe(200);

  expect((await choose('3')).prompts()).toContain(OPTED_OUT);
  expect(meta.requests).toHaveLength(0);
  // The same caller still gets a text (through the sandbox, the campaign's SMS gateway).
  const texted = await choose('1');
  expect(texted.prompts()).toBe("We've sent you a text. Goodbye.");
  expect(await server.store.listMessages({ limit: 10 })).toEqual([expect.objectContaining({ channel: 'sms', to: ANI, status: 'sent' })]);
});

it('a signed STOP replayed after a START does not opt the caller out again (its wamid gives it away)', async () => {
  const stop = textBody(ANI.slice(1), 'STOP', 'wamid.STOP1', '1750857384');
  expect((await post(stop)).status).toBe(200);
  expect((await post(textBody(ANI.slice(1), 'START', 'wamid.START1', '1750857390'))).status).toBe(200);
  // The captured STOP, bytes and signature unchanged, on either path.
  expect((await post(stop)).status).toBe(200);
  expect((await post(stop, { path: '/webhooks/whatsapp-cloud/inbound' })).status).toBe(200);

  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
  expect(meta.requests).toHaveLength(1);
});

it('a forged STOP is refused and the caller still gets the text', async () => {
  const stop = textBody(ANI.slice(1), 'STOP');
  expect((await post(stop, { signature: await metaSignature(stop, 'forged') })).status).toBe(403);
  expect((await post(stop, { path: '/webhooks/whatsapp-cloud/inbound', signature: null })).status).toBe(401);

  expect((await call()).ending().result).toMatchObject({ status: 'sent' });
});

describe('batched callbacks (Meta batches up to 1,000 updates in one POST)', () => {
  /** One signed POST carrying `count` status updates for the caller's message, the last one "delivered". */
  function batch(id: string, count: number): string {
    const one = JSON.parse(statusBody(id, 'sent'));
    const statuses = one.entry[0].changes[0].value.statuses;
    const filler = Array.from({ length: count - 1 }, () => statuses[0]);
    one.entry[0].changes[0].value.statuses = [...filler, JSON.parse(statusBody(id, 'delivered')).entry[0].changes[0].value.statuses[0]];
    return JSON.stringify(one);
  }

  it('takes a batch larger than other vendors’ 64 kB bound, answering 200 as Meta asks', async () => {
    await call();
    const [sent] = await messages();
    const body = batch(sent!.vendorMessageId, 400);
    expect(Buffer.byteLength(body)).toBeGreaterThan(64 * 1024);

    expect((await post(body)).status).toBe(200);
    expect((await messages())[0]).toMatchObject({ status: 'delivered' });
  });

  it('refuses a body over 1 MB with 413, before reading its signature', async () => {
    const body = JSON.stringify({ object: 'whatsapp_business_account', padding: 'x'.repeat(1_100_000) });
    expect((await post(body)).status).toBe(413);
  });
});
