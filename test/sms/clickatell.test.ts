import { ClickatellGateway } from '../../src/sms/clickatell';
import type { ClickatellSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms } from '../../src/sms/port';
import {
  bodyOf,
  CLICKATELL_PATH,
  clickatellAccepted,
  clickatellRefused,
  clickatellReplyCallback,
  clickatellStatusCallback,
  startFakeClickatell,
  type FakeClickatell,
} from '../fakes/clickatell';
import { json } from '../fakes/fake-server';

const API_KEY = 'Zk3lT0pX-integration-key==';
const callbackCredentials = { user: 'clickatell-cb', password: 'cb:s3cret pass' };
const sms: OutgoingSms = { id: 'msg_abc123', to: '+16175551234', body: 'Chat with us: https://x.test/s/AbCd1234 & more “now”' };

let clickatell: FakeClickatell;
let gateway: ClickatellGateway;

function settings(overrides: Partial<ClickatellSettings> = {}): ClickatellSettings {
  return {
    apiKey: API_KEY,
    from: '+14155550100',
    callbackUser: callbackCredentials.user,
    callbackPassword: callbackCredentials.password,
    baseUrl: clickatell.url,
    ...overrides,
  };
}

const send = (g: ClickatellGateway = gateway, signal: AbortSignal = AbortSignal.timeout(5000)) => g.send(sms, signal);

beforeAll(async () => {
  clickatell = await startFakeClickatell(API_KEY);
});
beforeEach(() => {
  clickatell.requests.length = 0;
  clickatell.respond(() => clickatellAccepted('16175551234', 'c1a2b3c4d5e6f708'));
  gateway = new ClickatellGateway(settings());
});
afterAll(() => clickatell.close());

describe('ClickatellGateway request', () => {
  it('is named clickatell', () => {
    expect(gateway.name).toBe('clickatell');
  });

  it('POSTs JSON to /messages with the bare API key as Authorization and every field', async () => {
    await send();
    expect(clickatell.requests).toHaveLength(1);
    const [req] = clickatell.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(CLICKATELL_PATH);
    expect(req.headers.authorization).toBe(API_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.accept).toBe('application/json');
    expect(bodyOf(req)).toEqual({ content: sms.body, to: ['16175551234'], from: '14155550100', clientMessageId: 'msg_abc123' });
  });

  it('keeps the API key out of the URL and the body', async () => {
    await send();
    const [req] = clickatell.requests;
    expect(req.query.toString()).toBe('');
    expect(req.body).not.toContain(API_KEY);
  });

  it('leaves from out when no sender is configured', async () => {
    await send(new ClickatellGateway(settings({ from: undefined })));
    expect(bodyOf(clickatell.requests[0])).not.toHaveProperty('from');
  });
});

describe('ClickatellGateway answers', () => {
  it('reads an accepted message as accepted under its apiMessageId', async () => {
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'c1a2b3c4d5e6f708' });
  });

  it('gets a fresh id per text from the default fake', async () => {
    const fresh = await startFakeClickatell(API_KEY);
    try {
      const g = new ClickatellGateway(settings({ baseUrl: fresh.url }));
      const [a, b] = await Promise.all([send(g), send(g)]);
      expect(a.outcome).toBe('accepted');
      expect(a).not.toEqual(b);
    } finally {
      await fresh.close();
    }
  });

  it('reads a wrong API key (401 Authentication failed) as retryable', async () => {
    await expect(send(new ClickatellGateway(settings({ apiKey: 'wrong-key' })))).resolves.toEqual({
      outcome: 'retryable',
      code: 'clickatell-001',
      detail: '001: Authentication failed.',
    });
  });

  it.each([
    ['Invalid destination address.', { outcome: 'permanent', reason: 'invalid-number', code: 'clickatell-105' }],
    ['Destination mobile number blocked', { outcome: 'permanent', reason: 'blocked', code: 'clickatell-121' }],
    ['Cannot route message', { outcome: 'permanent', reason: 'blocked', code: 'clickatell-114' }],
    ['Destination mobile opted out', { outcome: 'permanent', reason: 'unsubscribed', code: 'clickatell-122' }],
    ['Maximum message parts exceeded', { outcome: 'permanent', reason: 'rejected', code: 'clickatell-113' }],
    ['No credit left', { outcome: 'retryable', code: 'clickatell-301' }],
    ['IP Lockdown violation', { outcome: 'retryable', code: 'clickatell-007' }],
    ['Something else entirely', { outcome: 'permanent', reason: 'rejected', code: 'clickatell-error' }],
  ])('reads a refusal described as "%s"', async (description, expected) => {
    clickatell.respond(() => clickatellRefused('16175551234', description));
    await expect(send()).resolves.toMatchObject({ ...expected, detail: expect.stringContaining(description) });
  });

  it.each([
    [{ code: '105', description: 'Invalid Destination Address' }, { outcome: 'permanent', reason: 'invalid-number', code: 'clickatell-105' }],
    [{ code: 121, description: 'Blocked' }, { outcome: 'permanent', reason: 'blocked', code: 'clickatell-121' }],
    [{ code: '301', description: 'No credit left' }, { outcome: 'retryable', code: 'clickatell-301' }],
    [{ code: '001', description: 'Authentication failed' }, { outcome: 'retryable', code: 'clickatell-001' }],
    [{ code: '123', description: 'Invalid Sender ID' }, { outcome: 'permanent', reason: 'rejected', code: 'clickatell-123' }],
  ])('reads an error object %j by its code', async (error, expected) => {
    clickatell.respond(() => clickatellRefused('16175551234', error, 400));
    await expect(send()).resolves.toMatchObject(expected);
  });

  it('reads a request-level error', async () => {
    clickatell.respond(() => json(400, { messages: [], error: 'Invalid or missing parameters.' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'clickatell-error' });
  });

  it.each([
    [500, { outcome: 'retryable', code: 'http-500' }],
    [503, { outcome: 'retryable', code: 'http-503' }],
    [403, { outcome: 'retryable', code: 'http-403' }],
    [404, { outcome: 'permanent', code: 'http-404', reason: 'rejected' }],
  ])('reads HTTP %s without an error body by its status', async (status, expected) => {
    clickatell.respond(() => ({ status, body: 'upstream trouble' }));
    await expect(send()).resolves.toMatchObject(expected);
  });

  it('reads HTTP 429 as throttled, with its Retry-After', async () => {
    clickatell.respond(() => json(429, { messages: [], error: 'Too many requests' }, { 'retry-after': '2' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 2000 });
  });

  it('reads a 5xx by its status even when it carries an error', async () => {
    clickatell.respond(() => json(503, { messages: [], error: 'Invalid destination address.' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-503' });
  });

  it.each([
    ['a body that is not JSON', { status: 202, headers: { 'content-type': 'text/html' }, body: '<html>portal</html>' }],
    ['no messages', json(202, { error: null })],
    ['accepted without an apiMessageId', json(202, { messages: [{ accepted: true, to: '16175551234' }], error: null })],
  ])('reads %s on 202 as a retryable malformed reply', async (_what, reply) => {
    clickatell.respond(() => reply);
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('reads no answer within the attempt timeout as a retryable timeout', async () => {
    clickatell.respond(() => ({ status: 202, hang: true }));
    await expect(send(gateway, AbortSignal.timeout(200))).resolves.toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a dropped connection as a retryable network error', async () => {
    clickatell.respond(() => ({ status: 202, reset: true }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

describe('ClickatellGateway status callbacks', () => {
  const authenticated = (fields: Record<string, unknown> = {}) => clickatellStatusCallback(fields, { credentials: callbackCredentials });

  it('reads an authenticated status callback', () => {
    expect(gateway.parseReceipt(authenticated())).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80', status: 'delivered', vendorStatus: 'RECEIVED_BY_RECIPIENT' }],
    });
  });

  it.each([
    [1, 'queued'],
    ['002', 'queued'],
    [3, 'sent'],
    ['004', 'delivered'],
    [5, 'failed'],
    [6, 'failed'],
    ['007', 'undelivered'],
    [8, 'queued'],
    [9, 'failed'],
    [10, 'failed'],
    ['011', 'queued'],
    [12, 'failed'],
    [14, 'failed'],
  ])('maps statusCode %j to %s', (statusCode, status) => {
    expect(gateway.parseReceipt(authenticated({ statusCode, status: undefined }))).toMatchObject({ ok: true, value: [{ status }] });
  });

  it('keeps a failed status’s number as its error code', () => {
    expect(gateway.parseReceipt(authenticated({ statusCode: 7, status: 'ERROR_DELIVERING_MESSAGE' }))).toMatchObject({
      ok: true,
      value: [{ status: 'undelivered', vendorStatus: 'ERROR_DELIVERING_MESSAGE', errorCode: '007' }],
    });
  });

  it('reads a numeric status when statusCode is absent, and apiMessageId for messageId', () => {
    const callback = authenticated({ statusCode: undefined, status: '003', messageId: undefined, apiMessageId: 'legacy-id' });
    expect(gateway.parseReceipt(callback)).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'legacy-id', status: 'sent', vendorStatus: '003' }],
    });
  });

  it('accepts the scheme word in any case', () => {
    const callback = authenticated();
    const authorization = (callback.headers.authorization ?? '').replace('Basic', 'basic');
    expect(gateway.parseReceipt({ ...callback, headers: { ...callback.headers, authorization } })).toMatchObject({ ok: true });
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', { user: callbackCredentials.user, password: 'guess' }],
    ['a wrong user', { user: 'someone', password: callbackCredentials.password }],
    ['the password as the user', { user: callbackCredentials.password, password: callbackCredentials.user }],
  ])('answers 401 to a callback with %s', (_what, credentials) => {
    expect(gateway.parseReceipt(clickatellStatusCallback({}, { credentials }))).toEqual({
      ok: false,
      status: 401,
      error: 'HTTP Basic credentials are missing or wrong',
    });
  });

  it('answers 401 to a Bearer or malformed Authorization header', () => {
    const callback = authenticated();
    for (const authorization of [`Bearer ${callbackCredentials.password}`, 'Basic', 'Basic !!!']) {
      expect(gateway.parseReceipt({ ...callback, headers: { ...callback.headers, authorization } })).toMatchObject({ ok: false, status: 401 });
    }
  });

  it.each([
    ['neither is set', { callbackUser: undefined, callbackPassword: undefined }],
    ['only the user is set', { callbackPassword: undefined }],
  ])('refuses every callback with 403 when %s', (_what, overrides) => {
    const g = new ClickatellGateway(settings(overrides));
    expect(g.parseReceipt(authenticated())).toEqual({ ok: false, status: 403, error: 'CLICKATELL_CALLBACK_USER/PASSWORD are not set' });
    expect(g.parseInbound(clickatellReplyCallback({}, { credentials: callbackCredentials }))).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['messageId', { messageId: undefined }],
    ['a status', { statusCode: undefined, status: 'RECEIVED_BY_RECIPIENT' }],
  ])('answers 400 to an authenticated callback without %s', (_what, fields) => {
    expect(gateway.parseReceipt(authenticated(fields))).toEqual({ ok: false, status: 400, error: 'messageId and statusCode are required' });
  });

  it('answers 400 to a status number Clickatell does not send', () => {
    expect(gateway.parseReceipt(authenticated({ statusCode: 99 }))).toEqual({ ok: false, status: 400, error: 'unknown statusCode 99' });
  });
});

describe('ClickatellGateway reply callbacks', () => {
  it('reads an authenticated reply', () => {
    expect(gateway.parseInbound(clickatellReplyCallback({}, { credentials: callbackCredentials }))).toEqual({
      ok: true,
      value: { from: '+16175551234', to: '+14155550100', text: 'STOP', vendorMessageId: expect.any(String), sentAt: new Date(1700000000000).toISOString() },
    });
  });

  it('refuses a reply with wrong or no credentials', () => {
    const wrong = { user: callbackCredentials.user, password: 'nope' };
    expect(gateway.parseInbound(clickatellReplyCallback({}, { credentials: wrong }))).toMatchObject({ ok: false, status: 401 });
    expect(gateway.parseInbound(clickatellReplyCallback({}))).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 400 to an authenticated callback that is not a reply', () => {
    expect(gateway.parseInbound(clickatellStatusCallback({}, { credentials: callbackCredentials }))).toEqual({
      ok: false,
      status: 400,
      error: 'fromNumber, toNumber and text are required',
    });
  });
});
