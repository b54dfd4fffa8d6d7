import type { VonageSettings, VonageSignatureMethod } from '../../src/sms/gateway-config';
import type { OutgoingSms, SmsGateway, WebhookRequest } from '../../src/sms/port';
import { VonageGateway } from '../../src/sms/vonage';
import { json } from '../fakes/fake-server';
import {
  formOf,
  startFakeVonage,
  VONAGE_PATH,
  vonageAccepted,
  vonageInbound,
  vonageReceipt,
  vonageRefused,
  vonageWebhook,
  signVonageParams,
  startVonageCrashFake,
  type FakeVonage,
} from '../fakes/vonage';

const account = { apiKey: 'abcd1234', apiSecret: 'abcdef0123456789' };
const SIGNATURE_SECRET = 'sig-secret-0123456789';
const STATUS_URL = 'https://t.example.test/sms/vonage/status';
const NOW = new Date('2026-03-01T12:00:00Z');
const sms: OutgoingSms = { id: 'msg_abc123', to: '+16175551234', body: 'Chat with us: https://x.test/s/AbCd1234 & more' };

let vonage: FakeVonage;
let gateway: VonageGateway;

function settings(overrides: Partial<VonageSettings> = {}): VonageSettings {
  return { ...account, from: '+14155550100', signatureSecret: SIGNATURE_SECRET, baseUrl: vonage.url, ...overrides };
}

function gatewayWith(overrides: Partial<VonageSettings> = {}, now: Date = NOW): VonageGateway {
  return new VonageGateway(settings(overrides), { statusUrl: STATUS_URL }, { now: () => now });
}

const send = (g: VonageGateway = gateway, signal: AbortSignal = AbortSignal.timeout(5000), message: OutgoingSms = sms) =>
  g.send(message, signal);

beforeAll(async () => {
  vonage = await startFakeVonage(account);
});
beforeEach(() => {
  vonage.requests.length = 0;
  vonage.respond(() => vonageAccepted('16175551234', '0A00000012345678'));
  gateway = gatewayWith();
});
afterAll(() => vonage.close());

describe('VonageGateway request', () => {
  it('is named vonage', () => {
    expect(gateway.name).toBe('vonage');
  });

  it('POSTs a form to /sms/json with every field', async () => {
    await send();
    expect(vonage.requests).toHaveLength(1);
    const [req] = vonage.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(VONAGE_PATH);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(Object.fromEntries(formOf(req))).toEqual({
      api_key: 'abcd1234',
      api_secret: 'abcdef0123456789',
      from: '14155550100',
      to: '16175551234',
      text: sms.body,
      callback: STATUS_URL,
      'client-ref': 'msg_abc123',
    });
  });

  it('keeps the credentials out of the URL', async () => {
    await send();
    const [req] = vonage.requests;
    expect(req.query.toString()).toBe('');
    expect(req.url).not.toContain(account.apiSecret);
  });

  it('sends an alphanumeric sender id as it is', async () => {
    await send(gatewayWith({ from: 'AcmeBank' }));
    expect(formOf(vonage.requests[0]).get('from')).toBe('AcmeBank');
  });

  it('leaves type out for GSM-7 text, extension characters included', async () => {
    await send(gateway, AbortSignal.timeout(5000), { ...sms, body: 'Price: 5€ {now} [ok] ~ | ^ \\ ñ é Ø' });
    expect(formOf(vonage.requests[0]).has('type')).toBe(false);
  });

  it.each([['a curly quote', 'It’s here'], ['an emoji', 'Chat now 💬'], ['a tab', 'a\tb']])(
    'sends type=unicode for text with %s',
    async (_what, body) => {
      await send(gateway, AbortSignal.timeout(5000), { ...sms, body });
      const form = formOf(vonage.requests[0]);
      expect(form.get('type')).toBe('unicode');
      expect(form.get('text')).toBe(body);
    },
  );
});

describe('VonageGateway answers', () => {
  it('reads status "0" as accepted under the message-id', async () => {
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: '0A00000012345678', code: 'vonage-0' });
  });

  it('gets a fresh id per text from the default fake', async () => {
    const fresh = await startFakeVonage(account);
    try {
      const g = gatewayWith({ baseUrl: fresh.url });
      const [a, b] = await Promise.all([send(g), send(g)]);
      expect(a.outcome).toBe('accepted');
      expect(b.outcome).toBe('accepted');
      expect(a).not.toEqual(b);
    } finally {
      await fresh.close();
    }
  });

  it('reads bad credentials (HTTP 200, status "4") as retryable: a fallback gateway can still send', async () => {
    await expect(send(gatewayWith({ apiSecret: 'wrong-secret' }))).resolves.toEqual({
      outcome: 'retryable',
      code: 'vonage-4',
      detail: 'Bad Credentials',
    });
  });

  // Every status in Vonage's error table (https://developer.vonage.com/en/api-errors/sms,
  // the spec's x-errors), with the words Vonage gives it.
  it.each([
    ['1', 'Throttled', { outcome: 'retryable', throttled: true }],
    ['2', 'Missing Parameters', { outcome: 'permanent', reason: 'rejected' }],
    ['3', 'Invalid Parameters', { outcome: 'permanent', reason: 'rejected' }],
    ['4', 'Invalid Credentials', { outcome: 'retryable' }],
    ['5', 'Internal Error', { outcome: 'retryable' }],
    ['6', 'Invalid Message', { outcome: 'permanent', reason: 'invalid-number' }],
    ['7', 'Number Barred', { outcome: 'permanent', reason: 'unsubscribed' }],
    ['8', 'Partner Account Barred', { outcome: 'retryable' }],
    ['9', 'Partner Quota Violation', { outcome: 'retryable' }],
    ['10', 'Too Many Existing Binds', { outcome: 'retryable', throttled: true }],
    ['11', 'Account Not Enabled For HTTP', { outcome: 'retryable' }],
    ['12', 'Message Too Long', { outcome: 'permanent', reason: 'rejected' }],
    ['14', 'Invalid Signature', { outcome: 'retryable' }],
    ['15', 'Invalid Sender Address', { outcome: 'permanent', reason: 'rejected' }],
    ['22', 'Invalid Network Code', { outcome: 'permanent', reason: 'rejected' }],
    ['23', 'Invalid Callback Url', { outcome: 'permanent', reason: 'rejected' }],
    ['29', 'Non-Whitelisted Destination', { outcome: 'permanent', reason: 'blocked' }],
    ['32', 'Signature And API Secret Disallowed', { outcome: 'permanent', reason: 'rejected' }],
    ['33', 'Number De-activated', { outcome: 'permanent', reason: 'invalid-number' }],
    ['99', 'Something new', { outcome: 'permanent', reason: 'rejected' }],
  ])('reads status "%s" (%s)', async (status, errorText, expected) => {
    vonage.respond(() => vonageRefused(status, errorText));
    const outcome = await send();
    expect(outcome).toEqual({ ...expected, code: `vonage-${status}`, detail: errorText });
  });

  it('accepts a long text only when every part went, under the first part’s id', async () => {
    vonage.respond(() =>
      json(200, {
        'message-count': '2',
        messages: [
          { to: '16175551234', 'message-id': 'PART-1', status: '0' },
          { to: '16175551234', 'message-id': 'PART-2', status: '0' },
        ],
      }),
    );
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'PART-1', code: 'vonage-0' });
  });

  it('reads a refused part of a long text as the text’s outcome', async () => {
    vonage.respond(() =>
      json(200, {
        'message-count': '2',
        messages: [
          { to: '16175551234', 'message-id': 'PART-1', status: '0' },
          { status: '1', 'error-text': 'Throughput Rate Exceeded - please wait [ 30 ] and retry' },
        ],
      }),
    );
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'vonage-1', throttled: true });
  });

  it.each([
    [500, { outcome: 'retryable', code: 'http-500' }],
    [503, { outcome: 'retryable', code: 'http-503' }],
    [401, { outcome: 'retryable', code: 'http-401' }],
    [404, { outcome: 'permanent', code: 'http-404', reason: 'rejected' }],
  ])('reads HTTP %s by its status', async (status, expected) => {
    vonage.respond(() => ({ status, body: 'upstream trouble' }));
    await expect(send()).resolves.toMatchObject({ ...expected, detail: expect.stringContaining(`Vonage answered ${status}`) });
  });

  it('reads HTTP 429 as throttled, with its Retry-After', async () => {
    vonage.respond(() => ({ status: 429, headers: { 'retry-after': '3' }, body: '' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 3000 });
  });

  it.each([
    ['a body that is not JSON', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>portal</html>' }],
    ['JSON without messages', json(200, { 'message-count': '0' })],
    ['an accepted part without a message-id', json(200, { messages: [{ status: '0' }] })],
  ])('reads %s on 200 as a retryable malformed reply', async (_what, reply) => {
    vonage.respond(() => reply);
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('reads no answer within the attempt timeout as a retryable timeout', async () => {
    vonage.respond(() => ({ status: 200, hang: true }));
    await expect(send(gateway, AbortSignal.timeout(200))).resolves.toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a dropped connection as a retryable network error', async () => {
    vonage.respond(() => ({ status: 200, reset: true }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

describe('VonageGateway delivery receipts', () => {
  const signed = (fields: Record<string, string> = {}, options: Parameters<typeof vonageReceipt>[1] = {}) =>
    vonageReceipt(fields, { secret: SIGNATURE_SECRET, now: NOW, ...options });

  it.each([
    ['md5hash, GET query', { method: 'md5hash', as: 'query' }],
    ['SHA-256 HMAC, POST form', { method: 'sha256', as: 'form' }],
    ['SHA-256 HMAC, POST JSON', { method: 'sha256', as: 'json' }],
    ['md5hash, POST JSON', { method: 'md5hash', as: 'json' }],
  ] as const)('reads a receipt signed with %s', (_what, options) => {
    expect(gateway.parseReceipt(signed({}, options))).toEqual({
      ok: true,
      value: [{ vendorMessageId: '0A0000001234567B', status: 'delivered', vendorStatus: 'delivered' }],
    });
  });

  it.each([
    ['delivered', 'delivered'],
    ['accepted', 'sent'],
    ['buffered', 'sent'],
    ['unknown', 'sent'],
    ['expired', 'failed'],
    ['failed', 'failed'],
    ['rejected', 'failed'],
  ])('maps status %s to %s', (vendorStatus, status) => {
    const verdict = gateway.parseReceipt(signed({ status: vendorStatus }));
    expect(verdict).toMatchObject({ ok: true, value: [{ status, vendorStatus }] });
  });

  it.each(['failed', 'rejected'])('reads a %s receipt with err-code 9 as an opt-out (the number is suppressed)', (vendorStatus) => {
    // Vonage's documented opt-out receipt: https://developer.vonage.com/en/opt-out-assist/guides/messaging-opted-out-numbers
    expect(gateway.parseReceipt(signed({ status: vendorStatus, 'err-code': '9', price: '0.00000000' }))).toEqual({
      ok: true,
      value: [{ vendorMessageId: '0A0000001234567B', status: 'failed', vendorStatus, errorCode: '9', optedOut: true }],
    });
  });

  it.each(['1', '3', '4', '6', '14', '99'])('does not read err-code %s as an opt-out', (errCode) => {
    const verdict = gateway.parseReceipt(signed({ status: 'failed', 'err-code': errCode }));
    expect(verdict).toMatchObject({ ok: true, value: [{ status: 'failed', errorCode: errCode }] });
    expect(verdict.ok && verdict.value[0].optedOut).toBeFalsy();
  });

  it('keeps a non-zero err-code', () => {
    expect(gateway.parseReceipt(signed({ status: 'failed', 'err-code': '6' }))).toMatchObject({
      ok: true,
      value: [{ status: 'failed', vendorStatus: 'failed', errorCode: '6' }],
    });
  });

  it('verifies values holding "&" and "=" (signed with them replaced by "_")', () => {
    expect(gateway.parseReceipt(signed({ 'client-ref': 'a=b&c=d' }, { as: 'form' }))).toMatchObject({ ok: true });
  });

  describe('checks the signature against Vonage’s published test vectors', () => {
    // Vonage's Python SDK tests (Vonage/vonage-python-sdk, tests/test_signature.py): fields
    // a=1, b=2, timestamp=1461605396, secret "secret", one signature per dashboard method.
    // They pass the signature check and then fail the field check (400), not the signature (403).
    const VECTORS = [
      ['md5hash', '6af838ef94998832dbfc29020b564830'],
      ['md5', 'c15c21ced558c93a226c305f58f902f2'],
      ['sha1', '3e19a4e6880fdc2c1426bfd0587c98b9532f0210'],
      ['sha256', 'a321e824b9b816be7c3f28859a31749a098713d39f613c80d455bbaffae1cd24'],
      [
        'sha512',
        '812a18f76680fa0fe1b8bd9ee1625466ceb1bd96242e4d050d2cfd9a7b40166c63ed26ec9702168781b6edcf1633db8ff95af9341701004eec3fcf9550572ee8',
      ],
    ] as const;
    const vectorGateway = (signatureMethod?: VonageSignatureMethod) =>
      gatewayWith({ signatureSecret: 'secret', ...(signatureMethod ? { signatureMethod } : {}) }, new Date(1461605396 * 1000));
    const vector = (sig: string): WebhookRequest => ({
      url: STATUS_URL,
      method: 'GET',
      headers: {},
      rawBody: '',
      params: { a: '1', b: '2', timestamp: '1461605396', sig },
    });

    it.each(VECTORS)('the fake signs %s as Vonage does', (method, sig) => {
      expect(signVonageParams({ a: '1', b: '2', timestamp: '1461605396' }, 'secret', method).sig.toLowerCase()).toBe(sig);
    });

    it.each(VECTORS)('accepts the %s vector with no method configured', (_method, sig) => {
      expect(vectorGateway().parseReceipt(vector(sig))).toMatchObject({ ok: false, status: 400 });
    });

    it.each(VECTORS)('accepts the %s vector upper-case, as some Vonage libraries send HMACs', (_method, sig) => {
      expect(vectorGateway().parseReceipt(vector(sig.toUpperCase()))).toMatchObject({ ok: false, status: 400 });
    });

    it.each(VECTORS)('accepts the %s vector when VONAGE_SIGNATURE_METHOD names it', (method, sig) => {
      expect(vectorGateway(method).parseReceipt(vector(sig))).toMatchObject({ ok: false, status: 400 });
    });

    it.each(VECTORS)('refuses the %s vector when another method is configured', (method, sig) => {
      const other = VECTORS.map(([m]) => m).find((m) => m !== method)!;
      expect(vectorGateway(other).parseReceipt(vector(sig))).toMatchObject({ ok: false, status: 403 });
    });

    it.each(VECTORS)('refuses the %s vector with one digit changed', (_method, sig) => {
      const changed = sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0');
      expect(vectorGateway().parseReceipt(vector(changed))).toMatchObject({ ok: false, status: 403 });
    });
  });

  describe.each(['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const)('signed with %s', (method) => {
    it('reads a receipt, and refuses it forged, tampered or stale', () => {
      const g = gatewayWith({ signatureMethod: method });
      expect(g.parseReceipt(signed({}, { method }))).toMatchObject({ ok: true });
      expect(g.parseReceipt(vonageReceipt({}, { secret: 'not-the-secret', now: NOW, method }))).toMatchObject({ ok: false, status: 403 });
      const receipt = signed({ status: 'failed' }, { method });
      expect(g.parseReceipt({ ...receipt, params: { ...receipt.params, status: 'delivered' } })).toMatchObject({ ok: false, status: 403 });
      expect(g.parseReceipt(signed({}, { method, now: new Date(NOW.getTime() - 6 * 60_000) }))).toMatchObject({ ok: false, status: 403 });
    });

    it('reads an inbound text, and refuses it forged or tampered', () => {
      const g = gatewayWith({ signatureMethod: method });
      const inbound = vonageInbound({}, { secret: SIGNATURE_SECRET, now: NOW, method, as: 'form' });
      expect(g.parseInbound(inbound)).toMatchObject({ ok: true, value: { text: 'STOP' } });
      expect(g.parseInbound(vonageInbound({}, { secret: 'not-the-secret', now: NOW, method }))).toMatchObject({ ok: false, status: 403 });
      expect(g.parseInbound({ ...inbound, params: { ...inbound.params, msisdn: '16175550000' } })).toMatchObject({ ok: false, status: 403 });
    });
  });

  it('with no method configured, still refuses a sig made with the right method but another secret', () => {
    for (const method of ['md5hash', 'md5', 'sha1', 'sha256', 'sha512'] as const) {
      expect(gateway.parseReceipt(vonageReceipt({}, { secret: 'not-the-secret', now: NOW, method }))).toMatchObject({ ok: false, status: 403 });
    }
  });

  it('refuses a receipt signed with another secret', () => {
    const forged = vonageReceipt({}, { secret: 'not-the-secret', now: NOW });
    expect(gateway.parseReceipt(forged)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses an unsigned receipt', () => {
    expect(gateway.parseReceipt(vonageReceipt({}))).toEqual({ ok: false, status: 403, error: 'sig is missing or does not match' });
  });

  it('refuses a receipt changed after signing', () => {
    const receipt = signed({ status: 'failed' });
    const tampered = { ...receipt, params: { ...receipt.params, status: 'delivered' } };
    expect(gateway.parseReceipt(tampered)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a receipt with a field added after signing', () => {
    const receipt = signed();
    const tampered = { ...receipt, params: { ...receipt.params, extra: '1' } };
    expect(gateway.parseReceipt(tampered)).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['6 minutes old', -6],
    ['6 minutes ahead', 6],
  ])('refuses a correctly signed receipt whose timestamp is %s', (_what, minutes) => {
    const stale = signed({}, { now: new Date(NOW.getTime() + minutes * 60_000) });
    expect(gateway.parseReceipt(stale)).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('timestamp') });
  });

  it('accepts a timestamp 4 minutes off (clock skew)', () => {
    expect(gateway.parseReceipt(signed({}, { now: new Date(NOW.getTime() - 4 * 60_000) }))).toMatchObject({ ok: true });
  });

  it('refuses every receipt when no signature secret is configured', () => {
    const g = gatewayWith({ signatureSecret: undefined });
    expect(g.parseReceipt(signed())).toEqual({ ok: false, status: 403, error: 'VONAGE_SIGNATURE_SECRET is not set' });
    expect(g.parseReceipt(vonageReceipt({}))).toEqual({ ok: false, status: 403, error: 'VONAGE_SIGNATURE_SECRET is not set' });
  });

  it('refuses a JSON receipt with a nested field: it cannot have been signed that way', () => {
    const receipt = signed({}, { as: 'json' });
    const nested = { ...receipt, params: { ...receipt.params, 'client-ref': { a: '1' } } };
    expect(gateway.parseReceipt(nested)).toEqual({ ok: false, status: 403, error: 'callback fields must be plain values to be verified' });
  });

  it.each([['messageId'], ['status']])('answers 400 to a signed receipt without %s', (field) => {
    const fields: Record<string, string> = { messageId: '0A0000001234567B', status: 'delivered', 'err-code': '0' };
    delete fields[field];
    const request = vonageWebhook(fields, { secret: SIGNATURE_SECRET, now: NOW, url: STATUS_URL });
    expect(gateway.parseReceipt(request)).toEqual({ ok: false, status: 400, error: 'messageId and status are required' });
  });

  it('answers 400 to a signed receipt with a status Vonage does not send', () => {
    expect(gateway.parseReceipt(signed({ status: 'teleported' }))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('VonageGateway inbound texts', () => {
  const signed = (fields: Record<string, string> = {}, options: Parameters<typeof vonageInbound>[1] = {}) =>
    vonageInbound(fields, { secret: SIGNATURE_SECRET, now: NOW, ...options });

  it.each(['query', 'form', 'json'] as const)('reads a signed inbound text (%s)', (as) => {
    expect(gateway.parseInbound(signed({}, { as }))).toEqual({
      ok: true,
      value: { from: '+16175551234', to: '+14155550100', text: 'STOP', vendorMessageId: '0A0000000123ABCD1', sentAt: '2020-01-01T12:00:00.000Z' },
    });
  });

  it('reads a text with "&" and "=" in it', () => {
    expect(gateway.parseInbound(signed({ text: 'a=b & c', keyword: 'A=B' }, { method: 'sha256' }))).toMatchObject({
      ok: true,
      value: { text: 'a=b & c' },
    });
  });

  it('refuses forged, unsigned and tampered texts', () => {
    expect(gateway.parseInbound(vonageInbound({}, { secret: 'not-the-secret', now: NOW }))).toMatchObject({ ok: false, status: 403 });
    expect(gateway.parseInbound(vonageInbound({}))).toMatchObject({ ok: false, status: 403 });
    const inbound = signed();
    expect(gateway.parseInbound({ ...inbound, params: { ...inbound.params, msisdn: '16175550000' } })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a stale inbound text', () => {
    expect(gateway.parseInbound(signed({}, { now: new Date(NOW.getTime() - 10 * 60_000) }))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses every inbound text when no signature secret is configured', () => {
    expect(gatewayWith({ signatureSecret: undefined }).parseInbound(signed())).toEqual({
      ok: false,
      status: 403,
      error: 'VONAGE_SIGNATURE_SECRET is not set',
    });
  });

  it('answers 400 to a signed request that is not an inbound text', () => {
    const receipt = vonageReceipt({}, { secret: SIGNATURE_SECRET, now: NOW });
    expect(gateway.parseInbound(receipt)).toEqual({ ok: false, status: 400, error: 'msisdn, to and text are required' });
  });
});

describe('startVonageCrashFake', () => {
  it('accepts sends and counts a resend as a second delivery (Vonage does not deduplicate client-ref)', async () => {
    const crash = await startVonageCrashFake();
    try {
      const g = new VonageGateway(
        { apiKey: crash.env.VONAGE_API_KEY!, apiSecret: crash.env.VONAGE_API_SECRET!, from: crash.env.VONAGE_FROM!, baseUrl: crash.url },
        { statusUrl: STATUS_URL },
      );
      expect((g as SmsGateway).resendSafety).toBeUndefined();
      expect(await send(g)).toMatchObject({ outcome: 'accepted' });
      expect(await send(g)).toMatchObject({ outcome: 'accepted' });

      expect(crash.deliveredTo(sms.to)).toBe(2);
      expect(crash.deliveredTo('+14155550111')).toBe(0);
    } finally {
      await crash.close();
    }
  });
});
