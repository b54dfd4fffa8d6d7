import request from 'supertest';
import { signTimestamped } from '../src/signing/timestamped-hmac';
import { startFakeWebhookGateway, type FakeWebhookGateway } from './fakes/webhook';
import { IvrCaller } from './helpers/ivr-caller';
import { ADMIN_TOKEN, startTestServer, type TestServer } from './helpers/server';

/**
 * Delivery receipts and inbound texts through the real routes, store and adapter (the
 * generic in-house webhook gateway, whose callbacks are HMAC-signed): what a receipt does
 * to /api/messages, and what STOP and START do to the next caller.
 */

const SECRET = 'in-house-gateway-secret';
const DNIS = '+18005550100';
const ANI = '+16175551234';

let gateway: FakeWebhookGateway;
let server: TestServer;

beforeEach(async () => {
  gateway = await startFakeWebhookGateway(SECRET);
  server = startTestServer({ env: { SMS_GATEWAY: 'webhook', SMS_WEBHOOK_URL: `${gateway.url}/sms`, SMS_WEBHOOK_SECRET: SECRET } });
});
afterEach(async () => {
  await server.close();
  await gateway.close();
});

async function messages() {
  const res = await request(server.app).get('/api/messages?reveal=true&reason=test+assertions').set('Authorization', `Bearer ${ADMIN_TOKEN}`);
  return res.body.messages as Array<Record<string, unknown>>;
}

async function deflect(ani = ANI): Promise<IvrCaller> {
  const caller = new IvrCaller(server.app);
  await caller.start({ dnis: DNIS, ani });
  await caller.press('1');
  await caller.press('1');
  return caller;
}

function signed(path: string, payload: unknown, secret = SECRET, at = new Date()) {
  const body = JSON.stringify(payload);
  const { timestamp, signature } = signTimestamped(secret, body, at);
  return request(server.app)
    .post(path)
    .set('Content-Type', 'application/json')
    .set('X-Signature-Timestamp', timestamp)
    .set('X-Signature', signature)
    .send(body);
}

describe('delivery receipts', () => {
  it('move a sent message to delivered, and duplicates or stragglers do not move it back', async () => {
    const caller = await deflect();
    expect(caller.ending().result.reason).toBe('accepted');
    const [sent] = await messages();
    expect(sent).toMatchObject({ status: 'sent', sentVia: 'webhook', vendorMessageId: `gw-${gateway.accepted[0]?.id}` });

    expect((await signed('/webhooks/webhook/status', { id: sent?.vendorMessageId, status: 'delivered' })).status).toBe(204);
    expect((await messages())[0]).toMatchObject({ status: 'delivered', vendorStatus: 'delivered' });

    // The same receipt again, then a late "sent" and a late "queued": nothing changes.
    for (const status of ['delivered', 'sent', 'queued']) {
      expect((await signed('/webhooks/webhook/status', { id: sent?.vendorMessageId, status })).status).toBe(204);
    }
    expect((await messages())[0]).toMatchObject({ status: 'delivered', vendorStatus: 'delivered' });
  });

  it('record a failure reported after acceptance, with the vendor code', async () => {
    await deflect();
    const [sent] = await messages();
    await signed('/webhooks/webhook/status', { id: sent?.vendorMessageId, status: 'undelivered', errorCode: '30003' });
    expect((await messages())[0]).toMatchObject({ status: 'undelivered', error: { code: '30003', detail: null } });
  });

  it('refuse forged, unsigned and stale callbacks, which change nothing', async () => {
    await deflect();
    const [sent] = await messages();
    const receipt = { id: sent?.vendorMessageId, status: 'failed' };
    expect((await signed('/webhooks/webhook/status', receipt, 'not-the-secret')).status).toBe(401);
    expect((await signed('/webhooks/webhook/status', receipt, SECRET, new Date(Date.now() - 3_600_000))).status).toBe(401);
    const unsigned = await request(server.app).post('/webhooks/webhook/status').set('Content-Type', 'application/json').send(receipt);
    expect(unsigned.status).toBe(401);
    expect((await messages())[0]).toMatchObject({ status: 'sent' });
  });

  it('answer 404 for a gateway that is not configured or has no callbacks', async () => {
    expect((await request(server.app).post('/webhooks/twilio/status').send('x')).status).toBe(404);
    expect((await request(server.app).post('/webhooks/sandbox/status').send('x')).status).toBe(404);
  });

  it('accept a receipt for a message we do not know, without failing', async () => {
    expect((await signed('/webhooks/webhook/status', { id: 'gw-unknown', status: 'delivered' })).status).toBe(204);
  });
});

describe('opt-out by text', () => {
  it('STOP suppresses the number for every campaign; the next caller is told and asked for another', async () => {
    expect((await signed('/webhooks/webhook/inbound', { from: ANI, to: '+16175550000', text: 'Stop.' })).status).toBe(204);
    expect(await server.store.isSuppressed(ANI)).toBe(true);

    const caller = await deflect();
    expect(caller.prompts()).toContain('That number has asked us not to send it texts.');
    expect(gateway.accepted).toHaveLength(0);
    expect(await messages()).toHaveLength(0);
  });

  it('START undoes it', async () => {
    await signed('/webhooks/webhook/inbound', { from: ANI, to: '+16175550000', text: 'STOP' });
    await signed('/webhooks/webhook/inbound', { from: ANI, to: '+16175550000', text: 'start' });
    expect(await server.store.isSuppressed(ANI)).toBe(false);
    expect((await deflect()).ending().result.reason).toBe('accepted');
  });

  it('ignores other texts, and refuses a forged STOP', async () => {
    await signed('/webhooks/webhook/inbound', { from: ANI, to: '+16175550000', text: "please don't stop" });
    expect(await server.store.isSuppressed(ANI)).toBe(false);
    expect((await signed('/webhooks/webhook/inbound', { from: ANI, to: '+1', text: 'STOP' }, 'forged')).status).toBe(401);
    expect(await server.store.isSuppressed(ANI)).toBe(false);
  });
});
