import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { webhookRoutes } from '../../src/http/webhook-routes';
import type { DeliveryReceipt, InboundSms, SmsGateway, WebhookRequest, WebhookVerdict } from '../../src/sms/port';
import { SqliteStore } from '../../src/store/sqlite';

/**
 * Opt-out per channel through the real webhook route and the real SQLite store: a STOP
 * sent on WhatsApp stops WhatsApp messages and not texts, and the other way round; a
 * vendor's "opted out" receipt stops the channel of the message it is about. The gateway
 * here is a stand-in for a vendor adapter (each adapter's own signature checks are tested
 * with it): it signs with an HMAC of the body and carries the channel the way the
 * WhatsApp and Twilio adapters report it (InboundSms.channel). A forged callback and a
 * replayed one change nothing.
 */

const SECRET = 'test-webhook-secret';
const NUMBER = '+16175551234';
const sign = (body: string, secret = SECRET) => createHmac('sha256', secret).update(body).digest('hex');

function verify<T>(req: WebhookRequest, read: (body: Record<string, unknown>) => T): WebhookVerdict<T> {
  const given = Buffer.from(req.headers['x-signature'] ?? '', 'hex');
  const expected = Buffer.from(sign(req.rawBody), 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, error: 'bad signature' };
  return { ok: true, value: read(JSON.parse(req.rawBody) as Record<string, unknown>) };
}

const multiChannel: SmsGateway = {
  name: 'multi',
  channels: ['sms', 'whatsapp'],
  send: async () => ({ outcome: 'accepted', vendorMessageId: 'x' }),
  parseInbound: (req) =>
    verify<InboundSms>(req, (b) => ({
      from: b.from as string,
      to: '+18005550100',
      text: b.text as string,
      vendorMessageId: b.id as string,
      sentAt: b.at as string,
      ...(b.channel ? { channel: b.channel as 'whatsapp' } : {}),
    })),
  parseReceipt: (req) =>
    verify<DeliveryReceipt[]>(req, (b) => [
      { vendorMessageId: b.id as string, status: 'failed', vendorStatus: 'failed', errorCode: b.code as string, optedOut: true },
    ]),
};

let root: string;
let store: SqliteStore;
let app: express.Express;
let clock = Date.parse('2026-12-04T20:00:00.000Z');

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'opt-out-channel-'));
  store = SqliteStore.open(root);
  app = express();
  app.use(
    '/webhooks',
    webhookRoutes({
      gateways: new Map([['multi', multiChannel]]),
      store,
      publicBaseUrl: 'https://ivr.example.test',
      log: pino({ level: 'silent' }),
      now: () => new Date(clock),
    }),
  );
});
afterEach(async () => {
  await store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

let sequence = 0;
function inbound(text: string, channel?: 'whatsapp', fields: { id?: string; secret?: string } = {}) {
  clock += 60_000;
  const body = JSON.stringify({ from: NUMBER, text, id: fields.id ?? `in-${++sequence}`, at: new Date(clock - 1000).toISOString(), ...(channel ? { channel } : {}) });
  return request(app)
    .post('/webhooks/multi/inbound')
    .set('Content-Type', 'application/json')
    .set('X-Signature', sign(body, fields.secret))
    .send(body);
}

describe('opt-out per channel', () => {
  it('a STOP on WhatsApp stops WhatsApp messages only; texts still go', async () => {
    expect((await inbound('STOP', 'whatsapp')).status).toBe(204);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(true);
    expect(await store.isSuppressed(NUMBER, 'sms')).toBe(false);
  });

  it('a STOP by text stops texts only; WhatsApp messages still go', async () => {
    expect((await inbound('stop')).status).toBe(204);
    expect(await store.isSuppressed(NUMBER, 'sms')).toBe(true);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(false);
  });

  it('a START on WhatsApp undoes the WhatsApp STOP and leaves a text STOP in place', async () => {
    await inbound('STOP');
    await inbound('STOP', 'whatsapp');
    await inbound('START', 'whatsapp');
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(false);
    expect(await store.isSuppressed(NUMBER, 'sms')).toBe(true);
  });

  it('refuses a forged WhatsApp STOP, and a replayed START (same vendor id) does not undo a later STOP', async () => {
    expect((await inbound('STOP', 'whatsapp', { secret: 'not-the-secret' })).status).toBe(403);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(false);
    await inbound('START', 'whatsapp', { id: 'wamid.start' });
    await inbound('STOP', 'whatsapp', { id: 'wamid.stop' });
    expect((await inbound('START', 'whatsapp', { id: 'wamid.start' })).status).toBe(204);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(true);
  });

  it("a vendor's opted-out receipt stops the channel of the message it is about", async () => {
    await store.createMessage({
      id: 'wa',
      callId: 'c1',
      campaignId: 'support',
      to: NUMBER,
      body: '',
      channel: 'whatsapp',
      gateway: 'multi',
      fallbackGateway: null,
      segments: 1,
      encoding: 'GSM-7',
      createdAt: new Date(clock).toISOString(),
    });
    await store.recordAttempt('wa', { status: 'sent', via: 'multi', vendorMessageId: 'wamid.out', vendorStatus: null }, new Date(clock).toISOString());
    const body = JSON.stringify({ id: 'wamid.out', code: '131050' });
    const res = await request(app).post('/webhooks/multi/status').set('Content-Type', 'application/json').set('X-Signature', sign(body)).send(body);
    expect(res.status).toBe(204);
    expect(await store.isSuppressed(NUMBER, 'whatsapp')).toBe(true);
    expect(await store.isSuppressed(NUMBER, 'sms')).toBe(false);
  });
});
