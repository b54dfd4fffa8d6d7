import { generateKeyPairSync, sign } from 'node:crypto';
import nacl from 'tweetnacl';
import type { TelnyxSettings } from '../../src/sms/gateway-config';
import { gatewaySettingsFrom } from '../../src/sms/gateway-config';
import { ConfigError, loadConfig } from '../../src/config';
import type { OutgoingSms, SendOutcome, WebhookRequest } from '../../src/sms/port';
import { TelnyxGateway } from '../../src/sms/telnyx';
import { json, type FakeServer } from '../fakes/fake-server';
import {
  TELNYX_API_KEY,
  acceptTelnyxMessage,
  signedTelnyxRequest,
  startFakeTelnyx,
  startTelnyxCrashFake,
  telnyxDeliveryEvent,
  telnyxError,
  telnyxInboundEvent,
  telnyxKeys,
  telnyxSignature,
} from '../fakes/telnyx';

/**
 * The Telnyx adapter against a fake built from Telnyx's documentation (see
 * test/fakes/telnyx.ts for the pages): the request, each documented error answer, each
 * delivery status, and Ed25519 webhooks signed by an independent implementation
 * (tweetnacl), refused when forged, tampered with, stale or unsigned.
 */

const STATUS_URL = 'https://ivr.example.com/webhooks/telnyx/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/telnyx/inbound';
const SMS: OutgoingSms = { id: 'msg-1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc' };
const FROM = '+18445550001';
const NOW = new Date('2026-03-01T12:00:00Z');
const KEYS = telnyxKeys();

let fake: FakeServer;

beforeAll(async () => {
  fake = await startFakeTelnyx();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(acceptTelnyxMessage);
});

function gateway(overrides: Partial<TelnyxSettings> = {}, now: Date = NOW): TelnyxGateway {
  return new TelnyxGateway(
    { apiKey: TELNYX_API_KEY, from: FROM, publicKey: KEYS.publicKey, baseUrl: fake.url, ...overrides },
    { statusUrl: STATUS_URL },
    { now: () => now },
  );
}

function send(sms: OutgoingSms = SMS, g = gateway()): Promise<SendOutcome> {
  return g.send(sms, AbortSignal.timeout(5000));
}

describe('TelnyxGateway.send: the request', () => {
  it('POSTs JSON to /v2/messages with the API key as a Bearer token, and our status URL', async () => {
    const outcome = await send();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v2/messages');
    expect(req.headers.authorization).toBe(`Bearer ${TELNYX_API_KEY}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual({
      from: FROM,
      to: SMS.to,
      text: SMS.body,
      type: 'SMS',
      webhook_url: STATUS_URL,
      use_profile_webhooks: false,
    });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/), code: 'queued' });
  });

  it('sends with a messaging profile (number pool, alphanumeric sender) when one is configured', async () => {
    await send(SMS, gateway({ from: undefined, messagingProfileId: 'abc85f64-5717-4562-b3fc-2c9600000000' }));

    const body = JSON.parse(fake.requests[0]!.body);
    expect(body.messaging_profile_id).toBe('abc85f64-5717-4562-b3fc-2c9600000000');
    expect(body).not.toHaveProperty('from');
  });

  it('is refused by Telnyx with the wrong key, which a fallback gateway can get past', async () => {
    expect(await send(SMS, gateway({ apiKey: 'KEY-not-the-right-one' }))).toMatchObject({ outcome: 'retryable', code: 'telnyx-10009' });
  });

  it('never puts the key in the URL or the body', async () => {
    await send();

    expect(fake.requests[0]!.url).not.toContain(TELNYX_API_KEY);
    expect(fake.requests[0]!.body).not.toContain(TELNYX_API_KEY);
  });
});

describe('TelnyxGateway.send: what Telnyx answers', () => {
  // Each documented error answer (https://developers.telnyx.com/docs/messaging/messages/error-codes,
  // https://developers.telnyx.com/api/errors/<code>), with the HTTP status it comes with.
  it.each([
    [409, '40300', 'Blocked due to STOP message', 'unsubscribed'],
    [422, '10002', 'Invalid phone number', 'invalid-number'],
    [422, '10016', 'Phone number must be in +E.164 format', 'invalid-number'],
    [400, '40310', "Invalid 'to' address", 'invalid-number'],
    [400, '40001', 'Not routable', 'invalid-number'],
    [400, '40012', 'Invalid destination number', 'invalid-number'],
    [400, '40003', 'Blocked as spam - permanent', 'blocked'],
    [400, '40015', 'Internal spam filter', 'blocked'],
  ] as const)('reads HTTP %i code %s (%s) as permanent: %s', async (status, code, title, reason) => {
    fake.respond(() => telnyxError(status, code, title, `Messages cannot be sent from ${FROM} to ${SMS.to}.`));

    expect(await send()).toEqual({ outcome: 'permanent', code: `telnyx-${code}`, detail: expect.stringContaining(title), reason });
  });

  it("reads Telnyx's own validation of a number that is not +E.164", async () => {
    expect(await send({ ...SMS, to: '14155550100' })).toMatchObject({ outcome: 'permanent', code: 'telnyx-10016', reason: 'invalid-number' });
  });

  it('reads 10011 (too many requests, 429) as throttled, with its Retry-After', async () => {
    fake.respond(() => telnyxError(429, '10011', 'Too many requests', 'You have exceeded the maximum number of allowed requests.', undefined, { 'retry-after': '7' }));

    expect(await send()).toEqual({
      outcome: 'retryable',
      code: 'telnyx-10011',
      detail: expect.stringContaining('Too many requests'),
      throttled: true,
      retryAfterMs: 7000,
    });
  });

  it('reads an upstream rate limit (40011) as throttled whatever the HTTP status', async () => {
    fake.respond(() => telnyxError(400, '40011', 'Rate limit exceeded (upstream)', 'Exceeded carrier throughput limit.'));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'telnyx-40011', throttled: true });
  });

  it.each([
    [401, '10009', 'Authentication failed'],
    [403, '10010', 'Authorization failed'],
    [400, '40013', 'Invalid source number'],
    [500, '10007', 'Unexpected error'],
    [504, '10008', 'Request timeout'],
  ] as const)('reads HTTP %i code %s (%s) as retryable: our side or Telnyx\'s, not the number', async (status, code, title) => {
    fake.respond(() => telnyxError(status, code, title, '...'));

    const outcome = await send();
    expect(outcome).toMatchObject({ outcome: 'retryable', code: `telnyx-${code}` });
    expect(outcome).not.toHaveProperty('throttled');
  });

  it('reads another 4xx error (a bad request) as rejected, keeping the code', async () => {
    fake.respond(() => telnyxError(422, '10015', 'Bad Request', 'The request failed because it was not well-formed.'));

    expect(await send()).toEqual({ outcome: 'permanent', code: 'telnyx-10015', detail: expect.stringContaining('Bad Request'), reason: 'rejected' });
  });

  it('reads a numeric error code as Telnyx\'s older answers give it', async () => {
    fake.respond(() => json(409, { errors: [{ code: 40300, title: 'Blocked due to STOP message' }] }));

    expect(await send()).toMatchObject({ outcome: 'permanent', code: 'telnyx-40300', reason: 'unsubscribed' });
  });

  it('reads a 5xx without Telnyx\'s error body (a proxy) by its status', async () => {
    fake.respond(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>Bad gateway</html>' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'http-502' });
  });

  it('retries a 2xx without a message id rather than call it sent', async () => {
    fake.respond(() => json(200, { data: {} }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('reads a dropped connection as retryable', async () => {
    fake.respond(() => ({ status: 200, reset: true }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

describe('TelnyxGateway.parseReceipt', () => {
  const receipt = (event: unknown, options: { at?: Date; keys?: typeof KEYS } = {}): WebhookRequest =>
    signedTelnyxRequest((options.keys ?? KEYS).secretKey, STATUS_URL, event, { at: options.at ?? NOW });

  // Every to[].status of OutboundMessagePayload (https://developers.telnyx.com/api-reference/callbacks/delivery-update).
  it.each([
    ['queued', 'queued'],
    ['sending', 'queued'],
    ['sent', 'sent'],
    ['delivery_unconfirmed', 'sent'],
    ['delivered', 'delivered'],
    ['delivery_failed', 'undelivered'],
    ['expired', 'undelivered'],
    ['sending_failed', 'failed'],
  ] as const)('reads status %s as %s', (vendorStatus, status) => {
    const verdict = gateway().parseReceipt(receipt(telnyxDeliveryEvent({ messageId: 'm-1', status: vendorStatus })));

    expect(verdict).toEqual({ ok: true, value: [{ vendorMessageId: 'm-1', status, vendorStatus }] });
  });

  it('keeps the first error code of a failed delivery', () => {
    const event = telnyxDeliveryEvent({ messageId: 'm-1', status: 'delivery_failed', errors: [{ code: '40008', title: 'Undeliverable' }] });

    expect(gateway().parseReceipt(receipt(event))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'm-1', status: 'undelivered', vendorStatus: 'delivery_failed', errorCode: '40008' }],
    });
  });

  it('says the recipient opted out when the receipt carries 40300 (blocked by their STOP)', () => {
    const event = telnyxDeliveryEvent({ messageId: 'm-1', status: 'sending_failed', errors: [{ code: '40300', title: 'Blocked due to STOP message' }] });

    expect(gateway().parseReceipt(receipt(event))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'm-1', status: 'failed', vendorStatus: 'sending_failed', errorCode: '40300', optedOut: true }],
    });
  });

  it('refuses an unknown status, and an inbound text sent to the status URL', () => {
    expect(gateway().parseReceipt(receipt(telnyxDeliveryEvent({ messageId: 'm-1', status: 'teleported' })))).toMatchObject({ ok: false, status: 400 });
    const inbound = telnyxInboundEvent({ from: '+14155550100', to: FROM, text: 'STOP' });
    expect(gateway().parseReceipt(receipt(inbound))).toMatchObject({ ok: false, status: 400, error: expect.stringContaining('/webhooks/telnyx/inbound') });
  });
});

describe('TelnyxGateway.parseInbound', () => {
  it('reads a message.received: sender, our number, the text, its id and time', () => {
    const event = telnyxInboundEvent({ from: '+14155550100', to: FROM, text: 'STOP', id: 'in-1', receivedAt: '2026-03-01T11:59:58.000Z' });

    expect(gateway().parseInbound(signedTelnyxRequest(KEYS.secretKey, INBOUND_URL, event, { at: NOW }))).toEqual({
      ok: true,
      value: { from: '+14155550100', to: FROM, text: 'STOP', vendorMessageId: 'in-1', sentAt: '2026-03-01T11:59:58.000Z' },
    });
  });

  it('refuses a delivery update sent to the inbound URL', () => {
    const verdict = gateway().parseInbound(signedTelnyxRequest(KEYS.secretKey, INBOUND_URL, telnyxDeliveryEvent({ messageId: 'm-1', status: 'sent' }), { at: NOW }));

    expect(verdict).toMatchObject({ ok: false, status: 400 });
  });
});

describe('Telnyx webhook signatures (Ed25519 over "timestamp|body")', () => {
  const event = telnyxInboundEvent({ from: '+14155550100', to: FROM, text: 'START' });
  const signed = (): WebhookRequest => signedTelnyxRequest(KEYS.secretKey, INBOUND_URL, event, { at: NOW });

  it('takes a request signed by tweetnacl, and one signed by node:crypto with a key in the portal\'s form', () => {
    expect(gateway().parseInbound(signed())).toMatchObject({ ok: true });

    // A second, independent signer: a PKCS#8 key from node:crypto, its public half exported raw.
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64');
    const timestamp = String(NOW.getTime() / 1000);
    const rawBody = JSON.stringify(event);
    const signature = sign(null, Buffer.from(`${timestamp}|${rawBody}`), privateKey).toString('base64');
    const req: WebhookRequest = { ...signed(), rawBody, headers: { 'content-type': 'application/json', 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': signature } };
    expect(gateway({ publicKey: raw }).parseInbound(req)).toMatchObject({ ok: true });
  });

  it('checks the signature against RFC 8032 test vector 1 (the empty message) as a sanity check of the signer', () => {
    // RFC 8032 section 7.1, TEST 1: the signer the fake uses produces the published signature.
    const seed = Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex');
    const pair = nacl.sign.keyPair.fromSeed(seed);
    expect(Buffer.from(pair.publicKey).toString('hex')).toBe('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
    expect(Buffer.from(nacl.sign.detached(new Uint8Array(0), pair.secretKey)).toString('hex')).toBe(
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    );
    // ...and the adapter verifies what it signs: a body of "" at that key and timestamp.
    const timestamp = String(NOW.getTime() / 1000);
    const req: WebhookRequest = {
      url: INBOUND_URL,
      method: 'POST',
      headers: { 'telnyx-timestamp': timestamp, 'telnyx-signature-ed25519': telnyxSignature(pair.secretKey, timestamp, '') },
      rawBody: '',
      params: {},
    };
    // Verified, then refused only because "" is no JSON event.
    expect(gateway({ publicKey: Buffer.from(pair.publicKey).toString('base64') }).parseInbound(req)).toEqual({ ok: false, status: 400, error: 'body must be JSON' });
  });

  it('refuses a request signed with another key (forged)', () => {
    const forged = signedTelnyxRequest(telnyxKeys().secretKey, INBOUND_URL, event, { at: NOW });

    expect(gateway().parseInbound(forged)).toEqual({ ok: false, status: 403, error: 'telnyx-signature-ed25519 does not match' });
    expect(gateway().parseReceipt(forged)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a body changed after signing (tampered): another sender, another word', () => {
    const req = signed();
    const tampered = { ...req, rawBody: req.rawBody.replace('+14155550100', '+14155550199') };
    expect(tampered.rawBody).not.toBe(req.rawBody);

    expect(gateway().parseInbound(tampered)).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound({ ...req, rawBody: req.rawBody.replace('START', 'STOP') })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a signed timestamp changed after signing', () => {
    const req = signed();
    const later = String(Number(req.headers['telnyx-timestamp']) + 1);

    expect(gateway().parseInbound({ ...req, headers: { ...req.headers, 'telnyx-timestamp': later } })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a request signed more than 300 s before or after our clock (stale or replayed later), and takes one just inside', () => {
    const at = (seconds: number) => signedTelnyxRequest(KEYS.secretKey, INBOUND_URL, event, { at: new Date(NOW.getTime() + seconds * 1000) });

    expect(gateway().parseInbound(at(-301))).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('300 seconds') });
    expect(gateway().parseInbound(at(301))).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound(at(-300))).toMatchObject({ ok: true });
    // The same signed request, kept and replayed ten minutes later.
    expect(gateway({}, new Date(NOW.getTime() + 600_000)).parseInbound(signed())).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a request without the headers, or with malformed ones, before reading the body', () => {
    const req = signed();
    const without = (name: string) => ({ ...req, headers: { ...req.headers, [name]: undefined } });

    expect(gateway().parseInbound(without('telnyx-signature-ed25519'))).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound(without('telnyx-timestamp'))).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound({ ...req, headers: { ...req.headers, 'telnyx-timestamp': '1e9' } })).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseInbound({ ...req, headers: { ...req.headers, 'telnyx-signature-ed25519': 'not base64!' } })).toMatchObject({ ok: false, status: 403 });
    // Unsigned junk is refused as unsigned, not as bad JSON.
    expect(gateway().parseInbound({ ...without('telnyx-signature-ed25519'), rawBody: '{not json' })).toMatchObject({ ok: false, status: 403 });
  });
});

describe('TELNYX_* settings', () => {
  const env = { TELNYX_API_KEY: 'KEY-1', TELNYX_FROM: FROM, TELNYX_PUBLIC_KEY: KEYS.publicKey };

  it('builds the settings, the base URL defaulting to Telnyx\'s API', () => {
    expect(gatewaySettingsFrom(env)).toEqual({
      settings: { telnyx: { apiKey: 'KEY-1', from: FROM, publicKey: KEYS.publicKey, baseUrl: 'https://api.telnyx.com' } },
      problems: [],
    });
  });

  it('wants the public key, and a sender or a messaging profile', () => {
    expect(gatewaySettingsFrom({ TELNYX_API_KEY: 'KEY-1' }).problems).toEqual([
      'TELNYX_PUBLIC_KEY: is required when telnyx is configured',
      'TELNYX_FROM: set it or TELNYX_MESSAGING_PROFILE_ID when telnyx is configured',
    ]);
  });

  it.each([
    ['truncated', KEYS.publicKey.slice(0, 40)],
    ['a PEM key', '-----BEGIN PUBLIC KEY-----'],
    ['hex', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'],
  ])('stops start-up on a public key that is %s, in one line naming TELNYX_PUBLIC_KEY', (_what, value) => {
    let error: unknown;
    try {
      loadConfig({ ...env, TELNYX_PUBLIC_KEY: value }, '/srv/ivr-deflect');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/^Invalid configuration: TELNYX_PUBLIC_KEY: must be the base64 Ed25519 public key/);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('startTelnyxCrashFake', () => {
  it('accepts sends through the adapter and counts every one it accepted, a resend included (Telnyx does not deduplicate)', async () => {
    const crash = await startTelnyxCrashFake();
    try {
      const { settings, problems } = gatewaySettingsFrom(crash.env);
      expect(problems).toEqual([]);
      const g = new TelnyxGateway(settings.telnyx!, { statusUrl: STATUS_URL });
      expect(await g.send(SMS, AbortSignal.timeout(5000))).toMatchObject({ outcome: 'accepted' });
      expect(await g.send(SMS, AbortSignal.timeout(5000))).toMatchObject({ outcome: 'accepted' });
      expect(crash.deliveredTo(SMS.to)).toBe(2);
      expect(crash.deliveredTo('+14155550101')).toBe(0);
    } finally {
      await crash.close();
    }
  });
});
