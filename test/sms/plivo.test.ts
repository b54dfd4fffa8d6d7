import { createGateways } from '../../src/sms/create-gateway';
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
  startPlivoCrashFake,
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

  it('reads "Insufficient Credit" (our account, for two minutes after error 900) as retryable', async () => {
    fake.respond(() => plivoError(400, 'Insufficient Credit'));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'plivo-insufficient-credit' });
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

  it.each(['x-plivo-signature-v2', 'x-plivo-signature-ma-v2'])("the adapter accepts Plivo's V2 vector in %s", (header) => {
    // plivo-node's validateSignature vector: token my_auth_token, https://answer.url, nonce 12345.
    const g = new PlivoGateway({ ...PLIVO_ACCOUNT, authToken: 'my_auth_token', from: '1', baseUrl: fake.url }, { statusUrl: STATUS_URL });
    const req: WebhookRequest = {
      url: 'https://answer.url',
      method: 'POST',
      headers: { [header]: 'ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc=', 'x-plivo-signature-v2-nonce': '12345' },
      rawBody: '',
      params: {},
    };

    // Signature accepted, then a 400: the vector carries no fields to read.
    expect(g.parseReceipt(req)).toMatchObject({ ok: false, status: 400 });
    expect(g.parseReceipt({ ...req, headers: { ...req.headers, 'x-plivo-signature-v2-nonce': '12346' } })).toMatchObject({ status: 403 });
  });
});

describe('Plivo V2 and main-account signatures (what messaging callbacks carry)', () => {
  const fields = () => plivoStatusFields({ messageUuid: UUID, status: 'delivered' });
  const v2 = (token: string = PLIVO_ACCOUNT.authToken, options: { nonce?: string; mainAccountToken?: string } = {}) =>
    signedPlivoRequest(token, STATUS_URL, fields(), { scheme: 'v2', ...options });

  it('reads a status callback signed V2 and Ma-V2, as Plivo sends it', () => {
    expect(gateway().parseReceipt(v2())).toEqual({ ok: true, value: [{ vendorMessageId: UUID, status: 'delivered', vendorStatus: 'delivered' }] });
  });

  it.each(['x-plivo-signature-v2', 'x-plivo-signature-ma-v2'])('reads a callback carrying only %s', (header) => {
    const req = v2();
    const other = header === 'x-plivo-signature-v2' ? 'x-plivo-signature-ma-v2' : 'x-plivo-signature-v2';

    expect(gateway().parseReceipt(without(req, other))).toMatchObject({ ok: true });
  });

  it('accepts a subaccount callback by Ma-V2 when PLIVO_AUTH_TOKEN is the main account’s', () => {
    const req = v2('the-subaccount-token', { mainAccountToken: PLIVO_ACCOUNT.authToken });

    expect(gateway().parseReceipt(req)).toMatchObject({ ok: true });
  });

  it('accepts a subaccount callback by Ma-V3 when PLIVO_AUTH_TOKEN is the main account’s', () => {
    const req = signedPlivoRequest('the-subaccount-token', STATUS_URL, fields(), { mainAccountToken: PLIVO_ACCOUNT.authToken });

    expect(gateway().parseReceipt(req)).toMatchObject({ ok: true });
    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-ma-v3'))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses V2 signed with another token (forged), or without its nonce', () => {
    expect(gateway().parseReceipt(v2('not-our-token'))).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseReceipt(without(v2(), 'x-plivo-signature-v2-nonce'))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses V2 with another nonce, or for another URL', () => {
    const req = v2();

    expect(gateway().parseReceipt({ ...req, headers: { ...req.headers, 'x-plivo-signature-v2-nonce': '1' } })).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt({ ...req, url: 'https://ivr.example.com/webhooks/plivo/inbound' })).toMatchObject({ status: 403 });
  });

  it('refuses a replayed V2 nonce carrying other fields (V2 does not sign them): a forged STOP', () => {
    const g = gateway();
    const inbound = signedPlivoRequest(PLIVO_ACCOUNT.authToken, INBOUND_URL, plivoInboundFields({ from: '14155550100', to: '14155550199', text: 'hello' }), { scheme: 'v2' });
    expect(g.parseInbound(inbound)).toMatchObject({ ok: true, value: { text: 'hello' } });

    const forged = tampered(tampered(inbound, 'From', '14155550111'), 'Text', 'STOP');

    expect(g.parseInbound(forged)).toMatchObject({ ok: false, status: 403 });
  });

  it('accepts the same V2 callback again, unchanged (Plivo retrying it)', () => {
    const g = gateway();
    const req = v2();

    expect(g.parseReceipt(req)).toMatchObject({ ok: true });
    expect(g.parseReceipt(req)).toMatchObject({ ok: true });
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
    expect(gateway().parseReceipt(statusCallback('undelivered', '30'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: UUID, status: 'undelivered', vendorStatus: 'undelivered', errorCode: '30' }],
    });
  });

  it('reads error 200 (the recipient replied STOP) as an opt-out: the number is suppressed', () => {
    expect(gateway().parseReceipt(statusCallback('failed', '200'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: UUID, status: 'failed', vendorStatus: 'failed', errorCode: '200', optedOut: true }],
    });
  });

  // Every code in Plivo's error table (https://www.plivo.com/docs/messaging/troubleshooting/error-codes)
  // is kept on the receipt; only 200 is an opt-out.
  it.each(['10', '20', '30', '40', '50', '60', '70', '80', '90', '100', '110', '120', '130', '140', '150', '300', '420', '450', '900', '910', '920', '950', '1000'])(
    'keeps error %s without reading it as an opt-out',
    (code) => {
      const verdict = gateway().parseReceipt(statusCallback('undelivered', code));

      expect(verdict).toEqual({ ok: true, value: [{ vendorMessageId: UUID, status: 'undelivered', vendorStatus: 'undelivered', errorCode: code }] });
    },
  );

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

    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3', 'x-plivo-signature-ma-v3', 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseReceipt(without(req, 'x-plivo-signature-v3', 'x-plivo-signature-ma-v3'))).toMatchObject({ status: 403 });
  });

  it('refuses a signature that is not even the right length, without throwing', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, headers: { ...req.headers, 'x-plivo-signature-v3': 'abc', 'x-plivo-signature-ma-v3': 'abc' } })).toMatchObject({
      status: 403,
    });
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
    expect(gateway().parseInbound(without(signed, 'x-plivo-signature-v3', 'x-plivo-signature-ma-v3', 'x-plivo-signature-v3-nonce'))).toMatchObject({ status: 403 });
    expect(gateway().parseInbound(tampered(signed, 'From', '14155550111'))).toMatchObject({ status: 403 });
  });

  it.each(['From', 'To', 'Text'])('answers 400 to a signed inbound text without %s', (name) => {
    const partial: Record<string, string> = { ...fields };
    delete partial[name];

    expect(gateway().parseInbound(signedPlivoRequest(PLIVO_ACCOUNT.authToken, INBOUND_URL, partial))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('PlivoGateway.findSent (before resending a text whose answer was lost)', () => {
  const since = () => new Date(Date.now() - 5_000).toISOString();

  beforeEach(() => {
    fake.records.length = 0;
    fake.listReply = undefined;
  });

  it('is a lookup, as Plivo documents no deduplication', () => {
    expect(gateway().resendSafety).toBe('lookup');
  });

  it('finds a text Plivo queued although its answer never reached us', async () => {
    const startedAt = since();
    fake.respond((req) => ({ ...acceptPlivoMessage(req), hang: true }));
    expect(await send(SMS, AbortSignal.timeout(300))).toMatchObject({ outcome: 'retryable', code: 'timeout' });
    const [record] = fake.records;

    expect(await gateway().findSent(SMS, startedAt, AbortSignal.timeout(5000))).toEqual({ kind: 'found', vendorMessageId: record!.message_uuid, code: 'queued' });
  });

  it('asks the list API with the documented filters, with HTTP Basic', async () => {
    fake.requests.length = 0;
    await gateway().findSent(SMS, '2026-03-01T12:00:30.000Z', AbortSignal.timeout(5000));

    const [req] = fake.requests;
    expect(req!.method).toBe('GET');
    expect(req!.path).toBe(fake.messagesPath);
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from(`${PLIVO_ACCOUNT.authId}:${PLIVO_ACCOUNT.authToken}`).toString('base64')}`);
    expect(Object.fromEntries(req!.query)).toEqual({
      message_direction: 'outbound',
      to_number: '+14155550100',
      from_number: '+14155550199',
      message_time__gte: '2026-03-01 11:59:30',
      limit: '20',
    });
  });

  it('says not-found when Plivo holds no text to that number since then', async () => {
    await send({ ...SMS, to: '+14155550123' });

    expect(await gateway().findSent(SMS, since(), AbortSignal.timeout(5000))).toEqual({ kind: 'not-found' });
  });

  it('does not count a text to that number from long before the attempt', async () => {
    fake.records.push({
      message_uuid: 'old-one',
      from_number: '14155550199',
      to_number: '14155550100',
      message_direction: 'outbound',
      message_state: 'delivered',
      message_time: '2020-01-01 00:00:00+00:00',
      message_type: 'sms',
      error_code: '',
    });

    expect(await gateway().findSent(SMS, since(), AbortSignal.timeout(5000))).toEqual({ kind: 'not-found' });
  });

  it.each([
    ['429 (the list allows 20 requests a minute)', plivoError(429, 'too many requests')],
    ['500', plivoError(500, 'server error')],
    ['a 200 that is not a list', { status: 200, headers: { 'content-type': 'text/html' }, body: '<html>portal</html>' }],
  ])('says unknown, never not-found, on %s', async (_what, reply) => {
    await send();
    fake.listReply = reply;

    expect(await gateway().findSent(SMS, since(), AbortSignal.timeout(5000))).toMatchObject({ kind: 'unknown' });
  });

  it('says unknown when Plivo cannot be reached', async () => {
    const g = gateway({ baseUrl: 'http://127.0.0.1:9' });

    expect(await g.findSent(SMS, since(), AbortSignal.timeout(5000))).toMatchObject({ kind: 'unknown' });
  });
});

describe('startPlivoCrashFake', () => {
  it('accepts sends, and counts one delivery per text however often the lookup runs', async () => {
    const crash = await startPlivoCrashFake();
    try {
      const g = new PlivoGateway(
        { authId: crash.env.PLIVO_AUTH_ID!, authToken: crash.env.PLIVO_AUTH_TOKEN!, from: crash.env.PLIVO_FROM!, baseUrl: crash.url },
        { statusUrl: STATUS_URL },
      );
      const startedAt = new Date().toISOString();
      expect(await g.send(SMS, AbortSignal.timeout(5000))).toMatchObject({ outcome: 'accepted' });
      expect(await g.findSent(SMS, startedAt, AbortSignal.timeout(5000))).toMatchObject({ kind: 'found' });

      expect(crash.deliveredTo(SMS.to)).toBe(1);
      expect(crash.deliveredTo('+14155550111')).toBe(0);
    } finally {
      await crash.close();
    }
  });
});

describe('the plivo gateway as the server builds it', () => {
  it('keeps its lookup through the refusal-redacting wrapper', () => {
    const gateways = createGateways({
      gateways: { plivo: { ...PLIVO_ACCOUNT, from: '14155550199', baseUrl: fake.url } },
      sandboxFailNumbers: [],
      publicBaseUrl: 'https://ivr.example.com',
    } as unknown as Parameters<typeof createGateways>[0]);

    expect(gateways.get('plivo')).toMatchObject({ resendSafety: 'lookup', findSent: expect.any(Function) });
  });
});
