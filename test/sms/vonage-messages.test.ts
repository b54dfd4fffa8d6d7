import { createHmac } from 'node:crypto';
import { loadConfig } from '../../src/config';
import { gatewaySettingsFrom, type VonageMessagesSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms, WebhookRequest } from '../../src/sms/port';
import { VonageMessagesGateway } from '../../src/sms/vonage-messages';
import {
  problem,
  signedVonageWebhook,
  startFakeVonageMessages,
  vonageApplication,
  vonageInboundBody,
  vonageStatusBody,
  type FakeVonageMessages,
} from '../fakes/vonage-messages';

/**
 * The Vonage Messages API adapter against a fake built from Vonage's documentation
 * (test/fakes/vonage-messages.ts cites the pages). The clock is injected: webhook ages
 * are set relative to it, never measured.
 */

const APP = vonageApplication();
const NOW = new Date('2026-03-02T10:00:00Z');
const STATUS_URL = 'https://ivr.example.com/webhooks/vonage-messages/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/vonage-messages/inbound';

const SMS: OutgoingSms = { id: 'msg-1', to: '+447700900000', body: 'Chat with us: https://x.example/c/abc' };
const WHATSAPP: OutgoingSms = {
  ...SMS,
  id: 'msg-w',
  channel: 'whatsapp',
  template: { name: 'chat_link', language: 'en_US', body: ['https://x.example/c/abc'] },
};

let fake: FakeVonageMessages;

beforeAll(async () => {
  fake = await startFakeVonageMessages(APP, undefined, () => NOW);
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.accepted.length = 0;
  fake.respond(undefined as never);
});

function settings(overrides: Partial<VonageMessagesSettings> = {}): VonageMessagesSettings {
  return {
    applicationId: APP.applicationId,
    privateKey: APP.privateKey,
    signatureSecret: APP.signatureSecret,
    smsFrom: 'Acme',
    whatsappFrom: '+447700900001',
    rcsFrom: 'AcmeRCS',
    baseUrl: fake.url,
    ...overrides,
  };
}

function gateway(overrides: Partial<VonageMessagesSettings> = {}): VonageMessagesGateway {
  return new VonageMessagesGateway(settings(overrides), () => NOW);
}

const send = (sms: OutgoingSms, g = gateway()) => g.send(sms, AbortSignal.timeout(10_000));
const sentBody = () => JSON.parse(fake.requests.at(-1)!.body) as Record<string, unknown>;

describe('configuration', () => {
  it('reads the VONAGE_MESSAGES_ variables, a PEM given on one line with \\n escapes included', () => {
    const { settings: s, problems } = gatewaySettingsFrom({
      VONAGE_MESSAGES_APPLICATION_ID: APP.applicationId,
      VONAGE_MESSAGES_PRIVATE_KEY: APP.privateKey.replace(/\n/g, '\\n'),
      VONAGE_MESSAGES_SIGNATURE_SECRET: APP.signatureSecret,
      VONAGE_MESSAGES_WHATSAPP_FROM: '447700900001',
    });

    expect(problems).toEqual([]);
    expect(s['vonage-messages']).toMatchObject({ applicationId: APP.applicationId, baseUrl: 'https://api.nexmo.com', whatsappFrom: '447700900001' });
    expect(s.vonage).toBeUndefined();
    expect(new VonageMessagesGateway(s['vonage-messages']!).channels).toEqual(['whatsapp']);
  });

  it('names each missing variable, and a sender when none is set', () => {
    const { problems } = gatewaySettingsFrom({ VONAGE_MESSAGES_APPLICATION_ID: APP.applicationId });

    expect(problems).toEqual([
      'VONAGE_MESSAGES_PRIVATE_KEY: is required when vonage-messages is configured',
      'VONAGE_MESSAGES_SIGNATURE_SECRET: is required when vonage-messages is configured',
      'VONAGE_MESSAGES_SMS_FROM: set it, VONAGE_MESSAGES_WHATSAPP_FROM or VONAGE_MESSAGES_RCS_FROM when vonage-messages is configured',
    ]);
  });

  it('a truncated private key stops start-up with a message naming the variable, and not quoting the key', () => {
    const truncated = APP.privateKey.slice(0, 400);
    const start = () =>
      loadConfig({
        VONAGE_MESSAGES_APPLICATION_ID: APP.applicationId,
        VONAGE_MESSAGES_PRIVATE_KEY: truncated,
        VONAGE_MESSAGES_SIGNATURE_SECRET: APP.signatureSecret,
        VONAGE_MESSAGES_SMS_FROM: 'Acme',
      });

    expect(start).toThrow(/VONAGE_MESSAGES_PRIVATE_KEY: must be a PEM private key/);
    expect(start).not.toThrow(truncated.slice(40, 80));
  });

  it('a whole key passes the start-up check, and SMS_GATEWAY may name the gateway', () => {
    const config = loadConfig({
      SMS_GATEWAY: 'vonage-messages',
      VONAGE_MESSAGES_APPLICATION_ID: APP.applicationId,
      VONAGE_MESSAGES_PRIVATE_KEY: APP.privateKey,
      VONAGE_MESSAGES_SIGNATURE_SECRET: APP.signatureSecret,
      VONAGE_MESSAGES_SMS_FROM: 'Acme',
    });

    expect(config.gateways['vonage-messages']).toMatchObject({ applicationId: APP.applicationId });
  });

  it('carries the channels it has a sender for', () => {
    expect(gateway().channels).toEqual(['sms', 'whatsapp', 'rcs']);
    expect(gateway({ whatsappFrom: undefined, rcsFrom: undefined }).channels).toEqual(['sms']);
  });
});

describe('the request', () => {
  it('POSTs JSON to /v1/messages with an RS256 JWT of our application (application_id, iat, jti, exp), which the fake verifies with the public key', async () => {
    const outcome = await send(SMS);

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: fake.accepted[0]!.uuid });
    expect(fake.lastClaims).toMatchObject({ application_id: APP.applicationId, iat: NOW.getTime() / 1000, jti: expect.any(String) });
    expect(fake.lastClaims!.exp).toBeGreaterThan(NOW.getTime() / 1000);
    expect(fake.requests[0]!.headers['content-type']).toBe('application/json');
  });

  it('signs each request with a new jti', async () => {
    await send(SMS);
    const first = fake.lastClaims!.jti;
    await send(SMS);

    expect(fake.lastClaims!.jti).not.toBe(first);
  });

  it('a token signed with another key is refused by the fake (so the check above can fail)', async () => {
    const other = vonageApplication();
    const outcome = await send(SMS, gateway({ privateKey: other.privateKey }));

    expect(outcome).toMatchObject({ outcome: 'retryable', code: 'vonage-unauthorized' });
    expect(fake.accepted).toHaveLength(0);
  });

  it('SMS: message_type text on channel sms, the number without its +, our id as client_ref', async () => {
    await send(SMS);

    expect(sentBody()).toEqual({ to: '447700900000', from: 'Acme', channel: 'sms', message_type: 'text', text: SMS.body, client_ref: 'msg-1' });
  });

  it('WhatsApp: the documented template message, with the template’s language as locale', async () => {
    await send(WHATSAPP);

    expect(sentBody()).toEqual({
      to: '447700900000',
      from: '447700900001',
      channel: 'whatsapp',
      client_ref: 'msg-w',
      message_type: 'template',
      template: { name: 'chat_link', parameters: ['https://x.example/c/abc'] },
      whatsapp: { policy: 'deterministic', locale: 'en_US' },
    });
  });

  it('WhatsApp with a URL button: a custom message carrying the template’s body and button components', async () => {
    await send({ ...WHATSAPP, template: { ...WHATSAPP.template!, urlButton: 'abc' } });

    expect(sentBody()).toMatchObject({
      channel: 'whatsapp',
      message_type: 'custom',
      custom: {
        type: 'template',
        template: {
          name: 'chat_link',
          language: { policy: 'deterministic', code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: 'https://x.example/c/abc' }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc' }] },
          ],
        },
      },
    });
    expect(fake.accepted).toHaveLength(1);
  });

  it('RCS: a text message from the RCS agent, with an SMS failover when the campaign wants the vendor to fall back', async () => {
    await send({ ...SMS, channel: 'rcs', smsFallbackByVendor: true });

    expect(sentBody()).toEqual({
      to: '447700900000',
      from: 'AcmeRCS',
      channel: 'rcs',
      message_type: 'text',
      text: SMS.body,
      client_ref: 'msg-1',
      failover: [{ to: '447700900000', from: 'Acme', channel: 'sms', message_type: 'text', text: SMS.body, client_ref: 'msg-1' }],
    });
    expect(fake.accepted).toHaveLength(1);
  });

  it('RCS without vendor fallback: no failover (our own fallback engine decides)', async () => {
    await send({ ...SMS, channel: 'rcs' });

    expect(sentBody()).not.toHaveProperty('failover');
  });

  it('refuses a channel it has no sender for, without calling Vonage', async () => {
    const outcome = await send(WHATSAPP, gateway({ whatsappFrom: undefined }));

    expect(outcome).toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'channel-not-configured' });
    expect(fake.requests).toHaveLength(0);
  });
});

describe('what Vonage answers', () => {
  it('402 low balance: ours to fix, so retryable (a fallback gateway may send)', async () => {
    fake.respond(() => problem(402, 'low-balance', 'Low balance', 'This request could not be performed due to your account balance being low.'));

    expect(await send(SMS)).toEqual({
      outcome: 'retryable',
      code: 'vonage-low-balance',
      detail: expect.stringContaining('account balance being low'),
    });
  });

  it('422 invalid parameters: permanent, quoting Vonage’s title and detail', async () => {
    fake.respond(() => problem(422, '1150', 'Invalid params', 'The value of one or more parameters is invalid.'));

    expect(await send(SMS)).toEqual({ outcome: 'permanent', code: 'vonage-1150', reason: 'rejected', detail: expect.stringContaining('Invalid params') });
  });

  it('the fake’s own 422 for a number Vonage would not take', async () => {
    expect(await send({ ...SMS, to: '+0123' })).toMatchObject({ outcome: 'permanent', code: 'vonage-1150' });
  });

  it('429: throttled, with Retry-After', async () => {
    fake.respond(() => ({ ...problem(429, 'rate-limit', 'Rate Limit Hit', 'Please wait, then retry your request'), headers: { 'content-type': 'application/problem+json', 'retry-after': '2' } }));

    expect(await send(SMS)).toMatchObject({ outcome: 'retryable', throttled: true, retryAfterMs: 2000 });
  });

  it('500: retryable', async () => {
    fake.respond(() => problem(500, 'internal-error', 'Internal Error', 'An error has occurred in the platform while processing this request'));

    expect(await send(SMS)).toMatchObject({ outcome: 'retryable' });
  });

  it('a 202 without message_uuid is not Vonage’s answer: retryable', async () => {
    fake.respond(() => ({ status: 202, headers: { 'content-type': 'application/json' }, body: '{}' }));

    expect(await send(SMS)).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });
});

describe('status webhooks', () => {
  const receipt = (body: Record<string, unknown>, issuedAt = NOW) => gateway().parseReceipt(signedVonageWebhook(APP.signatureSecret, STATUS_URL, body, { issuedAt }));

  it.each([
    ['submitted', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undeliverable', 'undelivered'],
    ['rejected', 'failed'],
    ['failed', 'failed'],
  ])('maps status %s to %s', async (vendorStatus, status) => {
    expect(await receipt(vonageStatusBody({ uuid: 'u-1', status: vendorStatus }))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'u-1', status, vendorStatus }],
    });
  });

  it('keeps a rejected message’s error code', async () => {
    const body = vonageStatusBody({ uuid: 'u-1', status: 'rejected', error: { code: '1000', title: 'Throttled', detail: 'You have exceeded the submission capacity allowed on this account.' } });

    expect(await receipt(body)).toMatchObject({ ok: true, value: [{ status: 'failed', errorCode: '1000' }] });
  });

  it('answers 400 to a signed webhook with a status it does not know', async () => {
    expect(await receipt(vonageStatusBody({ uuid: 'u-1', status: 'teleported' }))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('inbound webhooks', () => {
  it('reads a WhatsApp reply: the number with its +, on the whatsapp channel', async () => {
    const body = vonageInboundBody({ channel: 'whatsapp', from: '447700900000', to: '447700900001', text: 'STOP' });

    expect(await gateway().parseInbound(signedVonageWebhook(APP.signatureSecret, INBOUND_URL, body, { issuedAt: NOW }))).toEqual({
      ok: true,
      value: { from: '+447700900000', to: '+447700900001', text: 'STOP', vendorMessageId: body.message_uuid, sentAt: '2025-02-03T12:14:25.000Z', channel: 'whatsapp' },
    });
  });

  it('reads an SMS reply with no channel named (SMS is the default)', async () => {
    const body = vonageInboundBody({ channel: 'sms', from: '447700900000', to: '447700900001', text: 'STOP' });
    const verdict = await gateway().parseInbound(signedVonageWebhook(APP.signatureSecret, INBOUND_URL, body, { issuedAt: NOW }));

    expect(verdict).toMatchObject({ ok: true, value: { from: '+447700900000', text: 'STOP' } });
    expect(verdict).not.toHaveProperty('value.channel');
  });

  it('reads an RCS reply on the rcs channel', async () => {
    const body = vonageInboundBody({ channel: 'rcs', from: '447700900000', to: 'AcmeRCS', text: 'hello' });

    expect(await gateway().parseInbound(signedVonageWebhook(APP.signatureSecret, INBOUND_URL, body, { issuedAt: NOW }))).toMatchObject({
      ok: true,
      value: { channel: 'rcs', text: 'hello' },
    });
  });
});

describe('webhook signatures: forged, unsigned, altered and replayed webhooks are refused', () => {
  const body = vonageStatusBody({ uuid: 'u-1', status: 'delivered' });
  const signed = (options: Parameters<typeof signedVonageWebhook>[3] = {}, secret = APP.signatureSecret): WebhookRequest =>
    signedVonageWebhook(secret, STATUS_URL, body, { issuedAt: NOW, ...options });

  it('the independent signer’s token is accepted (so the refusals below can fail)', async () => {
    expect(await gateway().parseReceipt(signed())).toMatchObject({ ok: true });
  });

  it('refuses a token signed with another secret', async () => {
    expect(await gateway().parseReceipt(signed({}, 'not-the-secret'))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a webhook without Authorization', async () => {
    const { authorization: _dropped, ...headers } = signed().headers;

    expect(await gateway().parseReceipt({ ...signed(), headers })).toMatchObject({ ok: false, status: 403 });
    expect(await gateway().parseInbound({ ...signed(), headers })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a body changed after signing (payload_hash no longer matches)', async () => {
    const req = signed();
    const rawBody = req.rawBody.replace('"delivered"', '"read"');

    expect(await gateway().parseReceipt({ ...req, rawBody })).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('payload_hash') });
  });

  it('refuses a token whose payload_hash is another body’s', async () => {
    expect(await gateway().parseReceipt(signed({ payloadHash: '0'.repeat(64) }))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a replay: the same signed webhook seven minutes later (five, plus a minute for clocks that differ)', async () => {
    const req = signed();
    const later = new VonageMessagesGateway(settings(), () => new Date(NOW.getTime() + 7 * 60_000));

    expect(await later.parseReceipt(req)).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('too old') });
    expect(await later.parseInbound(req)).toMatchObject({ ok: false, status: 403 });
  });

  it('takes a webhook signed four minutes ago (within the window)', async () => {
    const later = new VonageMessagesGateway(settings(), () => new Date(NOW.getTime() + 4 * 60_000));

    expect(await later.parseReceipt(signed())).toMatchObject({ ok: true });
  });

  it('refuses an unsigned token (alg none) and one claiming another algorithm', async () => {
    const req = signed();
    const [, payload] = req.headers.authorization!.slice('Bearer '.length).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const hs512Header = Buffer.from(JSON.stringify({ alg: 'HS512', typ: 'JWT' })).toString('base64url');
    const hs512 = `${hs512Header}.${payload}.${createHmac('sha512', APP.signatureSecret).update(`${hs512Header}.${payload}`).digest('base64url')}`;

    expect(await gateway().parseReceipt({ ...req, headers: { ...req.headers, authorization: `Bearer ${none}` } })).toMatchObject({ ok: false, status: 403 });
    expect(await gateway().parseReceipt({ ...req, headers: { ...req.headers, authorization: `Bearer ${hs512}` } })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses garbage in Authorization without throwing', async () => {
    for (const authorization of ['Bearer', 'Bearer a.b', 'Bearer !!!.???.***', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(5000)}.b.c`]) {
      expect(await gateway().parseReceipt({ ...signed(), headers: { authorization } })).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('a signed body that is not JSON is a 400, not a crash', async () => {
    const rawBody = 'not json';
    const hash = require('node:crypto').createHash('sha256').update(rawBody).digest('hex') as string;
    const req = signed({ payloadHash: hash });

    expect(await gateway().parseReceipt({ ...req, rawBody })).toMatchObject({ ok: false, status: 400 });
  });
});
