import { ConfigError, loadConfig } from '../../src/config';
import { gatewaySettingsFrom, type WhatsappCloudSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms, SmsGateway, WebhookRequest } from '../../src/sms/port';
import { WhatsappCloudGateway } from '../../src/sms/whatsapp-cloud';
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
  whatsappError,
  webhookBody,
  acceptWhatsappMessage,
} from '../fakes/whatsapp-cloud';

let meta: FakeServer;
beforeAll(async () => {
  meta = await startFakeWhatsapp();
});
afterAll(() => meta.close());
afterEach(() => meta.respond(acceptWhatsappMessage));

function settings(overrides: Partial<WhatsappCloudSettings> = {}): WhatsappCloudSettings {
  return {
    accessToken: WA_TOKEN,
    phoneNumberId: WA_PHONE_NUMBER_ID,
    appSecret: WA_APP_SECRET,
    verifyToken: WA_VERIFY_TOKEN,
    baseUrl: meta.url,
    apiVersion: WA_VERSION,
    ...overrides,
  };
}
const gateway = (overrides: Partial<WhatsappCloudSettings> = {}) => new WhatsappCloudGateway(settings(overrides));

const template: OutgoingSms = {
  id: 'msg-1',
  to: '+16505551234',
  body: 'Chat with us: https://x.example/c/abc',
  channel: 'whatsapp',
  template: { name: 'chat_link', language: 'en_US', body: ['https://x.example/c/abc'], urlButton: 'abc' },
};

function lastBody(): Record<string, unknown> {
  return JSON.parse(meta.requests.at(-1)!.body) as Record<string, unknown>;
}

describe('sending', () => {
  it('sends a template with its body variables and the URL button variable, and keeps the wamid', async () => {
    const outcome = await gateway().send(template, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^wamid\./) });
    const sent = meta.requests.at(-1)!;
    expect(sent.path).toBe(`/${WA_VERSION}/${WA_PHONE_NUMBER_ID}/messages`);
    expect(sent.headers.authorization).toBe(`Bearer ${WA_TOKEN}`);
    expect(lastBody()).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'template',
      template: {
        name: 'chat_link',
        language: { policy: 'deterministic', code: 'en_US' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'https://x.example/c/abc' }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc' }] },
        ],
      },
    });
  });

  it('sends a template without variables with no components', async () => {
    await gateway().send({ ...template, template: { name: 'hello_world', language: 'en_US', body: [] } }, AbortSignal.timeout(10_000));

    expect(lastBody().template).toEqual({ name: 'hello_world', language: { policy: 'deterministic', code: 'en_US' } });
  });

  it('sends a plain text, without link preview, when no template is given', async () => {
    const outcome = await gateway().send({ id: 'msg-2', to: '+16505551234', body: 'Chat: https://x.example/c/q', channel: 'whatsapp' }, AbortSignal.timeout(10_000));

    expect(outcome.outcome).toBe('accepted');
    expect(lastBody()).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'text',
      text: { preview_url: false, body: 'Chat: https://x.example/c/q' },
    });
  });

  it('a bad token is a permanent refusal (190)', async () => {
    const outcome = await gateway({ accessToken: 'EAAGwrong' }).send(template, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'permanent', code: '190', reason: 'rejected' });
  });

  // Codes and their meaning: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
  it.each([
    [400, 131026, 'Message undeliverable', { outcome: 'permanent', reason: 'not-on-channel' }],
    [400, 131050, 'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business', { outcome: 'permanent', reason: 'unsubscribed' }],
    [400, 131047, 'Re-engagement message', { outcome: 'permanent', reason: 'rejected' }],
    [404, 132001, 'Template name does not exist in the translation', { outcome: 'permanent', reason: 'rejected' }],
    [400, 132000, 'Number of parameters does not match the expected number of params', { outcome: 'permanent', reason: 'rejected' }],
    [403, 10, 'Permission denied', { outcome: 'permanent', reason: 'rejected' }],
    [403, 200, 'Permissions error', { outcome: 'permanent', reason: 'rejected' }],
    [400, 0, 'AuthException', { outcome: 'permanent', reason: 'rejected' }],
    [400, 130429, 'Rate limit hit', { outcome: 'retryable', throttled: true }],
    [400, 131048, 'Spam rate limit hit', { outcome: 'retryable', throttled: true }],
    [400, 131056, '(Business Account, Consumer Account) pair rate limit hit', { outcome: 'retryable', throttled: true }],
    [400, 80007, 'Rate limit issues', { outcome: 'retryable', throttled: true }],
    [400, 4, 'API Too Many Calls', { outcome: 'retryable', throttled: true }],
    [500, 131000, 'Something went wrong', { outcome: 'retryable' }],
    [503, 131016, 'Service unavailable', { outcome: 'retryable' }],
  ])('HTTP %i with code %i (%s) is %o', async (status, code, message, expected) => {
    meta.respond(() => whatsappError(status, code, message));

    const outcome = await gateway().send(template, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ ...expected, code: String(code) });
    if (outcome.outcome !== 'accepted') expect(outcome.detail).toContain(`WhatsApp answered ${status}:`);
  });

  it('HTTP 429 is throttling and keeps its Retry-After', async () => {
    meta.respond(() => whatsappError(429, 130429, 'Rate limit hit', 'OAuthException', undefined, { 'retry-after': '7' }));

    expect(await gateway().send(template, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'retryable', throttled: true, retryAfterMs: 7000 });
  });

  it('a 5xx page with no Graph error is retryable; a 2xx with no message id is not taken as sent', async () => {
    meta.respond(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }));
    expect(await gateway().send(template, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'retryable', code: 'http-502' });

    meta.respond(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"messaging_product":"whatsapp"}' }));
    expect(await gateway().send(template, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'retryable', code: 'http-200' });
  });

  it('a dropped connection is retryable', async () => {
    meta.respond(() => ({ status: 200, reset: true }));

    expect(await gateway().send(template, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'retryable', code: 'network' });
  });

  it('declares WhatsApp as its only channel and no resend safety (Meta has no client reference)', () => {
    expect(gateway().channels).toEqual(['whatsapp']);
    expect((gateway() as SmsGateway).resendSafety).toBeUndefined();
  });
});

/** A callback as the routes hand it over. */
async function signed(rawBody: string, signature?: string): Promise<WebhookRequest> {
  return {
    url: 'https://ivr.example.com/webhooks/whatsapp-cloud/status',
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature ?? (await metaSignature(rawBody)) },
    rawBody,
    params: JSON.parse(rawBody) as Record<string, unknown>,
  };
}

describe('webhooks', () => {
  it.each([
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
  ])('reads a signed "%s" status as %s', async (metaStatus, status) => {
    const verdict = gateway().parseReceipt(await signed(statusBody('wamid.A1', metaStatus)));

    expect(verdict).toEqual({ ok: true, value: [{ vendorMessageId: 'wamid.A1', status, vendorStatus: metaStatus }] });
  });

  it('reads "failed" with 131026 as undelivered (the fallback may reach them), with 131050 as an opt-out', async () => {
    const notOn = gateway().parseReceipt(await signed(statusBody('wamid.B1', 'failed', '16505551234', [{ code: 131026, title: 'Message undeliverable' }])));
    const stopped = gateway().parseReceipt(await signed(statusBody('wamid.B2', 'failed', '16505551234', [{ code: 131050, title: 'User has stopped marketing messages' }])));
    const other = gateway().parseReceipt(await signed(statusBody('wamid.B3', 'failed', '16505551234', [{ code: 131000, title: 'Something went wrong' }])));

    expect(notOn).toEqual({ ok: true, value: [{ vendorMessageId: 'wamid.B1', status: 'undelivered', vendorStatus: 'failed', errorCode: '131026' }] });
    expect(stopped).toEqual({ ok: true, value: [{ vendorMessageId: 'wamid.B2', status: 'failed', vendorStatus: 'failed', errorCode: '131050', optedOut: true }] });
    expect(other).toEqual({ ok: true, value: [{ vendorMessageId: 'wamid.B3', status: 'failed', vendorStatus: 'failed', errorCode: '131000' }] });
  });

  it('ignores another phone number’s callbacks and statuses it does not know', async () => {
    const otherNumber = gateway().parseReceipt(await signed(webhookBody({ statuses: [{ id: 'wamid.C1', status: 'delivered', timestamp: '1', recipient_id: '1' }] }, '999')));
    const unknown = gateway().parseReceipt(await signed(statusBody('wamid.C2', 'deleted')));

    expect(otherNumber).toEqual({ ok: true, value: [] });
    expect(unknown).toEqual({ ok: true, value: [] });
  });

  it('refuses an unsigned callback (401), a forged one (403) and a signed body changed in transit (403)', async () => {
    const body = statusBody('wamid.D1', 'delivered');
    const unsigned = await signed(body);
    delete unsigned.headers['x-hub-signature-256'];

    expect(gateway().parseReceipt(unsigned)).toMatchObject({ ok: false, status: 401 });
    expect(gateway().parseReceipt(await signed(body, await metaSignature(body, 'not-the-app-secret')))).toMatchObject({ ok: false, status: 403 });
    const tampered = await signed(body);
    tampered.rawBody = body.replace('delivered', 'read');
    expect(gateway().parseReceipt(tampered)).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound(await signed(textBody('16505551234', 'STOP'), 'sha256=00'))).toMatchObject({ ok: false, status: 403 });
  });

  it('reads a signed text as a WhatsApp inbound text with its wamid and Meta’s time', async () => {
    const verdict = gateway().parseInbound(await signed(textBody('16505551234', 'STOP', 'wamid.E1', '1750857384')));

    expect(verdict).toEqual({
      ok: true,
      value: { from: '+16505551234', to: '+15550783881', text: 'STOP', channel: 'whatsapp', vendorMessageId: 'wamid.E1', sentAt: '2025-06-25T13:16:24.000Z' },
    });
  });

  it('of several texts in one callback, the latest STOP or START is the one read', async () => {
    const batch = webhookBody({
      messages: [
        { from: '16505551234', id: 'wamid.G1', timestamp: '1750857300', type: 'text', text: { body: 'hello' } },
        { from: '16505551234', id: 'wamid.G3', timestamp: '1750857360', type: 'text', text: { body: 'Stop' } },
        { from: '16505551234', id: 'wamid.G2', timestamp: '1750857330', type: 'text', text: { body: 'START' } },
      ],
    });

    const verdict = gateway().parseInbound(await signed(batch));

    expect(verdict).toMatchObject({ ok: true, value: { text: 'Stop', vendorMessageId: 'wamid.G3' } });
  });

  it('a status callback carries no inbound text; a non-text message neither', async () => {
    const image = webhookBody({ messages: [{ from: '16505551234', id: 'wamid.F2', timestamp: '1', type: 'image', image: { id: '1' } }] });

    expect(gateway().parseInbound(await signed(statusBody('wamid.F1', 'delivered')))).toEqual({ ok: true, value: undefined });
    expect(gateway().parseInbound(await signed(image))).toEqual({ ok: true, value: undefined });
  });

  describe('the subscription handshake', () => {
    const handshake = (params: Record<string, string>): WebhookRequest => ({
      url: 'https://ivr.example.com/webhooks/whatsapp-cloud/status',
      method: 'GET',
      headers: {},
      rawBody: '',
      params,
    });

    it('answers the challenge when the verify token is ours', () => {
      expect(gateway().verifySubscription(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': WA_VERIFY_TOKEN, 'hub.challenge': '1158201444' }))).toEqual({ ok: true, value: '1158201444' });
    });

    it('refuses a wrong token (403), a missing one (400), and a challenge that is not one (400)', () => {
      expect(gateway().verifySubscription(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': 'guess', 'hub.challenge': '1' }))).toMatchObject({ ok: false, status: 403 });
      expect(gateway().verifySubscription(handshake({ 'hub.mode': 'subscribe', 'hub.challenge': '1' }))).toMatchObject({ ok: false, status: 400 });
      expect(gateway().verifySubscription(handshake({ 'hub.mode': 'subscribe', 'hub.verify_token': WA_VERIFY_TOKEN, 'hub.challenge': '<script>alert(1)</script>' }))).toMatchObject({ ok: false, status: 400 });
    });
  });
});

describe('settings', () => {
  const all = { WHATSAPP_ACCESS_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1065', WHATSAPP_APP_SECRET: 's', WHATSAPP_VERIFY_TOKEN: 'v' };

  it('defaults to graph.facebook.com and v23.0', () => {
    expect(gatewaySettingsFrom(all).settings['whatsapp-cloud']).toEqual({
      accessToken: 't',
      phoneNumberId: '1065',
      appSecret: 's',
      verifyToken: 'v',
      baseUrl: 'https://graph.facebook.com',
      apiVersion: 'v23.0',
    });
  });

  it('names every missing required variable once whatsapp-cloud is configured', () => {
    expect(gatewaySettingsFrom({ WHATSAPP_ACCESS_TOKEN: 't' }).problems).toEqual([
      'WHATSAPP_PHONE_NUMBER_ID: is required when whatsapp-cloud is configured',
      'WHATSAPP_APP_SECRET: is required when whatsapp-cloud is configured',
      'WHATSAPP_VERIFY_TOKEN: is required when whatsapp-cloud is configured',
    ]);
  });

  it.each([
    ['WHATSAPP_PHONE_NUMBER_ID', '+1 555 078 3881', 'WHATSAPP_PHONE_NUMBER_ID: must be the phone number ID'],
    ['WHATSAPP_API_VERSION', '23', 'WHATSAPP_API_VERSION: must be a Graph API version such as v23.0'],
    ['WHATSAPP_API_BASE_URL', 'graph.facebook.com', 'WHATSAPP_API_BASE_URL: must be an absolute http(s) URL'],
  ])('a malformed %s stops start-up with a line naming it', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ ...all, [name]: value }, '/srv/ivr-deflect');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(message);
  });
});
