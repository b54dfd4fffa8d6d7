import { createHash, createHmac } from 'node:crypto';
import { gatewaySettingsFrom, type TwilioSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms, SendOutcome, WebhookRequest } from '../../src/sms/port';
import { TwilioGateway } from '../../src/sms/twilio';
import {
  TWILIO_ACCOUNT,
  acceptTwilioMessage,
  signedTwilioRequest,
  startFakeTwilio,
  startTwilioCrashFake,
  twilioError,
  twilioInboundFields,
  twilioSignature,
  twilioMessage,
  twilioStatusFields,
  type FakeTwilio,
  type TwilioMessage,
} from '../fakes/twilio';
import { json, startFakeServer, type FakeReply } from '../fakes/fake-server';

const STATUS_URL = 'https://ivr.example.com/webhooks/twilio/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/twilio/inbound';
const SERVICE_SID = 'MG0123456789abcdef0123456789abcdef';
const SMS: OutgoingSms = { id: 'msg-1', to: '+14155550100', body: 'Chat with us: https://x.example/c/abc' };

let fake: FakeTwilio;

beforeAll(async () => {
  fake = await startFakeTwilio();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.respond(acceptTwilioMessage);
});

function gateway(overrides: Partial<TwilioSettings> = {}): TwilioGateway {
  return new TwilioGateway(
    { ...TWILIO_ACCOUNT, from: '+15005550006', baseUrl: fake.url, ...overrides },
    { statusUrl: STATUS_URL },
  );
}

function send(g = gateway(), signal = AbortSignal.timeout(5000)): Promise<SendOutcome> {
  return g.send(SMS, signal);
}

/** Vendor answers end up in logs and the database: no credential may ride along. */
function expectNoCredentials(outcome: SendOutcome): void {
  const text = JSON.stringify(outcome);
  expect(text).not.toContain(TWILIO_ACCOUNT.authToken);
  expect(text).not.toContain(Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64'));
}

describe('TwilioGateway.send: the request', () => {
  it('POSTs the form to the account Messages resource with HTTP Basic', async () => {
    const outcome = await send();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${TWILIO_ACCOUNT.accountSid}/Messages.json`);
    expect(req.headers.authorization).toBe(
      `Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`,
    );
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(req.body);
    expect(Object.fromEntries(form)).toEqual({ To: SMS.to, From: '+15005550006', Body: SMS.body, StatusCallback: STATUS_URL });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^SM[0-9a-f]{32}$/), code: 'queued' });
  });

  it('sends from the Messaging Service, not a fixed number, when both are configured', async () => {
    await send(gateway({ messagingServiceSid: SERVICE_SID }));

    const form = new URLSearchParams(fake.requests[0]!.body);
    expect(form.get('MessagingServiceSid')).toBe(SERVICE_SID);
    expect(form.has('From')).toBe(false);
  });

  it('sends from the Messaging Service alone', async () => {
    const outcome = await send(gateway({ from: undefined, messagingServiceSid: SERVICE_SID }));

    expect(new URLSearchParams(fake.requests[0]!.body).get('MessagingServiceSid')).toBe(SERVICE_SID);
    expect(outcome.outcome).toBe('accepted');
  });

  it('keeps Body exactly, including characters that need escaping', async () => {
    const body = 'Olá & bienvenue: 100% = https://x.example/c?a=1&b=2 👍';
    await gateway().send({ ...SMS, body }, AbortSignal.timeout(5000));

    expect(new URLSearchParams(fake.requests[0]!.body).get('Body')).toBe(body);
  });
});

describe('TwilioGateway.send: what Twilio answers', () => {
  // Each code and message as Twilio's error dictionary gives it: https://www.twilio.com/docs/api/errors/<code>.
  it.each([
    [21610, 'Attempt to send to unsubscribed recipient', 'unsubscribed'],
    [21211, "Invalid 'To' Phone Number", 'invalid-number'],
    [21614, "'To' number is not a valid mobile number", 'invalid-number'],
    [21635, "'To' number cannot be a landline", 'invalid-number'],
    [30004, 'Message blocked', 'blocked'],
    [30007, 'Message filtered', 'blocked'],
    [21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number", 'rejected'],
    [21602, 'Message body is required.', 'rejected'],
  ])('error %i is permanent: %s', async (code, message, reason) => {
    fake.respond(() => twilioError(400, code, message));

    const outcome = await send();

    expect(outcome).toEqual({ outcome: 'permanent', code: `twilio-${code}`, detail: expect.stringContaining(message), reason });
    expectNoCredentials(outcome);
  });

  it.each([
    [21612, "The 'To' phone number is not currently reachable via SMS"],
    [21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number'],
  ])('error %i is a route or account problem, not the number: retryable, so the fallback gateway sends it', async (code, message) => {
    fake.respond(() => twilioError(400, code, message));

    const outcome = await send();

    expect(outcome).toEqual({ outcome: 'retryable', code: `twilio-${code}`, detail: expect.stringContaining(message) });
  });

  it('reads wrong credentials (20003) as retryable: a fallback gateway may still send', async () => {
    const outcome = await send(gateway({ authToken: 'wrong-token' }));

    expect(outcome).toEqual({ outcome: 'retryable', code: 'twilio-20003', detail: expect.stringContaining('Authenticate') });
    expect(JSON.stringify(outcome)).not.toContain('wrong-token');
  });

  it('reads 20003 as retryable whatever the HTTP status', async () => {
    fake.respond(() => twilioError(400, 20003, 'Authenticate'));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'twilio-20003' });
  });

  it('reads 429 as throttled, honouring Retry-After in seconds', async () => {
    fake.respond(() => twilioError(429, 20429, 'Too Many Requests', { 'retry-after': '7' }));

    const outcome = await send();

    expect(outcome).toEqual({
      outcome: 'retryable',
      code: 'twilio-20429',
      detail: expect.stringContaining('Too Many Requests'),
      throttled: true,
      retryAfterMs: 7000,
    });
  });

  it('reads 429 without Retry-After as throttled with no delay given', async () => {
    fake.respond(() => twilioError(429, 20429, 'Too Many Requests'));

    const outcome = await send();

    expect(outcome).toMatchObject({ outcome: 'retryable', throttled: true });
    expect(outcome).not.toHaveProperty('retryAfterMs');
  });

  it.each([500, 503])('reads a %i with a Twilio error body as retryable', async (status) => {
    fake.respond(() => twilioError(status, 20500, 'Internal Server Error'));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'twilio-20500', detail: expect.stringContaining('Internal Server Error') });
  });

  it('reads a 4xx JSON body without a code by its status', async () => {
    fake.respond(() => ({ status: 400, headers: { 'content-type': 'application/json' }, body: '{"message":"bad"}' }));

    expect(await send()).toMatchObject({ outcome: 'permanent', code: 'http-400', reason: 'rejected' });
  });

  it('reads an HTML 502 page from a proxy as retryable, with an excerpt of the page', async () => {
    fake.respond(() => ({
      status: 502,
      headers: { 'content-type': 'text/html' },
      body: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
    }));

    const outcome = await send();

    expect(outcome).toEqual({ outcome: 'retryable', code: 'http-502', detail: expect.stringContaining('502 Bad Gateway') });
  });

  it('reads a 201 that is not JSON as retryable: nothing says Twilio took it', async () => {
    fake.respond(() => ({ status: 201, headers: { 'content-type': 'text/plain' }, body: 'Created' }));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'malformed-reply', detail: expect.stringContaining('Created') });
  });

  it('reads a 201 JSON body without a sid as retryable', async () => {
    fake.respond(() => ({ status: 201, headers: { 'content-type': 'application/json' }, body: '{"status":"queued"}' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('gives up on a Twilio that never answers when the attempt times out', async () => {
    fake.respond(() => ({ status: 201, hang: true }));

    const started = Date.now();
    const outcome = await send(gateway(), AbortSignal.timeout(200));

    expect(outcome).toMatchObject({ outcome: 'retryable', code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reads a reset connection as retryable', async () => {
    fake.respond(() => ({ status: 201, reset: true }));

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

function statusCallback(status: string, errorCode?: string): WebhookRequest {
  return signedTwilioRequest(
    TWILIO_ACCOUNT.authToken,
    STATUS_URL,
    twilioStatusFields({ messageSid: 'SM0123456789abcdef0123456789abcdef', status, ...(errorCode ? { errorCode } : {}) }),
  );
}

describe('Twilio request signatures: the vectors Twilio publishes', () => {
  /*
   * Twilio's published example (https://www.twilio.com/docs/usage/webhooks/webhooks-security,
   * and the request-validator tests of its official SDKs, e.g. twilio/twilio-php
   * tests/Twilio/Unit/Security/RequestValidatorTest.php): auth token 12345, this URL and
   * these fields sign to RSOYDt4T1cUTdK1PDd93/VVr8B8=. The other vectors come from the
   * same SDK test: repeated fields, the default port added or another port taken out,
   * and a JSON body signed through bodySHA256.
   */
  const TOKEN = '12345';
  const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
  const FIELDS = { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' };
  const SIGNATURE = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';

  /** The request as it would reach our route; MessageSid and MessageStatus are absent, so a valid one ends in 400 (not 403). */
  function request(url: string, rawBody: string, signature: string, contentType = 'application/x-www-form-urlencoded'): WebhookRequest {
    return { url, method: 'POST', headers: { 'content-type': contentType, 'x-twilio-signature': signature }, rawBody, params: {} };
  }
  const g = () => new TwilioGateway({ ...TWILIO_ACCOUNT, authToken: TOKEN, from: '+15005550006', baseUrl: fake.url }, { statusUrl: STATUS_URL });
  const form = (fields: [string, string][]) => new URLSearchParams(fields).toString();
  const verdictOf = (req: WebhookRequest) => g().parseReceipt(req);

  it("the fake signs Twilio's published example as Twilio does", () => {
    expect(twilioSignature(TOKEN, URL_, FIELDS)).toBe(SIGNATURE);
  });

  it("the adapter accepts exactly Twilio's published example, in any field order", () => {
    const fields = Object.entries(FIELDS);
    expect(verdictOf(request(URL_, form(fields), SIGNATURE))).toMatchObject({ ok: false, status: 400 });
    expect(verdictOf(request(URL_, form([...fields].reverse()), SIGNATURE))).toMatchObject({ ok: false, status: 400 });
  });

  it.each([
    ['another auth token', { token: 'other' }],
    ['a changed field', { fields: { ...FIELDS, Digits: '9999' } }],
    ['a field added', { fields: { ...FIELDS, ErrorCode: '30007' } }],
    ['another query', { url: `${URL_}&extra=1` }],
    ['another host', { url: URL_.replace('mycompany.com', 'evil.example') }],
  ])("refuses the published example with %s (forged or tampered)", (_label, change: { token?: string; fields?: Record<string, string>; url?: string }) => {
    const fields = change.fields ?? FIELDS;
    const url = change.url ?? URL_;
    const signature = change.token ? twilioSignature(change.token, url, fields) : SIGNATURE;
    expect(verdictOf(request(url, form(Object.entries(fields)), signature))).toMatchObject({ ok: false, status: 403 });
  });

  it('accepts the SDK vector for a repeated field (Digits 5678, 1234, 1234: each distinct value once, sorted)', () => {
    const body = form([['Sid', 'CA123'], ['SidAccount', 'AC123'], ['Digits', '5678'], ['Digits', '1234'], ['Digits', '1234']]);
    expect(verdictOf(request(URL_, body, 'IK+Dwps556ElfBT0I3Rgjkr1wJU='))).toMatchObject({ ok: false, status: 400 });
  });

  it('accepts the SDK vector signed over the URL with the default port (:443) added', () => {
    expect(verdictOf(request(URL_, form(Object.entries(FIELDS)), 'kvajT1Ptam85bY51eRf/AJRuM3w='))).toMatchObject({ ok: false, status: 400 });
  });

  it('accepts the published signature for our URL with a port Twilio left out of what it signed', () => {
    const withPort = URL_.replace('.com', '.com:1234');
    expect(verdictOf(request(withPort, form(Object.entries(FIELDS)), SIGNATURE))).toMatchObject({ ok: false, status: 400 });
  });

  describe('a JSON body, signed through bodySHA256', () => {
    const BODY = '{"property": "value", "boolean": true}';
    const HASH = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
    const WITH_HASH = `${URL_}&bodySHA256=${HASH}`;

    it("the SDK's body hash is the SHA-256 of the body (computed here independently)", () => {
      expect(createHash('sha256').update(BODY).digest('hex')).toBe(HASH);
    });

    it('accepts the SDK vector: URL with bodySHA256 signed, body matching the hash', () => {
      expect(verdictOf(request(WITH_HASH, BODY, 'a9nBmqA0ju/hNViExpshrM61xv4=', 'application/json'))).toMatchObject({ ok: false, status: 400 });
    });

    it('refuses the same signature when the body was changed after signing', () => {
      const changed = BODY.replace('value', 'other');
      expect(verdictOf(request(WITH_HASH, changed, 'a9nBmqA0ju/hNViExpshrM61xv4=', 'application/json'))).toMatchObject({ ok: false, status: 403 });
    });

    it('refuses a JSON body with the plain form signature and no bodySHA256', () => {
      expect(verdictOf(request(URL_, BODY, SIGNATURE, 'application/json'))).toMatchObject({ ok: false, status: 403 });
    });

    it('reads a status callback sent as JSON, once its body hash and signature match', () => {
      const body = JSON.stringify({ MessageSid: 'SMabc', MessageStatus: 'delivered' });
      const url = `${STATUS_URL}?bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
      const signature = createHmac('sha1', TWILIO_ACCOUNT.authToken).update(url).digest('base64');
      const req: WebhookRequest = { url, method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, rawBody: body, params: JSON.parse(body) as Record<string, unknown> };

      expect(gateway().parseReceipt(req)).toEqual({ ok: true, value: [{ vendorMessageId: 'SMabc', status: 'delivered', vendorStatus: 'delivered' }] });
    });
  });
});

describe('TwilioGateway.parseReceipt', () => {
  it('reads a signed status callback', () => {
    expect(gateway().parseReceipt(statusCallback('delivered'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'SM0123456789abcdef0123456789abcdef', status: 'delivered', vendorStatus: 'delivered' }],
    });
  });

  it('keeps the error code of a failed message', () => {
    expect(gateway().parseReceipt(statusCallback('undelivered', '30003'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'SM0123456789abcdef0123456789abcdef', status: 'undelivered', vendorStatus: 'undelivered', errorCode: '30003' }],
    });
  });

  it.each([
    ['accepted', 'queued'],
    ['scheduled', 'queued'],
    ['queued', 'queued'],
    ['sending', 'queued'],
    ['sent', 'sent'],
    ['partially_delivered', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'read'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
  ])('maps MessageStatus %s to %s', (vendorStatus, status) => {
    const verdict = gateway().parseReceipt(statusCallback(vendorStatus));

    expect(verdict).toMatchObject({ ok: true, value: [{ status, vendorStatus }] });
  });

  it('accepts a callback to a URL with a query, which Twilio signs as part of the URL', () => {
    const req = signedTwilioRequest(TWILIO_ACCOUNT.authToken, `${STATUS_URL}?attempt=2`, twilioStatusFields({ messageSid: 'SMabc', status: 'sent' }));

    expect(gateway().parseReceipt(req)).toMatchObject({ ok: true });
  });

  it('accepts a signature made over the URL with an explicit default port, as Twilio sometimes does', () => {
    const fields = twilioStatusFields({ messageSid: 'SMabc', status: 'sent' });
    const signedWithPort = signedTwilioRequest(TWILIO_ACCOUNT.authToken, 'https://ivr.example.com:443/webhooks/twilio/status', fields);

    expect(gateway().parseReceipt({ ...signedWithPort, url: STATUS_URL })).toMatchObject({ ok: true });
  });

  it('refuses a callback signed with another auth token (forged)', () => {
    const forged = signedTwilioRequest('not-our-token', STATUS_URL, twilioStatusFields({ messageSid: 'SMabc', status: 'delivered' }));

    expect(gateway().parseReceipt(forged)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a callback without a signature', () => {
    const req = statusCallback('delivered');
    const { 'x-twilio-signature': _dropped, ...headers } = req.headers;

    expect(gateway().parseReceipt({ ...req, headers })).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a signature that is not even the right length, without throwing', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, headers: { ...req.headers, 'x-twilio-signature': 'abc' } })).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses a callback whose fields were changed after signing', () => {
    expect(gateway().parseReceipt(tampered(statusCallback('failed'), 'MessageStatus', 'delivered'))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses a callback with a field added after signing', () => {
    expect(gateway().parseReceipt(tampered(statusCallback('delivered'), 'ErrorCode', '30007'))).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  it('refuses a callback signed for another URL', () => {
    const req = statusCallback('delivered');

    expect(gateway().parseReceipt({ ...req, url: 'https://ivr.example.com/webhooks/twilio/other' })).toMatchObject({ ok: false, status: 403 });
    expect(gateway().parseReceipt({ ...req, url: `${STATUS_URL}?extra=1` })).toMatchObject({ ok: false, status: 403 });
  });

  it.each(['MessageSid', 'MessageStatus'])('answers 400 to a signed callback without %s', (name) => {
    const fields = twilioStatusFields({ messageSid: 'SMabc', status: 'delivered' });
    delete fields[name];

    expect(gateway().parseReceipt(signedTwilioRequest(TWILIO_ACCOUNT.authToken, STATUS_URL, fields))).toMatchObject({
      ok: false,
      status: 400,
    });
  });

  it('answers 400 to a signed callback with a status it does not know', () => {
    expect(gateway().parseReceipt(statusCallback('lost_in_space'))).toMatchObject({ ok: false, status: 400 });
  });

  it.each(['receiving', 'received'])('answers 400, naming the inbound URL, to an incoming text’s status (%s) posted as a receipt', (status) => {
    expect(gateway().parseReceipt(statusCallback(status))).toEqual({ ok: false, status: 400, error: expect.stringContaining('/webhooks/twilio/inbound') });
  });

  it('marks a receipt failed with 21610 as an opt-out: the recipient texted STOP to our sender', () => {
    expect(gateway().parseReceipt(statusCallback('failed', '21610'))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'SM0123456789abcdef0123456789abcdef', status: 'failed', vendorStatus: 'failed', errorCode: '21610', optedOut: true }],
    });
  });

  it.each(['30003', '30005', '30006', '30007'])('does not take another failure (%s) for an opt-out', (errorCode) => {
    const verdict = gateway().parseReceipt(statusCallback('undelivered', errorCode));

    expect(verdict).toMatchObject({ ok: true, value: [{ errorCode }] });
    expect(verdict.ok && verdict.value[0]).not.toHaveProperty('optedOut');
  });
});

describe('TwilioGateway.parseInbound', () => {
  const fields = twilioInboundFields({ from: '+14155550100', to: '+15005550006', body: 'STOP' });

  it('reads a signed inbound text', () => {
    expect(gateway().parseInbound(signedTwilioRequest(TWILIO_ACCOUNT.authToken, INBOUND_URL, fields))).toEqual({
      ok: true,
      value: { from: '+14155550100', to: '+15005550006', text: 'STOP', vendorMessageId: fields.MessageSid },
    });
  });

  it('reads an empty text', () => {
    const req = signedTwilioRequest(TWILIO_ACCOUNT.authToken, INBOUND_URL, { ...fields, Body: '' });

    expect(gateway().parseInbound(req)).toMatchObject({ ok: true, value: { text: '' } });
  });

  it('refuses a forged, unsigned or altered inbound text', () => {
    const signed = signedTwilioRequest(TWILIO_ACCOUNT.authToken, INBOUND_URL, fields);
    const { 'x-twilio-signature': _dropped, ...unsigned } = signed.headers;

    expect(gateway().parseInbound(signedTwilioRequest('not-our-token', INBOUND_URL, fields))).toMatchObject({ status: 403 });
    expect(gateway().parseInbound({ ...signed, headers: unsigned })).toMatchObject({ status: 403 });
    expect(gateway().parseInbound(tampered(signed, 'From', '+14155550199'))).toMatchObject({ status: 403 });
  });

  it.each(['From', 'To', 'Body'])('answers 400 to a signed inbound text without %s', (name) => {
    const partial: Record<string, string> = { ...fields };
    delete partial[name];

    expect(gateway().parseInbound(signedTwilioRequest(TWILIO_ACCOUNT.authToken, INBOUND_URL, partial))).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});

describe('TwilioGateway.findSent: the resend lookup over the Messages list', () => {
  const FROM = '+15005550006';
  const minutesAgo = (n: number) => new Date(Date.now() - n * 60_000);
  const lookup = (g = gateway(), sms: OutgoingSms = SMS, since = minutesAgo(1).toISOString()) => g.findSent(sms, since, AbortSignal.timeout(10_000));
  const listRequests = () => fake.requests.filter((r) => r.method === 'GET');
  const ours = (overrides: Partial<TwilioMessage> = {}, createdAt = new Date()) =>
    twilioMessage({ to: SMS.to, from: FROM, body: SMS.body, createdAt, overrides });
  const others = (n: number, createdAt = new Date()) =>
    Array.from({ length: n }, (_, i) => twilioMessage({ to: SMS.to, from: FROM, body: `another text ${i}`, createdAt }));

  beforeEach(() => {
    fake.messages.length = 0;
  });

  it('says the gateway resends only after a lookup', () => {
    expect(gateway().resendSafety).toBe('lookup');
  });

  it('finds a text Twilio accepted whose answer was lost, still queued (no date_sent yet)', async () => {
    const sent = await send();
    expect(sent.outcome).toBe('accepted');

    const found = await lookup();

    expect(found).toEqual({ kind: 'found', vendorMessageId: sent.outcome === 'accepted' ? sent.vendorMessageId : '', code: 'queued' });
    const [req] = listRequests();
    expect(req!.path).toBe(fake.messagesPath);
    expect(req!.headers.authorization).toBe(`Basic ${Buffer.from(`${TWILIO_ACCOUNT.accountSid}:${TWILIO_ACCOUNT.authToken}`).toString('base64')}`);
    expect(Object.fromEntries(req!.query)).toEqual({ To: SMS.to, PageSize: '100' });
  });

  it('answers not-found when Twilio has nothing for that number', async () => {
    expect(await lookup()).toEqual({ kind: 'not-found' });
  });

  it.each([
    ['another body', { body: 'a different text' }],
    ['an incoming text', { direction: 'inbound' }],
  ])('does not take a message with %s for ours', async (_label, overrides: Partial<TwilioMessage>) => {
    fake.messages.push(ours(overrides));

    expect(await lookup()).toEqual({ kind: 'not-found' });
  });

  // Another instance (its own TWILIO_FROM) or a Messaging Service's pool may have sent it:
  // the recipient, body and time say it is ours, whichever of our numbers it came from.
  it('takes our text sent from another of our numbers for ours', async () => {
    const sent = ours({ from: '+15005550009' });
    fake.messages.push(sent);

    expect(await lookup()).toMatchObject({ kind: 'found', vendorMessageId: sent.sid });
  });

  it('does not take the same text created well before the attempt began (beyond the clock margin)', async () => {
    fake.messages.push(ours({}, minutesAgo(30)));

    expect(await lookup(gateway(), SMS, minutesAgo(10).toISOString())).toEqual({ kind: 'not-found' });
  });

  it('takes a text created a little before the attempt began, as clocks differ', async () => {
    const message = ours({ status: 'delivered' }, minutesAgo(2));
    fake.messages.push(message);

    expect(await lookup(gateway(), SMS, minutesAgo(1).toISOString())).toEqual({ kind: 'found', vendorMessageId: message.sid, code: 'delivered' });
  });

  it('through a Messaging Service: lists by To alone and matches the service', async () => {
    const service = 'MG0123456789abcdef0123456789abcdef';
    const message = twilioMessage({ to: SMS.to, from: '+15005550042', messagingServiceSid: service, body: SMS.body });
    fake.messages.push(message);

    expect(await lookup(gateway({ from: undefined, messagingServiceSid: service }))).toEqual({ kind: 'found', vendorMessageId: message.sid, code: 'queued' });
    expect(Object.fromEntries(listRequests()[0]!.query)).toEqual({ To: SMS.to, PageSize: '100' });
  });

  it('follows next_page_uri to find ours behind newer texts to the same number', async () => {
    const message = ours({}, minutesAgo(0.5));
    fake.messages.push(message, ...others(150));

    expect(await lookup()).toEqual({ kind: 'found', vendorMessageId: message.sid, code: 'queued' });
    expect(listRequests()).toHaveLength(2);
    expect(listRequests()[1]!.query.get('PageToken')).toBe('PA100');
  });

  it('stops at a page entirely older than the attempt: not-found without reading the rest', async () => {
    fake.messages.push(...others(250, minutesAgo(60)));

    expect(await lookup()).toEqual({ kind: 'not-found' });
    expect(listRequests()).toHaveLength(1);
  });

  it('gives up with unknown after three pages of recent texts to the number', async () => {
    fake.messages.push(...others(400));

    expect(await lookup()).toEqual({ kind: 'unknown', detail: expect.stringContaining('more than 300 messages') });
    expect(listRequests()).toHaveLength(3);
  });

  it.each([
    ['a 500', () => twilioError(500, 20500, 'Internal Server Error')],
    ['a 429', () => twilioError(429, 20429, 'Too Many Requests')],
    ['a 200 without a messages list', () => json(200, { page: 0 })],
    ['a next page on another host', () => json(200, { messages: [], next_page_uri: 'https://evil.example/2010-04-01/x' })],
    ['a reset connection', () => ({ status: 200, reset: true })],
  ])('answers unknown, never not-found, to %s', async (_label, reply: () => FakeReply) => {
    const server = await startFakeServer(reply);
    try {
      expect(await lookup(gateway({ baseUrl: server.url }))).toMatchObject({ kind: 'unknown' });
    } finally {
      await server.close();
    }
  });

  it('answers unknown when the lookup itself times out', async () => {
    const server = await startFakeServer(() => ({ status: 200, hang: true }));
    try {
      expect(await gateway({ baseUrl: server.url }).findSent(SMS, new Date().toISOString(), AbortSignal.timeout(200))).toMatchObject({ kind: 'unknown' });
    } finally {
      await server.close();
    }
  });
});

describe('startTwilioCrashFake: the crash test’s Twilio', () => {
  it('accepts sends from the gateway its env configures, counts each as a text (Twilio does not deduplicate), and answers the lookup', async () => {
    const crash = await startTwilioCrashFake();
    try {
      const { settings, problems } = gatewaySettingsFrom(crash.env);
      expect(problems).toEqual([]);
      const g = new TwilioGateway(settings.twilio!, { statusUrl: STATUS_URL });
      const since = new Date().toISOString();

      expect(await g.findSent(SMS, since, AbortSignal.timeout(10_000))).toEqual({ kind: 'not-found' });
      const first = await g.send(SMS, AbortSignal.timeout(10_000));
      expect(first.outcome).toBe('accepted');
      expect(await g.findSent(SMS, since, AbortSignal.timeout(10_000))).toMatchObject({ kind: 'found', vendorMessageId: first.outcome === 'accepted' ? first.vendorMessageId : '' });
      expect(crash.deliveredTo(SMS.to)).toBe(1);

      await g.send(SMS, AbortSignal.timeout(10_000));
      expect(crash.deliveredTo(SMS.to)).toBe(2);
      expect(crash.deliveredTo('+14155550199')).toBe(0);
    } finally {
      await crash.close();
    }
  });
});
