import type { InfobipSettings } from '../../src/sms/gateway-config';
import { InfobipGateway } from '../../src/sms/infobip';
import type { OutgoingSms } from '../../src/sms/port';
import { json } from '../fakes/fake-server';
import {
  INFOBIP_API_KEY,
  STATUS,
  infobipAnswer,
  infobipDeliveryReport,
  infobipError,
  infobipInbound,
  infobipReportResult,
  rejected,
  startFakeInfobip,
  type FakeInfobip,
  type InfobipStatusObject,
} from '../fakes/infobip';

const STATUS_URL = 'https://ivr.example.com/webhooks/infobip/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/infobip/inbound';
const SMS: OutgoingSms = { id: 'msg-1', to: '+16175551234', body: 'Chat with us: https://x.example/c/abc' };
const CREDENTIALS = { user: 'ib-cb-user', password: 'ib-cb-password-0001' };

let fake: FakeInfobip;

beforeAll(async () => {
  fake = await startFakeInfobip();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  fake.accepted.clear();
  fake.respond(fake.accept);
});

function gateway(overrides: Partial<InfobipSettings> = {}): InfobipGateway {
  return new InfobipGateway({ apiKey: INFOBIP_API_KEY, baseUrl: fake.url, from: 'AcmeInc', callbackUser: CREDENTIALS.user, callbackPassword: CREDENTIALS.password, ...overrides });
}

const send = (sms = SMS, g = gateway()) => g.send(sms, AbortSignal.timeout(5000));

describe('InfobipGateway.send: the request', () => {
  it('POSTs one message with the API key as "App", our id as the destination messageId', async () => {
    const outcome = await send();

    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/sms/2/text/advanced');
    expect(req.headers.authorization).toBe(`App ${INFOBIP_API_KEY}`);
    expect(JSON.parse(req.body)).toEqual({ messages: [{ from: 'AcmeInc', destinations: [{ to: '16175551234', messageId: 'msg-1' }], text: SMS.body }] });
    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: 'msg-1', code: 'infobip-PENDING_ACCEPTED' });
  });

  it('sends again safely: Infobip refuses the repeated messageId, and the first send stands', async () => {
    await send();
    const again = await send();

    expect(again).toEqual({ outcome: 'accepted', vendorMessageId: 'msg-1', code: 'infobip-REJECTED_DUPLICATE_MESSAGE_ID' });
    expect(fake.accepted.size).toBe(1);
  });
});

describe('InfobipGateway.send: status in the answer', () => {
  const answering = (status: InfobipStatusObject) => () => infobipAnswer('16175551234', 'msg-1', status);

  it.each([
    [rejected(6, 'REJECTED_NETWORK'), { outcome: 'permanent', reason: 'blocked' }],
    [rejected(8, 'REJECTED_PREFIX_MISSING'), { outcome: 'permanent', reason: 'invalid-number' }],
    [STATUS.REJECTED_DND, { outcome: 'permanent', reason: 'unsubscribed' }],
    [rejected(11, 'REJECTED_SOURCE'), { outcome: 'permanent', reason: 'rejected' }],
    [rejected(12, 'REJECTED_NOT_ENOUGH_CREDITS'), { outcome: 'retryable' }],
    [rejected(13, 'REJECTED_SENDER'), { outcome: 'permanent', reason: 'rejected' }],
    [rejected(14, 'REJECTED_DESTINATION'), { outcome: 'permanent', reason: 'blocked' }],
    [rejected(17, 'REJECTED_PREPAID_PACKAGE_EXPIRED'), { outcome: 'retryable' }],
    [rejected(18, 'REJECTED_DESTINATION_NOT_REGISTERED'), { outcome: 'permanent', reason: 'rejected' }],
    [rejected(19, 'REJECTED_ROUTE_NOT_AVAILABLE'), { outcome: 'retryable' }],
    [rejected(20, 'REJECTED_FLOODING_FILTER'), { outcome: 'permanent', reason: 'blocked' }],
    [rejected(21, 'REJECTED_SYSTEM_ERROR'), { outcome: 'retryable' }],
    [rejected(24, 'REJECTED_INVALID_UDH'), { outcome: 'permanent', reason: 'rejected' }],
    [rejected(25, 'REJECTED_MESSAGE_TOO_LONG'), { outcome: 'permanent', reason: 'rejected' }],
    [rejected(51, 'MISSING_TO'), { outcome: 'permanent', reason: 'invalid-number' }],
    [STATUS.REJECTED_INVALID_DESTINATION, { outcome: 'permanent', reason: 'invalid-number' }],
    [rejected(99, 'REJECTED_SOMETHING_NEW'), { outcome: 'permanent', reason: 'rejected' }],
    [STATUS.PENDING_ENROUTE, { outcome: 'accepted', vendorMessageId: 'msg-1' }],
  ])('%o', async (status, expected) => {
    fake.respond(answering(status));

    expect(await send()).toMatchObject({ ...expected, code: `infobip-${status.name}` });
  });

  it('an invalid number, as the fake (documented statuses) answers it', async () => {
    expect(await send({ ...SMS, to: '+1' })).toMatchObject({ outcome: 'permanent', reason: 'invalid-number', code: 'infobip-REJECTED_INVALID_DESTINATION' });
  });
});

describe('InfobipGateway.send: refused requests', () => {
  it('401 UNAUTHORIZED (a wrong key) is retryable: a fallback gateway can send it', async () => {
    expect(await send(SMS, gateway({ apiKey: 'not-the-key' }))).toMatchObject({ outcome: 'retryable', code: 'http-401', detail: expect.stringContaining('UNAUTHORIZED') });
  });

  it('400 BAD_REQUEST naming the destination is an invalid number; any other is rejected', async () => {
    fake.respond(() => infobipError(400, 'BAD_REQUEST', 'Invalid destination address'));
    expect(await send()).toMatchObject({ outcome: 'permanent', reason: 'invalid-number', code: 'http-400' });
    fake.respond(() => infobipError(400, 'BAD_REQUEST', 'Bad request'));
    expect(await send()).toMatchObject({ outcome: 'permanent', reason: 'rejected', code: 'http-400' });
  });

  it('429 TOO_MANY_REQUESTS is throttled, honouring Retry-After', async () => {
    fake.respond(() => infobipError(429, 'TOO_MANY_REQUESTS', 'Too many requests', { 'retry-after': '5' }));
    expect(await send()).toMatchObject({ outcome: 'retryable', throttled: true, retryAfterMs: 5000 });
  });

  it('500 GENERAL_ERROR and a reset connection are retryable; a 200 without a status is not taken as sent', async () => {
    fake.respond(() => infobipError(500, 'GENERAL_ERROR', 'Something went wrong'));
    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'http-500' });
    fake.respond(() => ({ status: 200, reset: true }));
    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'network' });
    fake.respond(() => json(200, { hello: 'proxy' }));
    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });
});

describe('InfobipGateway.parseReceipt', () => {
  const report = (status: InfobipStatusObject, errorId = 0, credentials: typeof CREDENTIALS | null = CREDENTIALS) =>
    infobipDeliveryReport(STATUS_URL, [infobipReportResult({ messageId: 'msg-1', status, errorId })], credentials ? { credentials } : {});

  it.each([
    [STATUS.PENDING_ACCEPTED, 0, 'queued', {}],
    [STATUS.PENDING_ENROUTE, 0, 'sent', {}],
    [STATUS.DELIVERED_TO_OPERATOR, 0, 'sent', {}],
    [STATUS.DELIVERED_TO_HANDSET, 0, 'delivered', {}],
    [STATUS.UNDELIVERABLE_NOT_DELIVERED, 27, 'undelivered', { errorCode: '27' }],
    [STATUS.EXPIRED_EXPIRED, 0, 'undelivered', {}],
    [rejected(6, 'REJECTED_NETWORK'), 0, 'failed', { errorCode: '6' }],
    [STATUS.REJECTED_DND, 0, 'failed', { errorCode: '10', optedOut: true }],
  ])('%o is %s', (status, errorId, expected, extra) => {
    expect(gateway().parseReceipt(report(status, errorId))).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'msg-1', status: expected, vendorStatus: status.name, ...extra }],
    });
  });

  it("ignores the report of a refused duplicate: it is not about the original text", () => {
    expect(gateway().parseReceipt(report(STATUS.REJECTED_DUPLICATE_MESSAGE_ID))).toEqual({ ok: true, value: [] });
  });

  it('reads every result of a report', () => {
    const req = infobipDeliveryReport(
      STATUS_URL,
      [infobipReportResult({ messageId: 'a', status: STATUS.DELIVERED_TO_HANDSET }), infobipReportResult({ messageId: 'b', status: STATUS.EXPIRED_EXPIRED })],
      { credentials: CREDENTIALS },
    );
    expect(gateway().parseReceipt(req)).toMatchObject({ ok: true, value: [{ vendorMessageId: 'a', status: 'delivered' }, { vendorMessageId: 'b', status: 'undelivered' }] });
  });

  it.each([
    ['without credentials', () => report(STATUS.DELIVERED_TO_HANDSET, 0, null)],
    ['with a wrong password', () => report(STATUS.DELIVERED_TO_HANDSET, 0, { ...CREDENTIALS, password: 'guess' })],
    ['with another user', () => report(STATUS.DELIVERED_TO_HANDSET, 0, { ...CREDENTIALS, user: 'someone' })],
  ])('refuses a report %s (401)', (_what, build) => {
    expect(gateway().parseReceipt(build())).toMatchObject({ ok: false, status: 401 });
  });

  it('trusts nothing when no callback credentials are configured (403)', () => {
    expect(gateway({ callbackUser: undefined, callbackPassword: undefined }).parseReceipt(report(STATUS.DELIVERED_TO_HANDSET))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a body without results or a result without a status (400)', () => {
    const bad = { ...report(STATUS.DELIVERED_TO_HANDSET), rawBody: JSON.stringify({ results: [{ messageId: 'x' }] }) };
    expect(gateway().parseReceipt(bad)).toMatchObject({ ok: false, status: 400 });
    expect(gateway().parseReceipt({ ...bad, rawBody: '{"hello":1}' })).toMatchObject({ ok: false, status: 400 });
  });
});

describe('InfobipGateway.parseInbound', () => {
  it('reads an inbound text: numbers in E.164, the id and Infobip\'s time kept for replays', () => {
    const req = infobipInbound(INBOUND_URL, { from: '16175551234', to: '14155550142', text: 'STOP', messageId: 'mo-1', receivedAt: '2019-11-09T16:00:00.000+0000' }, { credentials: CREDENTIALS });

    expect(gateway().parseInbound(req)).toEqual({
      ok: true,
      value: { from: '+16175551234', to: '+14155550142', text: 'STOP', vendorMessageId: 'mo-1', sentAt: '2019-11-09T16:00:00.000Z' },
    });
  });

  it('keeps the STOP of a push that groups several texts', () => {
    const one = infobipInbound(INBOUND_URL, { from: '16175551234', to: '14155550142', text: 'hello' }, { credentials: CREDENTIALS });
    const two = infobipInbound(INBOUND_URL, { from: '16175551234', to: '14155550142', text: 'stop' }, { credentials: CREDENTIALS });
    const both = JSON.stringify({ results: [...(JSON.parse(one.rawBody).results as unknown[]), ...(JSON.parse(two.rawBody).results as unknown[])] });

    expect(gateway().parseInbound({ ...one, rawBody: both })).toMatchObject({ ok: true, value: { text: 'stop' } });
  });

  it('refuses a forged inbound STOP (401)', () => {
    const req = infobipInbound(INBOUND_URL, { from: '16175551234', to: '14155550142', text: 'STOP' }, { credentials: { ...CREDENTIALS, password: 'guess' } });
    expect(gateway().parseInbound(req)).toMatchObject({ ok: false, status: 401 });
  });
});
