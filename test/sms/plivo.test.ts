import type { PlivoSettings } from '../../src/sms/gateway-config';
import { PlivoGateway } from '../../src/sms/plivo';
import type { OutgoingSms, SendOutcome, WebhookRequest } from '../../src/sms/port';
import {
  PLIVO_ACCOUNT,
  acceptPlivoMessage,
  plivoError,
  plivoInboundFields,
  plivoSignatureV2,
  plivoSignatureV3,
  plivoStatusFields,
  signedPlivoRequest,
  startFakePlivo,
  type FakePlivo,
} from '../fakes/plivo';
import { json } from '../fakes/fake-server';

const STATUS_URL = 'https://ivr.example.com/webhooks/plivo/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/plivo/inbound';
const SMS: OutgoingSms = { id: 'msg-1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc' };
const UUID = 'db3ce55a-7f1d-11e1-8ea7-1231380bc196';

let fake: FakePlivo;

beforeAll(async () => {
  fake = await startFakePlivo();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(acceptPlivoMessage);
});

function gateway(overrides: Partial<PlivoSettings> = {}): PlivoGateway {
  return new PlivoGateway({ ...PLIVO_ACCOUNT, from: '14155550199', baseUrl: fake.url, ...overrides }, { statusUrl: STATUS_URL });
}

function send(sms: OutgoingSms = SMS, signal = AbortSignal.timeout(5000), g = gateway()): Promise<SendOutcome> {
  return g.send(sms, signal);
}

describe('PlivoGateway.send: the request', () => {
  it('POSTs JSON to the account Message resource with HTTP Basic', async () => {
    const outcome = await send();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/v1/Account/${PLIVO_ACCOUNT.authId}/Message/`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${PLIVO_ACCOUNT.authId}:${PLIVO_ACCOUNT.authToken}`).toString('base64')}`);
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(req.body)).toEqual({ src: '14155550199', dst: '14155550100', text: SMS.body, url: STATUS_URL, method: 'POST' });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('sends nothing but digits as dst, so "<" can never add a destination', async () => {
    await send({ ...SMS, to: '+1415555<0100' });

    expect(JSON.parse(fake.requests[0]!.body).dst).toBe('14155550100');
  });
});

describe('PlivoGateway.send: what Plivo answers', () => {
  it('reads a 400 naming the destination as an invalid number', async () => {
    const outcome = await send({ ...SMS, to: '+123' });

    expect(outcome).toEqual({ outcome: 'permanent', code: 'http-400', detail: expect.stringContaining('invalid dst'), reason: 'invalid-number' });
  });

  it.each(['invalid dst', 'dst parameter is not valid', 'Invalid destination number'])('reads "%s" as an invalid number', async (error) => {
    fake.respond(() => plivoError(400, error));

    expect(await send()).toMatchObject({ outcome: 'permanent', reason: 'invalid-number' });
  });

  it('reads any other 400 as rejected', async () => {
    const outcome = await send({ ...SMS, body: '' });

    expect(outcome).toEqual({ outcome: 'permanent', code: 'http-400', detail: expect.stringContaining('Missing text parameter'), reason: 'rejected' });
  });

  it('reads a 202 listing our destination as invalid_number, with nothing queued, as an invalid number', async () => {
    fake.respond(() => json(202, { api_id: 'x', message: 'message(s) queued', message_uuid: [], invalid_number: ['14155550100'] }));

    expect(await send()).toMatchObject({ outcome: 'permanent', code: 'plivo-invalid-number', reason: 'invalid-number' });
  });

  it('reads wrong credentials (401) as retryable, without echoing them', async () => {
    const outcome = await send(SMS, AbortSignal.timeout(5000), gateway({ authToken: 'wrong-token' }));

    expect(outcome).toEqual({ outcome: 'retryable', code: 'http-401', detail: expect.stringContaining('authentication failed') });
    expect(JSON.stringify(outcome)).not.toContain('wrong-token');
  });

  it('reads 429 as throttled, honouring Retry-After', async () => {
    fake.respond(() => plivoError(429, 'too many requests', { 'retry-after': '3' }));

    expect(await send()).toEqual({
      outcome: 'retryable',
      code: 'http-429',
      detail: expect.stringContaining('too many requests'),
      throttled: true,
      retryAfterMs: 3000,
    });
  });

  it.each([500, 503])('reads a %i as retryable', async (status) => {
    fake.respond(() => plivoError(status, 'server error'));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: `http-${status}` });
  });

  it('reads an HTML 502 page from a proxy as retryable', async () => {
    fake.respond(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html><body><h1>502 Bad Gateway</h1></body></html>' }));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'http-502', detail: expect.stringContaining('502 Bad Gateway') });
  });

  it('reads a 202 that is not JSON as retryable', async () => {
    fake.respond(() => ({ status: 202, headers: { 'content-type': 'text/plain' }, body: 'Accepted' }));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'malformed-reply', detail: expect.stringContaining('Accepted') });
  });

  it('reads a 202 JSON body without message_uuid as retryable', async () => {
    fake.respond(() => json(202, { api_id: 'x', message: 'message(s) queued' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('gives up on a Plivo that never answers when the attempt times out', async () => {
    fake.respond(() => ({ status: 202, hang: true }));

    expect(await send(SMS, AbortSignal.timeout(200))).toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a reset connection as retryable', async () => {
    fake.respond(() => ({ status: 202, reset: true }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

// --- Webhooks ----------------------------------------------------------------------------

/** The request after someone changed one field on the way, signature untouched. */
function tampered(req: WebhookRequest, name: string, value: string): WebhookRequest {
  const form = new URLSearchParams(req.rawBody);
  form.set(name, value);
  return { ...req, rawBody: form.toString(), params: { ...req.params, [name]: value } };
}

function without(req: WebhookRequest, ...headers: string[]): WebhookRequest {
  return { ...req, headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => !headers.includes(name))) };
}

function statusCallback(status: string, errorCode?: string): WebhookRequest {
  return signedPlivoRequest(PLIVO_ACCOUNT.authToken, STATUS_URL, plivoStatusFields({ messageUuid: UUID, status, ...(errorCode ? { errorCode } : {}) }));
}

describe('Plivo request signatures', () => {
  // Computed with the signing functions of plivo-python (plivo/utils/signature_v3.py),
  // which agree with plivo-node's validateV3Signature: the fake and the adapter are both
  // pinned to Plivo's own code, not to each other.
  const token = 'my_auth_token';
  const nonce = '05429567804466091622';
  const fields = { MessageUUID: UUID, Status: 'delivered', To: '14155550100', From: '14155550199', ErrorCode: '' };
  const vectors = [
    { url: STATUS_URL, fields, nonce, signature: 'XB9QK9PKxSHMJAqVlubOkkxWSaWJ5b1ZoDLj8lN/cpg=' },
    { url: `${STATUS_URL}?campaign=b&a=2&a=1`, fields, nonce, signature: 'HLSJV0XL66Hpa5lu8zE6T4E8fWxttiDULJN55w73KMM=' },
    { url: INBOUND_URL, fields: {}, nonce: '12345', signature: 'PmzGik+4rxDZhnmTO0ZkWQs3i7vn8qSS2dIykiIaT+k=' },
  ];

  it.each(vectors)('the fake signs V3 as Plivo does ($url)', (v) => {
    expect(plivoSignatureV3(token, v.url, v.fields, v.nonce)).toBe(v.signature);
  });

  it.each(vectors)("the adapter accepts Plivo's V3 signature ($url)", (v) => {
    const g = new PlivoGateway({ ...PLIVO_ACCOUNT, authToken: token, from: '1', baseUrl: fake.url }, { statusUrl: STATUS_URL });
    const req: WebhookRequest = {
      url: v.url,
      method: 'POST',
      headers: { 'x-plivo-signature-v3': v.signature, 'x-plivo-signature-v3-nonce': v.nonce },
      rawBody: new URLSearchParams(v.fields).toString(),
      params: { ...Object.fromEntries(new URL(v.url).searchParams), ...v.fields },
    };

    // Signature accepted: a receipt when there are fields, a 400 (nothing to read) when not.
    expect(g.parseReceipt(req)).toMatchObject(Object.keys(v.fields).length ? { ok: true } : { ok: false, status: 400 });
  });

  it("the fake signs V2 as Plivo's SDK tests say", () => {
    expect(plivoSignatureV2('my_auth_token', 'https://answer.url', '12345')).toBe('ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=');
  });
});

describe('PlivoGateway.parseReceipt', () => {
  it('reads a V3-signed status callback', () => {
    expect(gateway().parseReceipt(statusCallback('delivered'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: UUID, status: 'delivered', vendorStatus: 'delivered' }],
    });
  });

  it('keeps the error code of a failed message', () => {
    expect(gateway().parseReceipt(statusCallback('undelivered', '200'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: UUID, status: 'undelivered', vendorStatus: 'undelivered', errorCode: '200' }],
    });
  });

  it.each([
    ['queued', 'queued'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['rejected', 'failed'],
  ])('maps Status %s to %s', (vendorStatus, status) => {
    expect(gateway().parseReceipt(statusCallback(vendorStatus))).toMatchObject({ ok: true, value: [{ status, vendorStatus }] });
  });

  it('accepts one match in a comma-separated list (an account with two active auth tokens)', () => {
    const req = statusCallback('sent');
    const headers = { ...req.headers, 'x-plivo-signature-v3': `c29tZXRoaW5nIGVsc2UgZW50aXJlbHkgaGVyZSEhISE=,${req.headers['x-plivo-signature-v3']}` };

    expect(gateway().parseReceipt({ ...req, headers })).toMatchObject({ ok: true });
  });

  it('refuses a callback carrying only V2, which does not cover the fields', () => {
    const req = signedPlivoRequest(PLIVO_ACCOUNT.authToken, STATUS_URL, plivoStatusFields({ messageUuid: UUID, status: 'sent' }), { scheme: 'v2' });

    expect(gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 403 });
  });

  it('does not fall back to V2 when a V3 signature is there and wrong', () => {
    const fields = plivoStatusFields({ messageUuid: UUID, status: 'failed' });
    const v2 = signedPlivoRequest(PLIVO_ACCOUNT.authToken, STATUS_URL, fields, { scheme: 'v2' });
    const v3 = tampered(signedPlivoRequest(PLIVO_ACCOUNT.authToken, STATUS_URL, fields), 'Status', 'delivered');

    expect(gateway().parseReceipt({ ...v3, headers: { ...v2.headers, ...v3.headers } })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a callback signed with another auth token (forged)', () => {
    const forged = signedPlivoRequest('not-our-token', STATUS_URL, plivoStatusFields({ messageUuid: UUID, status: 'delivered' }));

    expect(gateway().parseReceipt(forged)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a callback without a signature, or with a signature and no nonce', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3', 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3'))).toMatchObject({ status: 403 });
  });

  it('refuses a signature that is not even the right length, without throwing', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, headers: { ...req.headers, 'x-plivo-signature-v3': 'abc' } })).toMatchObject({ status: 403 });
  });

  it('refuses a callback whose fields were changed after signing', () => {
    expect(gateway().parseReceipt(tampered(statusCallback('failed'), 'Status', 'delivered'))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a callback with another nonce than the one signed', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, headers: { ...req.headers, 'x-plivo-signature-v3-nonce': '1' } })).toMatchObject({ status: 403 });
  });

  it('refuses a callback signed for another URL or query', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, url: 'https://ivr.example.com/webhooks/plivo/other' })).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt({ ...req, url: `${STATUS_URL}?extra=1` })).toMatchObject({ status: 403 });
  });

  it.each(['MessageUUID', 'Status'])('answers 400 to a signed callback without %s', (name) => {
    const fields = plivoStatusFields({ messageUuid: UUID, status: 'delivered' });
    delete fields[name];

    expect(gateway().parseReceipt(signedPlivoRequest(PLIVO_ACCOUNT.authToken, STATUS_URL, fields))).toMatchObject({ ok: false, status: 400 });
  });

  it('answers 400 to a signed callback with a status it does not know', () => {
    expect(gateway().parseReceipt(statusCallback('exploded'))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('PlivoGateway.parseInbound', () => {
  const fields = plivoInboundFields({ from: '14155550100', to: '14155550199', text: 'STOP' });

  it('reads a signed inbound text, numbers as Plivo gives them', () => {
    expect(gateway().parseInbound(signedPlivoRequest(PLIVO_ACCOUNT.authToken, INBOUND_URL, fields))).toEqual({
      ok: true,
      value: { from: '14155550100', to: '14155550199', text: 'STOP', vendorMessageId: fields.MessageUUID },
    });
  });

  it('refuses a forged, unsigned or altered inbound text', () => {
    const signed = signedPlivoRequest(PLIVO_ACCOUNT.authToken, INBOUND_URL, fields);

    expect(gateway().parseInbound(signedPlivoRequest('not-our-token', INBOUND_URL, fields))).toMatchObject({ status: 403 });
    expect(gateway().parseInbound(without(signed, 'x-plivo-signature-v3', 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseInbound(tampered(signed, 'From', '14155550111'))).toMatchObject({ status: 403 });
  });

  it.each(['From', 'To', 'Text'])('answers 400 to a signed inbound text without %s', (name) => {
    const partial: Record<string, string> = { ...fields };
    delete partial[name];

    expect(gateway().parseInbound(signedPlivoRequest(PLIVO_ACCOUNT.authToken, INBOUND_URL, partial))).toMatchObject({ ok: false, status: 400 });
  });
});
