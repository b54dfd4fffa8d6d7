import { createHmac } from 'node:crypto';
import type { SinchSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms, WebhookRequest } from '../../src/sms/port';
import { SinchGateway } from '../../src/sms/sinch';
import { json } from '../fakes/fake-server';
import {
  SINCH_ACCOUNT,
  sinchCallback,
  sinchError,
  sinchMoText,
  sinchRecipientReport,
  sinchSignature,
  startFakeSinch,
  type FakeSinch,
} from '../fakes/sinch';

const STATUS_URL = 'https://ivr.example.com/webhooks/sinch/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/sinch/inbound';
const SMS: OutgoingSms = { id: 'msg-1', to: '+16175551234', body: 'Chat with us: https://x.example/c/abc' };
const SECRET = 'sinch-callback-secret-0001';
const BASIC = { user: 'sinch-cb-user', password: 'sinch-cb-password-0001' };

let fake: FakeSinch;

beforeAll(async () => {
  fake = await startFakeSinch();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.batches.length = 0;
  fake.respond(fake.accept);
});

function gateway(overrides: Partial<SinchSettings> = {}, now?: () => Date): SinchGateway {
  return new SinchGateway(
    { ...SINCH_ACCOUNT, from: '+14155550142', baseUrl: fake.url, callbackSecret: SECRET, ...overrides },
    { statusUrl: STATUS_URL },
    now ? { now } : {},
  );
}

const send = (sms = SMS, g = gateway()) => g.send(sms, AbortSignal.timeout(5000));

describe('SinchGateway.send: the request', () => {
  it('POSTs one batch to the service plan with the API token as Bearer, naming our id as client_reference', async () => {
    const outcome = await send();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/xms/v1/${SINCH_ACCOUNT.servicePlanId}/batches`);
    expect(req.headers.authorization).toBe(`Bearer ${SINCH_ACCOUNT.apiToken}`);
    expect(JSON.parse(req.body)).toEqual({
      from: '+14155550142',
      to: ['+16175551234'],
      body: SMS.body,
      delivery_report: 'per_recipient',
      callback_url: STATUS_URL,
      client_reference: 'msg-1',
    });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: fake.batches[0]!.id });
    expect(fake.batches[0]).toMatchObject({ to: ['+16175551234'], client_reference: 'msg-1' });
  });
});

describe('SinchGateway.send: what Sinch answers', () => {
  it.each([
    [400, 'syntax_invalid_json', 'The JSON in the request is invalid', { outcome: 'permanent', reason: 'rejected' }],
    [400, 'syntax_invalid_parameter_format', "Invalid phone number format in field 'to'", { outcome: 'permanent', reason: 'invalid-number' }],
    [400, 'syntax_invalid_parameter_format', "Invalid format of field 'expire_at'", { outcome: 'permanent', reason: 'rejected' }],
    [400, 'syntax_constraint_violation', 'body is required', { outcome: 'permanent', reason: 'rejected' }],
    [403, 'illegal_number_type', 'Illegal number type for region', { outcome: 'permanent', reason: 'invalid-number' }],
    [403, 'unprovisioned_region', 'Service plan not provisioned in region', { outcome: 'retryable' }],
    [403, 'blocked_account', 'Account blocked', { outcome: 'retryable' }],
    [403, 'missing_callback_url', 'No callback URL', { outcome: 'permanent', reason: 'rejected' }],
  ])('%i %s (%s)', async (status, code, text, expected) => {
    fake.respond(() => sinchError(status, code, text));

    const outcome = await send();

    expect(outcome).toMatchObject({ ...expected, code: `sinch-${code}`, detail: expect.stringContaining(text) });
  });

  it('reads 401 (a wrong token) as retryable: a fallback gateway can send it', async () => {
    expect(await send(SMS, gateway({ apiToken: 'not-the-token' }))).toMatchObject({ outcome: 'retryable', code: 'http-401' });
  });

  it('reads 429 as throttled, honouring Retry-After', async () => {
    fake.respond(() => json(429, { code: 'too_many_requests', text: 'Too many requests' }, { 'retry-after': '2' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 2000 });
  });

  it('reads a 5xx and a reset connection as retryable', async () => {
    fake.respond(() => json(503, { code: 'service_unavailable', text: 'Service unavailable' }));
    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'http-503' });
    fake.respond(() => ({ status: 201, reset: true }));
    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'network' });
  });

  it('reads a 201 without a batch id as retryable (not Sinch answering)', async () => {
    fake.respond(() => json(201, { hello: 'proxy' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });
});

describe('SinchGateway.findSent: the batch list by client_reference', () => {
  it('finds a batch that was created, and asks with client_reference and a start_date before the attempt', async () => {
    const g = gateway();
    const since = new Date().toISOString();
    const sent = await send(SMS, g);

    const found = await g.findSent(SMS, since, AbortSignal.timeout(5000));

    expect(found).toEqual({ kind: 'found', vendorMessageId: (sent as { vendorMessageId: string }).vendorMessageId });
    const lookup = fake.requests.at(-1)!;
    expect(lookup.method).toBe('GET');
    expect(lookup.query.get('client_reference')).toBe('msg-1');
    expect(Date.parse(lookup.query.get('start_date')!)).toBeLessThan(Date.parse(since));
    expect(await g.findSent({ ...SMS, id: 'msg-never-sent' }, since, AbortSignal.timeout(5000))).toEqual({ kind: 'not-found' });
  });

  it('does not take a batch to another number for ours', async () => {
    fake.respond(() => json(200, { count: 1, page: 0, page_size: 30, batches: [{ id: 'B1', to: ['+16175559999'], client_reference: 'msg-1' }] }));

    expect(await gateway().findSent(SMS, new Date().toISOString(), AbortSignal.timeout(5000))).toEqual({ kind: 'not-found' });
  });

  it('says unknown, never not-found, when the list cannot be read', async () => {
    const gone = await startFakeSinch();
    await gone.close();
    const since = new Date().toISOString();
    expect(await gateway({ baseUrl: gone.url }).findSent(SMS, since, AbortSignal.timeout(5000))).toMatchObject({ kind: 'unknown' });
    expect(await gateway({ apiToken: 'wrong' }).findSent(SMS, since, AbortSignal.timeout(5000))).toMatchObject({ kind: 'unknown' });
  });
});

// --- Callbacks -------------------------------------------------------------------------

describe('x-sinch-webhook-signature', () => {
  // Sinch's published test vector (sinch/sinch-sdk-dotnet, Conversation WebhooksTests
  // ValidateRequest): secret foo_secret1234, nonce 01FJA8B4A7BM43YGWSG9GBV067, timestamp
  // 1634579353, signature 6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=.
  const VECTOR_BODY =
    '{"app_id":"","accepted_time":"2021-10-18T17:49:13.813615Z","project_id":"e2df3a34-a71b-4448-9db5-a8d2baad28e4","contact_create_notification":{"contact":{"id":"01FJA8B466Y0R2GNXD78MD9SM1","channel_identities":[{"channel":"SMS","identity":"48123456789","app_id":""}],"display_name":"New Test Contact","email":"new.contact@email.com","external_id":"","metadata":"","language":"EN_US"}},"message_metadata":""}';
  const vector = (signature = '6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=', body = VECTOR_BODY): WebhookRequest => ({
    url: STATUS_URL,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-sinch-webhook-signature-nonce': '01FJA8B4A7BM43YGWSG9GBV067',
      'x-sinch-webhook-signature-timestamp': '1634579353',
      'x-sinch-webhook-signature': signature,
    },
    rawBody: body,
    params: {},
  });
  const atVectorTime = () => new Date(1634579353 * 1000 + 30_000);

  it("the test's own signer reproduces Sinch's published vector", () => {
    expect(sinchSignature('foo_secret1234', VECTOR_BODY, '01FJA8B4A7BM43YGWSG9GBV067', '1634579353')).toBe('6bpJoRmFoXVjfJIVglMoJzYXxnoxRujzR4k2GOXewOE=');
  });

  it("the adapter accepts the published vector's signature (then finds no delivery report in it)", () => {
    const verdict = gateway({ callbackSecret: 'foo_secret1234' }, atVectorTime).parseReceipt(vector());

    // 400, not 401: the signature passed; the Conversation API body is no delivery report.
    expect(verdict).toEqual({ ok: false, status: 400, error: 'batch_id is required' });
  });

  it('refuses the vector tampered with, re-signed with another secret, or replayed later', () => {
    const g = gateway({ callbackSecret: 'foo_secret1234' }, atVectorTime);
    expect(g.parseReceipt(vector(undefined, VECTOR_BODY.replace('New Test Contact', 'New Test Contacts')))).toMatchObject({ ok: false, status: 401 });
    const forged = createHmac('sha256', 'not-the-secret').update(`${VECTOR_BODY}.01FJA8B4A7BM43YGWSG9GBV067.1634579353`).digest('base64');
    expect(g.parseReceipt(vector(forged))).toMatchObject({ ok: false, status: 401 });
    // The same, genuine callback an hour later: stale.
    const later = gateway({ callbackSecret: 'foo_secret1234' }, () => new Date(1634579353 * 1000 + 3600_000));
    expect(later.parseReceipt(vector())).toMatchObject({ ok: false, status: 401, error: expect.stringContaining('seconds away') });
  });
});

describe('SinchGateway.parseReceipt', () => {
  const report = (status: string, code?: number, auth: Parameters<typeof sinchCallback>[2] = { secret: SECRET }) =>
    sinchCallback(STATUS_URL, sinchRecipientReport({ batchId: '01FC66621XXXXX119Z8PMV1QPQ', status, ...(code !== undefined ? { code } : {}) }), auth);

  it.each([
    ['Queued', 400, 'queued', undefined],
    ['Dispatched', 401, 'sent', '401'],
    ['Aborted', 402, 'failed', '402'],
    ['Cancelled', 407, 'failed', '407'],
    ['Rejected', 408, 'failed', '408'],
    ['Deleted', 1, 'undelivered', '1'],
    ['Delivered', 0, 'delivered', undefined],
    ['Failed', 11, 'undelivered', '11'],
    ['Expired', 406, 'undelivered', '406'],
    ['Unknown', 401, 'sent', '401'],
  ])('%s (code %i) is %s', (vendorStatus, code, status, errorCode) => {
    const verdict = gateway().parseReceipt(report(vendorStatus, code));

    expect(verdict).toEqual({
      ok: true,
      value: [{ vendorMessageId: '01FC66621XXXXX119Z8PMV1QPQ', status, vendorStatus, ...(errorCode ? { errorCode } : {}) }],
    });
  });

  it('reads a batch delivery_report_sms, one receipt per status', () => {
    const payload = { type: 'delivery_report_sms', batch_id: 'B2', total_message_count: 1, statuses: [{ code: 0, status: 'Delivered', count: 1 }] };

    expect(gateway().parseReceipt(sinchCallback(STATUS_URL, payload, { secret: SECRET }))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'B2', status: 'delivered', vendorStatus: 'Delivered' }],
    });
  });

  it('refuses an unknown status and a body that is not a delivery report (400)', () => {
    expect(gateway().parseReceipt(report('Teleported', 0))).toMatchObject({ ok: false, status: 400 });
    expect(gateway().parseReceipt(sinchCallback(STATUS_URL, { type: 'mo_text', batch_id: 'x' }, { secret: SECRET }))).toMatchObject({ ok: false, status: 400 });
  });

  it('accepts HmacSHA512 when Sinch names it', () => {
    expect(gateway().parseReceipt(report('Delivered', 0, { secret: SECRET, algorithm: 'HmacSHA512' }))).toMatchObject({ ok: true });
  });

  it.each([
    ['unsigned', () => report('Delivered', 0, {})],
    ['signed with another secret', () => report('Delivered', 0, { secret: 'not-the-secret' })],
    ['tampered after signing', () => ({ ...report('Delivered', 0), rawBody: report('Delivered', 0).rawBody.replace('Delivered', 'Failed') })],
    ['stale (10 minutes old)', () => report('Delivered', 0, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) - 600 })],
    ['from the future (10 minutes ahead)', () => report('Delivered', 0, { secret: SECRET, timestamp: Math.floor(Date.now() / 1000) + 600 })],
  ])('refuses a receipt %s (401)', (_what, build) => {
    expect(gateway().parseReceipt(build())).toMatchObject({ ok: false, status: 401 });
  });

  it('refuses an unknown signature algorithm', () => {
    const req = report('Delivered', 0);
    req.headers['x-sinch-webhook-signature-algorithm'] = 'HmacMD5';
    expect(gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 401, error: expect.stringContaining('algorithm') });
  });

  it('with HTTP Basic set up instead: takes the right credentials, refuses wrong or missing ones', () => {
    const g = gateway({ callbackSecret: undefined, callbackUser: BASIC.user, callbackPassword: BASIC.password });
    expect(g.parseReceipt(report('Delivered', 0, { basic: BASIC }))).toMatchObject({ ok: true });
    expect(g.parseReceipt(report('Delivered', 0, { basic: { ...BASIC, password: 'wrong' } }))).toMatchObject({ ok: false, status: 401 });
    expect(g.parseReceipt(report('Delivered', 0, {}))).toMatchObject({ ok: false, status: 401 });
  });

  it('with both set up, needs both', () => {
    const g = gateway({ callbackUser: BASIC.user, callbackPassword: BASIC.password });
    expect(g.parseReceipt(report('Delivered', 0, { secret: SECRET, basic: BASIC }))).toMatchObject({ ok: true });
    expect(g.parseReceipt(report('Delivered', 0, { secret: SECRET }))).toMatchObject({ ok: false, status: 401 });
    expect(g.parseReceipt(report('Delivered', 0, { basic: BASIC }))).toMatchObject({ ok: false, status: 401 });
  });

  it('trusts nothing when no callback authentication is configured (403)', () => {
    expect(gateway({ callbackSecret: undefined }).parseReceipt(report('Delivered', 0))).toMatchObject({ ok: false, status: 403 });
  });
});

describe('SinchGateway.parseInbound', () => {
  it('reads an mo_text: numbers in E.164, the id and time kept for replays', () => {
    const payload = sinchMoText({ from: '16175551234', to: '+14155550142', body: 'STOP', id: '01FC66621VHDBN119Z8PMV1AHY', receivedAt: '2024-05-01T10:00:00.000Z' });

    expect(gateway().parseInbound(sinchCallback(INBOUND_URL, payload, { secret: SECRET }))).toEqual({
      ok: true,
      value: { from: '+16175551234', to: '+14155550142', text: 'STOP', vendorMessageId: '01FC66621VHDBN119Z8PMV1AHY', sentAt: '2024-05-01T10:00:00.000Z' },
    });
  });

  it('refuses a forged inbound STOP (401) and a body that is not a text (400)', () => {
    const payload = sinchMoText({ from: '+16175551234', to: '+14155550142', body: 'STOP' });
    expect(gateway().parseInbound(sinchCallback(INBOUND_URL, payload, { secret: 'forged' }))).toMatchObject({ ok: false, status: 401 });
    expect(gateway().parseInbound(sinchCallback(INBOUND_URL, { ...payload, type: 'mo_binary' }, { secret: SECRET }))).toMatchObject({ ok: false, status: 400 });
  });
});
