import type { TwilioSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms, SendOutcome, WebhookRequest } from '../../src/sms/port';
import { TwilioGateway } from '../../src/sms/twilio';
import {
  TWILIO_ACCOUNT,
  acceptTwilioMessage,
  signedTwilioRequest,
  startFakeTwilio,
  twilioError,
  twilioInboundFields,
  twilioSignature,
  twilioStatusFields,
  type FakeTwilio,
} from '../fakes/twilio';

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
  it.each([
    [21610, 'Attempt to send to unsubscribed recipient', 'unsubscribed'],
    [21211, "Invalid 'To' Phone Number", 'invalid-number'],
    [21614, "'To' number is not a valid mobile number", 'invalid-number'],
    [21612, "The 'To' phone number is not currently reachable via SMS", 'invalid-number'],
    [21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number', 'blocked'],
    [30007, 'Message filtered', 'blocked'],
    [21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number", 'rejected'],
  ])('error %i is permanent: %s', async (code, message, reason) => {
    fake.respond(() => twilioError(400, code, message));

    const outcome = await send();

    expect(outcome).toEqual({ outcome: 'permanent', code: `twilio-${code}`, detail: expect.stringContaining(message), reason });
    expectNoCredentials(outcome);
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

describe('Twilio request signatures', () => {
  // Twilio's published example (twilio.com/docs/usage/security): auth token 12345, this
  // URL and these fields sign to RSOYDt4T1cUTdK1PDd93/VVr8B8=.
  const published = {
    url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
    fields: { CallSid: 'CA1234567890ABCDE', Caller: '+14158675309', Digits: '1234', From: '+14158675309', To: '+18005551212' },
    signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=',
  };

  it("the fake signs Twilio's published example as Twilio does", () => {
    expect(twilioSignature('12345', published.url, published.fields)).toBe(published.signature);
  });

  it("the adapter accepts Twilio's published example (then finds no MessageSid in a voice request)", () => {
    const g = new TwilioGateway({ ...TWILIO_ACCOUNT, authToken: '12345', from: '+15005550006', baseUrl: fake.url }, { statusUrl: STATUS_URL });
    const req: WebhookRequest = {
      url: published.url,
      method: 'POST',
      headers: { 'x-twilio-signature': published.signature },
      rawBody: new URLSearchParams(published.fields).toString(),
      params: { foo: '1', bar: '2', ...published.fields },
    };

    expect(g.parseReceipt(req)).toMatchObject({ ok: false, status: 400 });
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
    ['delivered', 'delivered'],
    ['read', 'delivered'],
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
    expect(gateway().parseReceipt(statusCallback('partially_delivered'))).toMatchObject({ ok: false, status: 400 });
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
