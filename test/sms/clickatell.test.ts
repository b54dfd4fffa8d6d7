import { ClickatellGateway } from '../../src/sms/clickatell';
import type { ClickatellSettings } from '../../src/sms/gateway-config';
import type { OutgoingSms } from '../../src/sms/port';
import {
  bodyOf,
  CLICKATELL_PATH,
  clickatellAccepted,
  clickatellCallback,
  clickatellDocumentedError,
  clickatellGlobalError,
  clickatellRefused,
  clickatellReplyCallback,
  clickatellStatusCallback,
  ONE_API_ERRORS,
  ONE_API_STATUSES,
  startClickatellCrashFake,
  startFakeClickatell,
  type FakeClickatell,
} from '../fakes/clickatell';
import { json } from '../fakes/fake-server';

/**
 * The adapter against a fake One API that answers as Clickatell documents (see
 * test/fakes/clickatell.ts for the pages). The expected readings below are ours: what each
 * documented answer means for the caller's text.
 */

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

describe('ClickatellGateway request (One API)', () => {
  it('is named clickatell', () => {
    expect(gateway.name).toBe('clickatell');
  });

  it('POSTs one sms message to /v1/message with the bare API key as Authorization', async () => {
    await expect(send()).resolves.toMatchObject({ outcome: 'accepted' });
    expect(clickatell.requests).toHaveLength(1);
    const [req] = clickatell.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(CLICKATELL_PATH);
    expect(req.headers.authorization).toBe(API_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(bodyOf(req)).toEqual({
      messages: [{ channel: 'sms', to: '16175551234', content: sms.body, from: '14155550100', clientMessageId: 'msg_abc123' }],
    });
  });

  it('keeps the API key out of the URL and the body', async () => {
    await send();
    const [req] = clickatell.requests;
    expect(req.query.toString()).toBe('');
    expect(req.body).not.toContain(API_KEY);
  });

  it('leaves from out when no sender is configured (Clickatell picks one)', async () => {
    await send(new ClickatellGateway(settings({ from: undefined })));
    expect((bodyOf(clickatell.requests[0])?.messages as unknown[])[0]).not.toHaveProperty('from');
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

  it('reads the fake’s own refusal of a wrong API key (401, error 1) as retryable', async () => {
    await expect(send(new ClickatellGateway(settings({ apiKey: 'wrong-key' })))).resolves.toMatchObject({
      outcome: 'retryable',
      code: 'clickatell-1',
      detail: expect.stringContaining('Invalid or missing integration API Key'),
    });
  });

  // Every code of the One API errors table, and what it means for the caller's text.
  const retry = { outcome: 'retryable' };
  const permanent = (reason: string) => ({ outcome: 'permanent', reason });
  const expectedByCode: Record<number, Record<string, unknown>> = {
    1: retry, // our API key: a fallback gateway can send it
    2: retry,
    3: retry,
    7: retry,
    18: { outcome: 'retryable', code: 'http-500' },
    19: { outcome: 'retryable', code: 'http-503' },
    20: retry, // out of balance
    21: permanent('rejected'),
    22: permanent('rejected'),
    23: permanent('rejected'),
    24: permanent('rejected'),
    25: permanent('invalid-number'),
    26: permanent('unsubscribed'),
    27: permanent('invalid-number'),
    28: retry,
    30: permanent('rejected'),
    31: permanent('rejected'),
    32: permanent('rejected'),
    33: permanent('rejected'),
    38: retry,
    39: retry,
    40: permanent('rejected'),
    41: permanent('rejected'),
    42: permanent('rejected'),
    43: { outcome: 'retryable', throttled: true },
    44: retry,
    45: retry,
    46: retry,
    100: permanent('rejected'),
    101: permanent('blocked'),
    110: retry,
    111: retry,
  };

  it('has an expectation for every documented error and no other', () => {
    expect(Object.keys(expectedByCode).map(Number).sort((a, b) => a - b)).toEqual(ONE_API_ERRORS.map((e) => e.code).sort((a, b) => a - b));
  });

  it.each(ONE_API_ERRORS.map((e) => [e.code, e.status, e.level, e.description] as const))(
    'reads error %i (HTTP %i, %s level: %s)',
    async (code, status, _level, description) => {
      clickatell.respond(() => clickatellDocumentedError(code));
      const outcome = await send();
      expect(outcome).toMatchObject(expectedByCode[code]);
      // The vendor's number is kept on the message (5xx are read by their status).
      if (status < 500) expect(outcome).toMatchObject({ code: `clickatell-${code}`, detail: expect.stringContaining(description) });
    },
  );

  it('reads the same error at the other level the same way (message-level 25, global-level 26)', async () => {
    clickatell.respond(() => clickatellGlobalError(400, 25, 'Invalid recipient address: 16175551234'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'invalid-number', code: 'clickatell-25' });
    clickatell.respond(() => clickatellRefused('16175551234', 26, 'Recipient opted out'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'unsubscribed', code: 'clickatell-26' });
  });

  it('reads an error code written as a string', async () => {
    clickatell.respond(() => clickatellRefused('16175551234', '25' as unknown as number, 'Invalid recipient address'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'invalid-number', code: 'clickatell-25' });
  });

  it('reads the rate limit with a Retry-After as throttled for that long', async () => {
    clickatell.respond(() => clickatellDocumentedError(43, undefined, { 'retry-after': '3' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'clickatell-43', throttled: true, retryAfterMs: 3000 });
  });

  it('refuses an error code the table does not list, as sent', async () => {
    clickatell.respond(() => clickatellRefused('16175551234', 999, 'Something new'));
    await expect(send()).resolves.toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'clickatell-999' });
  });

  it('reads a 207 whose only message was accepted as accepted', async () => {
    clickatell.respond(() => ({ ...clickatellAccepted('16175551234', 'id207'), status: 207 }));
    await expect(send()).resolves.toEqual({ outcome: 'accepted', vendorMessageId: 'id207' });
  });

  it.each([
    [500, { outcome: 'retryable', code: 'http-500' }],
    [503, { outcome: 'retryable', code: 'http-503' }],
    [401, { outcome: 'retryable', code: 'http-401' }],
    [404, { outcome: 'permanent', code: 'http-404', reason: 'rejected' }],
  ])('reads HTTP %s without an error body by its status', async (status, expected) => {
    clickatell.respond(() => ({ status, body: 'upstream trouble' }));
    await expect(send()).resolves.toMatchObject(expected);
  });

  it('reads HTTP 429 as throttled, with its Retry-After', async () => {
    clickatell.respond(() => json(429, { messages: [], error: null }, { 'retry-after': '2' }));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-429', throttled: true, retryAfterMs: 2000 });
  });

  it('reads a 5xx by its status even when it carries a permanent-looking error', async () => {
    clickatell.respond(() => clickatellGlobalError(503, 25, 'Invalid recipient address'));
    await expect(send()).resolves.toMatchObject({ outcome: 'retryable', code: 'http-503' });
  });

  it.each([
    ['a body that is not JSON', { status: 202, headers: { 'content-type': 'text/html' }, body: '<html>portal</html>' }],
    ['no messages', json(202, { error: null })],
    ['accepted without an apiMessageId', json(202, { messages: [{ accepted: true, to: '16175551234', error: null }], error: null })],
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
  const authenticated = (fields: Record<string, unknown> | Record<string, unknown>[] = {}) =>
    clickatellStatusCallback(fields, { credentials: callbackCredentials });

  it('reads an authenticated status callback (the nested event.messageStatusUpdate)', () => {
    expect(gateway.parseReceipt(authenticated())).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80', status: 'delivered', vendorStatus: 'DEVICE_ACK' }],
    });
  });

  // Every code of the One API message status table, and what it means for the text.
  const expectedStatus: Record<number, string> = {
    1: 'queued',
    2: 'queued',
    3: 'queued',
    4: 'sent',
    5: 'delivered',
    6: 'delivered',
    20: 'undelivered',
    21: 'failed',
    22: 'failed',
    23: 'undelivered',
    24: 'failed',
    25: 'failed',
    26: 'failed',
    27: 'failed',
    28: 'failed',
    29: 'undelivered',
    60: 'failed',
    61: 'failed',
    80: 'failed',
    81: 'failed',
    82: 'failed',
    83: 'failed',
    84: 'failed',
    85: 'failed',
    100: 'failed',
  };

  it('has an expectation for every documented status and no other', () => {
    expect(Object.keys(expectedStatus).map(Number)).toEqual(ONE_API_STATUSES.map((s) => s.code));
  });

  it.each(ONE_API_STATUSES.map((s) => [s.code, s.status] as const))('maps status %i (%s)', (statusCode, status) => {
    const expected = expectedStatus[statusCode];
    const failed = expected === 'failed' || expected === 'undelivered';
    expect(gateway.parseReceipt(authenticated({ statusCode, status }))).toEqual({
      ok: true,
      value: [
        {
          vendorMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80',
          status: expected,
          vendorStatus: status,
          ...(failed ? { errorCode: String(statusCode) } : {}),
        },
      ],
    });
  });

  it('reads STOP_MARKETING_MESSAGES as the recipient opting out', () => {
    expect(gateway.parseReceipt(authenticated({ statusCode: 135, status: 'STOP_MARKETING_MESSAGES' }))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80', status: 'failed', vendorStatus: 'STOP_MARKETING_MESSAGES', errorCode: '135', optedOut: true }],
    });
  });

  it('reads an error status it does not know (20 and up) as failed, and skips an unknown progress code', () => {
    expect(gateway.parseReceipt(authenticated({ statusCode: 150, status: 'SOMETHING_NEW' }))).toMatchObject({
      ok: true,
      value: [{ status: 'failed', errorCode: '150' }],
    });
    expect(gateway.parseReceipt(authenticated({ statusCode: 7, status: 'NEW_PROGRESS' }))).toEqual({ ok: true, value: [] });
  });

  it('reads every entry of a batch', () => {
    const callback = authenticated([
      { messageId: 'a1', statusCode: 4, status: 'SENT_TO_SUPPLIER' },
      { messageId: 'b2', statusCode: 23, status: 'DELIVERY_FAILURE' },
    ]);
    expect(gateway.parseReceipt(callback)).toEqual({
      ok: true,
      value: [
        { vendorMessageId: 'a1', status: 'sent', vendorStatus: 'SENT_TO_SUPPLIER' },
        { vendorMessageId: 'b2', status: 'undelivered', vendorStatus: 'DELIVERY_FAILURE', errorCode: '23' },
      ],
    });
  });

  it('acknowledges another kind of event with no receipts, so Clickatell does not retry it', () => {
    const other = clickatellCallback(
      { integrationId: 'x', event: { moText: [{ from: '1', to: '2', content: 'hi' }] } },
      { credentials: callbackCredentials, url: 'https://t.example.test/webhooks/clickatell/status' },
    );
    expect(gateway.parseReceipt(other)).toEqual({ ok: true, value: [] });
  });

  it.each([
    ['no event', { integrationId: 'x' }],
    ['the old flat shape', { messageId: 'f1a2', statusCode: 4, status: 'SENT_TO_SUPPLIER' }],
    ['an entry without messageId', { event: { messageStatusUpdate: [{ statusCode: 5 }] } }],
    ['an entry without a numeric statusCode', { event: { messageStatusUpdate: [{ messageId: 'a', status: 'DEVICE_ACK' }] } }],
    ['messageStatusUpdate that is not a list', { event: { messageStatusUpdate: { messageId: 'a', statusCode: 5 } } }],
  ])('answers 400 to an authenticated callback with %s', (_what, body) => {
    const callback = clickatellCallback(body, { credentials: callbackCredentials, url: 'https://t.example.test/webhooks/clickatell/status' });
    expect(gateway.parseReceipt(callback)).toMatchObject({ ok: false, status: 400 });
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
    ['the password with one more character', { user: callbackCredentials.user, password: `${callbackCredentials.password}x` }],
  ])('refuses (401) a forged callback with %s', (_what, credentials) => {
    expect(gateway.parseReceipt(clickatellStatusCallback({}, { credentials }))).toEqual({
      ok: false,
      status: 401,
      error: 'HTTP Basic credentials are missing or wrong',
    });
  });

  it('refuses (401) a Bearer or malformed Authorization header', () => {
    const callback = authenticated();
    for (const authorization of [`Bearer ${callbackCredentials.password}`, API_KEY, 'Basic', 'Basic !!!']) {
      expect(gateway.parseReceipt({ ...callback, headers: { ...callback.headers, authorization } })).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('checks the credentials before reading the body: a forged callback with a broken body is 401, not 400', () => {
    const forged = clickatellCallback({ event: 'not an object' }, { url: 'https://t.example.test/webhooks/clickatell/status' });
    expect(gateway.parseReceipt(forged)).toMatchObject({ ok: false, status: 401 });
  });

  it.each([
    ['neither is set', { callbackUser: undefined, callbackPassword: undefined }],
    ['only the user is set', { callbackPassword: undefined }],
  ])('refuses every callback with 403 when %s', (_what, overrides) => {
    const g = new ClickatellGateway(settings(overrides));
    expect(g.parseReceipt(authenticated())).toEqual({ ok: false, status: 403, error: 'CLICKATELL_CALLBACK_USER/PASSWORD are not set' });
    expect(g.parseInbound(clickatellReplyCallback({}, { credentials: callbackCredentials }))).toMatchObject({ ok: false, status: 403 });
  });
});

describe('ClickatellGateway reply callbacks', () => {
  it('reads an authenticated reply (the nested event.moText)', () => {
    expect(gateway.parseInbound(clickatellReplyCallback({}, { credentials: callbackCredentials }))).toEqual({
      ok: true,
      value: {
        from: '+16175551234',
        to: '+14155550100',
        text: 'STOP',
        vendorMessageId: '3a89680503414383af44dcd0e4e5f184',
        sentAt: new Date(1700000000000).toISOString(),
      },
    });
  });

  it('acknowledges a media reply as an empty text (nothing to act on, nothing retried)', () => {
    const media = clickatellCallback(
      { integrationId: 'x', event: { moMedia: [{ channel: 'sms', messageId: 'm1', from: '16175551234', to: '14155550100', timestamp: 1700000000000 }] } },
      { credentials: callbackCredentials, url: 'https://t.example.test/webhooks/clickatell/inbound' },
    );
    expect(gateway.parseInbound(media)).toMatchObject({ ok: true, value: { from: '+16175551234', text: '', vendorMessageId: 'm1' } });
  });

  it('refuses a reply with wrong or no credentials', () => {
    const wrong = { user: callbackCredentials.user, password: 'nope' };
    expect(gateway.parseInbound(clickatellReplyCallback({}, { credentials: wrong }))).toMatchObject({ ok: false, status: 401 });
    expect(gateway.parseInbound(clickatellReplyCallback({}))).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 400 to an authenticated callback that is not a reply', () => {
    expect(gateway.parseInbound(clickatellStatusCallback({}, { credentials: callbackCredentials }))).toMatchObject({ ok: false, status: 400 });
  });

  it('answers 400 to a reply without content', () => {
    expect(gateway.parseInbound(clickatellReplyCallback({ content: undefined }, { credentials: callbackCredentials }))).toMatchObject({
      ok: false,
      status: 400,
    });
  });
});

describe('startClickatellCrashFake', () => {
  it('accepts every send and counts a resent message as a second delivery (Clickatell deduplicates nothing)', async () => {
    const fake = await startClickatellCrashFake();
    try {
      const g = new ClickatellGateway({ apiKey: fake.env.CLICKATELL_API_KEY, baseUrl: fake.env.CLICKATELL_BASE_URL });
      await expect(g.send(sms, AbortSignal.timeout(5000))).resolves.toMatchObject({ outcome: 'accepted' });
      await expect(g.send(sms, AbortSignal.timeout(5000))).resolves.toMatchObject({ outcome: 'accepted' });
      expect(fake.deliveredTo('+16175551234')).toBe(2);
      expect(fake.deliveredTo('+16175550000')).toBe(0);
      // A send without the key is refused, and delivers nothing.
      await expect(new ClickatellGateway({ apiKey: 'wrong', baseUrl: fake.url }).send(sms, AbortSignal.timeout(5000))).resolves.toMatchObject({
        outcome: 'retryable',
      });
      expect(fake.deliveredTo('+16175551234')).toBe(2);
    } finally {
      await fake.close();
    }
  });
});
