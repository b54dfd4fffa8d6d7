import { AmazonGateway } from '../../src/sms/amazon';
import type { AmazonSettings } from '../../src/sms/gateway-config';
import { gatewaySettingsFrom } from '../../src/sms/gateway-config';
import type { OutgoingSms, SmsGateway, WebhookRequest } from '../../src/sms/port';
import {
  AMAZON_ACCOUNT,
  INBOUND_TOPIC,
  OTHER_KEY,
  SEND_TEXT_TARGET,
  SNS_CERT_PATH,
  SNS_REGION,
  STATUS_TOPIC,
  acceptSendTextMessage,
  amazonAccepted,
  amazonError,
  signedSnsBody,
  smsEvent,
  snsNotification,
  snsRequest,
  snsSubscriptionConfirmation,
  startAmazonCrashFake,
  startFakeAmazonSms,
  startFakeSns,
  twoWayPayload,
  validationError,
  type FakeAmazonSms,
  type FakeSns,
} from '../fakes/amazon';

/**
 * The Amazon adapter against fakes built from AWS's documentation (see test/fakes/amazon.ts
 * for the pages): the SDK's SigV4 signature checked by the aws4 package, every error
 * SendTextMessage documents, every SMS event type, both SNS signature versions, and
 * forged, tampered, stale, replayed and foreign-topic SNS messages refused.
 */

const STATUS_URL = 'https://ivr.example.com/webhooks/amazon/status';
const INBOUND_URL = 'https://ivr.example.com/webhooks/amazon/inbound';
const SMS: OutgoingSms = { id: 'msg-1', to: '+14255550156', body: 'Chat with us: https://x.example/c/abc' };
const SENDER = '+12065550152';

let fake: FakeAmazonSms;
let sns: FakeSns;

beforeAll(async () => {
  [fake, sns] = await Promise.all([startFakeAmazonSms(), startFakeSns()]);
});
afterAll(() => Promise.all([fake.close(), sns.close()]));
beforeEach(() => {
  fake.requests.length = 0;
  fake.signed.length = 0;
  sns.requests.length = 0;
  sns.confirmed.length = 0;
  fake.respond(acceptSendTextMessage);
});

function settings(overrides: Partial<AmazonSettings> = {}): AmazonSettings {
  return {
    region: AMAZON_ACCOUNT.region,
    originationIdentity: SENDER,
    configurationSet: 'ivr-deflect',
    accessKeyId: AMAZON_ACCOUNT.accessKeyId,
    secretAccessKey: AMAZON_ACCOUNT.secretAccessKey,
    endpoint: fake.url,
    snsTopicArns: [STATUS_TOPIC, INBOUND_TOPIC],
    snsBaseUrl: sns.url,
    ...overrides,
  };
}

function gateway(overrides: Partial<AmazonSettings> = {}, now?: () => Date): AmazonGateway {
  return new AmazonGateway(settings(overrides), now);
}

describe('AmazonGateway.send: the request', () => {
  it('sends SendTextMessage through the SDK, SigV4-signed (checked by aws4), in the JSON 1.0 protocol', async () => {
    const outcome = await gateway().send(SMS, AbortSignal.timeout(10_000));

    expect(outcome).toEqual({ outcome: 'accepted', vendorMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(fake.signed).toHaveLength(1);
    const { req, input } = fake.signed[0]!;
    expect(req.headers['x-amz-target']).toBe(SEND_TEXT_TARGET);
    expect(req.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${AMAZON_ACCOUNT.accessKeyId}/\\d{8}/us-east-1/sms-voice/aws4_request`));
    expect(input).toEqual({
      DestinationPhoneNumber: SMS.to,
      OriginationIdentity: SENDER,
      MessageBody: SMS.body,
      MessageType: 'TRANSACTIONAL',
      ConfigurationSetName: 'ivr-deflect',
      Context: { messageId: SMS.id },
    });
  });

  it('signs a body outside ASCII correctly (the signature covers the UTF-8 bytes)', async () => {
    expect(await gateway().send({ ...SMS, body: 'Merci “à” vous 😀' }, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'accepted' });
    expect(fake.signed[0]!.input.MessageBody).toBe('Merci “à” vous 😀');
  });

  it('sends once per attempt: the SDK does not retry behind the outbox', async () => {
    fake.respond(() => amazonError(500, 'InternalServerException', 'internal error'));

    await gateway().send(SMS, AbortSignal.timeout(10_000));

    expect(fake.requests).toHaveLength(1);
  });

  it('has no resend safety: SendTextMessage takes no client token and has no lookup', () => {
    const g = gateway();
    expect((g as SmsGateway).resendSafety).toBeUndefined();
    expect((g as { findSent?: unknown }).findSent).toBeUndefined();
  });
});

describe('AmazonGateway.send: what AWS answers', () => {
  const send = () => gateway().send(SMS, AbortSignal.timeout(10_000));

  // The errors SendTextMessage documents, with the reasons the service's model lists:
  // https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_SendTextMessage.html#API_SendTextMessage_Errors
  it.each([
    ['ConflictException', 'DESTINATION_PHONE_NUMBER_OPTED_OUT', 'unsubscribed'],
    ['ConflictException', 'DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE', 'blocked'],
    ['ConflictException', 'DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION', 'blocked'],
    ['ConflictException', 'DESTINATION_PHONE_NUMBER_NOT_VERIFIED', 'blocked'],
    ['ConflictException', 'RESOURCE_NOT_ACTIVE', 'rejected'],
    ['ValidationException', 'DESTINATION_COUNTRY_BLOCKED', 'blocked'],
    ['ValidationException', 'COUNTRY_CODE_MISMATCH', 'invalid-number'],
    ['ValidationException', 'SENDER_ID_NOT_REGISTERED', 'rejected'],
    ['ValidationException', 'INVALID_PARAMETER', 'rejected'],
  ])('reads %s (%s) as permanent: %s', async (name, reason, expected) => {
    fake.respond(() => amazonError(400, name, 'refused', { Reason: reason }));

    expect(await send()).toEqual({
      outcome: 'permanent',
      code: `amazon-${name}/${reason}`,
      detail: `Amazon answered 400: ${name} (${reason}): refused`,
      reason: expected,
    });
  });

  it('reads a ValidationException naming DestinationPhoneNumber as an invalid number', async () => {
    const outcome = await gateway().send({ ...SMS, to: '4255550156' }, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'permanent', code: 'amazon-ValidationException/FIELD_VALIDATION_FAILED', reason: 'invalid-number' });
  });

  it('reads a ValidationException naming another field as rejected', async () => {
    fake.respond(() => validationError('OriginationIdentity', 'is not a number of this account'));

    expect(await send()).toMatchObject({ outcome: 'permanent', reason: 'rejected' });
  });

  it('reads ThrottlingException as throttled', async () => {
    fake.respond(() => amazonError(400, 'ThrottlingException', 'Rate exceeded'));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'amazon-ThrottlingException', detail: expect.stringContaining('Rate exceeded'), throttled: true });
  });

  it.each([
    ['AccessDeniedException', 403, { Reason: 'ACCOUNT_DISABLED' }],
    ['AccessDeniedException', 403, { Reason: 'INSUFFICIENT_ACCOUNT_REPUTATION' }],
    ['ResourceNotFoundException', 400, { ResourceType: 'configuration-set', ResourceId: 'ivr-deflect' }],
    ['ServiceQuotaExceededException', 400, { Reason: 'MONTHLY_SPEND_LIMIT_REACHED_FOR_TEXT' }],
    ['InternalServerException', 500, { RequestId: 'r-1' }],
  ])('reads %s (our account or AWS, not this text) as retryable, not throttled', async (name, status, members) => {
    fake.respond(() => amazonError(status, name, 'no', members));

    const outcome = await send();
    expect(outcome).toMatchObject({ outcome: 'retryable', code: expect.stringMatching(new RegExp(`^amazon-${name}`)) });
    expect(outcome).not.toHaveProperty('throttled');
  });

  it('reads wrong credentials (InvalidSignatureException from the signature check) as retryable, without echoing them', async () => {
    const outcome = await gateway({ secretAccessKey: 'not-the-secret-key' }).send(SMS, AbortSignal.timeout(10_000));

    expect(outcome).toMatchObject({ outcome: 'retryable', code: 'amazon-InvalidSignatureException' });
    expect(JSON.stringify(outcome)).not.toContain('not-the-secret-key');
  });

  it('reads an unknown access key (UnrecognizedClientException) as retryable', async () => {
    expect(await gateway({ accessKeyId: 'AKIANOTOURSXXXXXXXXX' }).send(SMS, AbortSignal.timeout(10_000))).toMatchObject({
      outcome: 'retryable',
      code: 'amazon-UnrecognizedClientException',
    });
  });

  it('reads an HTML 502 from a proxy as retryable, quoting it', async () => {
    fake.respond(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>502 Bad Gateway</h1>' }));

    expect(await send()).toEqual({ outcome: 'retryable', code: 'http-502', detail: 'Amazon answered 502: <h1>502 Bad Gateway</h1>' });
  });

  it('reads a 200 that is not the service answer as retryable', async () => {
    fake.respond(() => ({ status: 200, headers: { 'content-type': 'text/html' }, body: '<html>captive portal</html>' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('reads a 200 without MessageId as retryable', async () => {
    fake.respond(() => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'malformed-reply' });
  });

  it('gives up when the attempt times out', async () => {
    fake.respond(() => ({ status: 200, hang: true }));

    expect(await gateway().send(SMS, AbortSignal.timeout(300))).toMatchObject({ outcome: 'retryable', code: 'timeout' });
  });

  it('reads a reset connection as retryable', async () => {
    fake.respond(() => ({ status: 200, reset: true }));

    expect(await send()).toMatchObject({ outcome: 'retryable', code: 'network' });
  });
});

// --- SNS -------------------------------------------------------------------------------

function receipt(eventType: string, options: Parameters<typeof snsNotification>[3] = {}): WebhookRequest {
  return snsNotification(STATUS_URL, STATUS_TOPIC, smsEvent({ messageId: 'msg-aws-1', eventType }), options);
}

/** The body with one field changed after signing. */
function tampered(req: WebhookRequest, change: (body: Record<string, string>) => void): WebhookRequest {
  const body = JSON.parse(req.rawBody) as Record<string, string>;
  change(body);
  return { ...req, rawBody: JSON.stringify(body) };
}

describe('AmazonGateway.parseReceipt: SMS events', () => {
  // https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html
  it.each([
    ['TEXT_QUEUED', 'queued'],
    ['TEXT_PENDING', 'queued'],
    ['TEXT_SUCCESSFUL', 'sent'],
    ['TEXT_DELIVERED', 'delivered'],
    ['TEXT_BLOCKED', 'undelivered'],
    ['TEXT_TTL_EXPIRED', 'undelivered'],
    ['TEXT_CARRIER_UNREACHABLE', 'undelivered'],
    ['TEXT_UNREACHABLE', 'undelivered'],
    ['TEXT_CARRIER_BLOCKED', 'undelivered'],
    ['TEXT_SPAM', 'undelivered'],
    ['TEXT_UNKNOWN', 'undelivered'],
    ['TEXT_INVALID', 'failed'],
    ['TEXT_INVALID_MESSAGE', 'failed'],
    ['TEXT_PROTECT_BLOCKED', 'failed'],
  ])('maps %s to %s', async (eventType, status) => {
    const verdict = await gateway().parseReceipt(receipt(eventType));

    const failed = status === 'undelivered' || status === 'failed';
    expect(verdict).toEqual({
      ok: true,
      value: [{ vendorMessageId: 'msg-aws-1', status, vendorStatus: eventType, ...(failed ? { errorCode: eventType.replace(/^TEXT_/, '') } : {}) }],
    });
  });

  it('passes over voice and media events on the same topic', async () => {
    const req = snsNotification(STATUS_URL, STATUS_TOPIC, JSON.stringify({ eventType: 'VOICE_COMPLETED', messageId: 'v-1' }));

    expect(await gateway().parseReceipt(req)).toEqual({ ok: true, value: [] });
  });

  it('refuses an unknown TEXT_ event type (400)', async () => {
    expect(await gateway().parseReceipt(receipt('TEXT_TELEPORTED'))).toMatchObject({ ok: false, status: 400 });
  });

  it('refuses a notification whose Message is not an event record (400)', async () => {
    expect(await gateway().parseReceipt(snsNotification(STATUS_URL, STATUS_TOPIC, 'hello'))).toMatchObject({ ok: false, status: 400 });
  });
});

describe('SNS signatures', () => {
  it.each(['1', '2'] as const)('accepts SignatureVersion %s (SHA1withRSA / SHA256withRSA over the documented string)', async (version) => {
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { version }))).toMatchObject({ ok: true, value: [{ status: 'delivered' }] });
  });

  it('accepts a notification with a Subject (signed between MessageId and Timestamp)', async () => {
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { subject: 'SMS event' }))).toMatchObject({ ok: true });
  });

  it('fetches the signing certificate once, from the SNS URL path, and keeps it', async () => {
    const g = gateway();
    await g.parseReceipt(receipt('TEXT_QUEUED'));
    await g.parseReceipt(receipt('TEXT_DELIVERED'));

    expect(sns.requests.map((r) => r.path)).toEqual([SNS_CERT_PATH]);
  });

  it('refuses a message signed with another key (forged), 403', async () => {
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { key: OTHER_KEY }))).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['Message', (b: Record<string, string>) => (b.Message = b.Message!.replace('TEXT_UNREACHABLE', 'TEXT_DELIVERED'))],
    ['MessageId', (b: Record<string, string>) => (b.MessageId = 'another-id')],
    ['Timestamp', (b: Record<string, string>) => (b.Timestamp = new Date(Date.parse(b.Timestamp!) + 1000).toISOString())],
    ['Type', (b: Record<string, string>) => (b.Type = 'UnsubscribeConfirmation')],
    ['SignatureVersion', (b: Record<string, string>) => (b.SignatureVersion = '1')],
  ])('refuses a message whose %s was changed after signing (tampered), 403', async (_field, change) => {
    const req = snsNotification(STATUS_URL, STATUS_TOPIC, smsEvent({ messageId: 'm', eventType: 'TEXT_UNREACHABLE' }));
    const verdict = await gateway().parseReceipt(tampered(req, change));

    expect(verdict.ok).toBe(false);
    expect(verdict).toMatchObject({ status: expect.any(Number) });
    expect([400, 403]).toContain((verdict as { status: number }).status);
  });

  it('refuses a message older than an hour (stale), without fetching anything', async () => {
    const at = new Date(Date.now() - 61 * 60 * 1000);
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { at }))).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('stale') });
    expect(sns.requests).toHaveLength(0);
  });

  it('refuses a message dated well ahead of our clock', async () => {
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { at: new Date(Date.now() + 10 * 60 * 1000) }))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses the same MessageId a second time (replay)', async () => {
    const g = gateway();
    const req = receipt('TEXT_DELIVERED');

    expect(await g.parseReceipt(req)).toMatchObject({ ok: true });
    expect(await g.parseReceipt(req)).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('replay') });
  });

  it('refuses a message from a topic that is not configured, without fetching its certificate', async () => {
    const req = snsNotification(STATUS_URL, 'arn:aws:sns:us-east-1:999999999999:someone-else', smsEvent({ messageId: 'm', eventType: 'TEXT_DELIVERED' }));

    expect(await gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 403 });
    expect(sns.requests).toHaveLength(0);
  });

  it('refuses every SNS message when no topic is configured', async () => {
    expect(await gateway({ snsTopicArns: [] }).parseReceipt(receipt('TEXT_DELIVERED'))).toMatchObject({ ok: false, status: 403 });
  });

  it.each([
    ['another host', 'https://evil.example.com/SimpleNotificationService-1.pem'],
    ['a look-alike host', 'https://sns.us-east-1.amazonaws.com.evil.example/cert.pem'],
    ['plain http', `http://sns.${SNS_REGION}.amazonaws.com${SNS_CERT_PATH}`],
    ['a port', `https://sns.${SNS_REGION}.amazonaws.com:8443${SNS_CERT_PATH}`],
    ['a user', `https://x@sns.${SNS_REGION}.amazonaws.com${SNS_CERT_PATH}`],
    ['not a .pem', `https://sns.${SNS_REGION}.amazonaws.com/cert.txt`],
  ])('refuses a SigningCertURL with %s, fetching nothing', async (_label, certUrl) => {
    expect(await gateway().parseReceipt(receipt('TEXT_DELIVERED', { certUrl }))).toMatchObject({ ok: false, status: 403 });
    expect(sns.requests).toHaveLength(0);
  });

  it('refuses a signature made for an unknown SignatureVersion', async () => {
    const req = tampered(receipt('TEXT_DELIVERED'), (b) => (b.SignatureVersion = '3'));
    expect(await gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses when the signing certificate cannot be fetched', async () => {
    const req = receipt('TEXT_DELIVERED', { certUrl: `https://sns.${SNS_REGION}.amazonaws.com/SimpleNotificationService-missing.pem` });
    expect(await gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('certificate') });
  });

  it('refuses once the signing certificate has expired', async () => {
    const in2200 = new Date('2200-01-01T00:00:00Z');
    const req = receipt('TEXT_DELIVERED', { at: in2200 });
    expect(await gateway({}, () => in2200).parseReceipt(req)).toMatchObject({ ok: false, status: 403, error: expect.stringContaining('not valid now') });
  });

  it('refuses a body that is not an SNS message (400)', async () => {
    const req = snsRequest(STATUS_URL, { Type: 'Notification', Message: 'x' });
    expect(await gateway().parseReceipt(req)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('SNS subscription confirmation', () => {
  it('confirms a signed SubscriptionConfirmation for a configured topic by visiting its SubscribeURL', async () => {
    const verdict = await gateway().parseReceipt(snsSubscriptionConfirmation(STATUS_URL, STATUS_TOPIC));

    expect(verdict).toEqual({ ok: true, value: [] });
    expect(sns.confirmed).toEqual([STATUS_TOPIC]);
  });

  it('confirms on the inbound endpoint too (a handshake, no text)', async () => {
    expect(await gateway().parseInbound(snsSubscriptionConfirmation(INBOUND_URL, INBOUND_TOPIC))).toEqual({ ok: true, value: undefined });
    expect(sns.confirmed).toEqual([INBOUND_TOPIC]);
  });

  it('does not confirm a subscription to a topic that is not configured', async () => {
    const other = 'arn:aws:sns:us-east-1:999999999999:someone-else';
    expect(await gateway().parseReceipt(snsSubscriptionConfirmation(STATUS_URL, other))).toMatchObject({ ok: false, status: 403 });
    expect(sns.requests).toHaveLength(0);
  });

  it('does not confirm a forged SubscriptionConfirmation', async () => {
    expect(await gateway().parseReceipt(snsSubscriptionConfirmation(STATUS_URL, STATUS_TOPIC, { key: OTHER_KEY }))).toMatchObject({ ok: false, status: 403 });
    expect(sns.confirmed).toEqual([]);
  });

  it.each([
    ['a host that is not SNS', 'https://evil.example.com/?Action=ConfirmSubscription&TopicArn=' + encodeURIComponent(STATUS_TOPIC)],
    ['another action', `https://sns.${SNS_REGION}.amazonaws.com/?Action=Publish&TopicArn=${encodeURIComponent(STATUS_TOPIC)}`],
    ['another topic', `https://sns.${SNS_REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A1%3Ax`],
  ])('does not visit a signed SubscribeURL with %s', async (_label, subscribeUrl) => {
    expect(await gateway().parseReceipt(snsSubscriptionConfirmation(STATUS_URL, STATUS_TOPIC, { subscribeUrl }))).toMatchObject({ ok: false, status: 403 });
    expect(sns.confirmed).toEqual([]);
  });

  it('takes an UnsubscribeConfirmation as a verified handshake and confirms nothing', async () => {
    const req = snsSubscriptionConfirmation(STATUS_URL, STATUS_TOPIC, { type: 'UnsubscribeConfirmation' });
    expect(await gateway().parseReceipt(req)).toEqual({ ok: true, value: [] });
    expect(sns.confirmed).toEqual([]);
  });
});

describe('AmazonGateway.parseInbound: two-way texts', () => {
  it('reads the documented two-way payload', async () => {
    const at = new Date(Date.now() - 2000);
    const req = snsNotification(INBOUND_URL, INBOUND_TOPIC, twoWayPayload({ from: '+14255550182', to: SENDER, body: 'STOP', inboundMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84' }), { at });

    expect(await gateway().parseInbound(req)).toEqual({
      ok: true,
      value: { from: '+14255550182', to: SENDER, text: 'STOP', vendorMessageId: 'cae173d2-66b9-564c-8309-21f858e9fb84', sentAt: at.toISOString() },
    });
  });

  it('refuses a forged inbound STOP', async () => {
    const req = snsNotification(INBOUND_URL, INBOUND_TOPIC, twoWayPayload({ from: '+14255550182', to: SENDER, body: 'STOP' }), { key: OTHER_KEY });
    expect(await gateway().parseInbound(req)).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a START whose body was changed after signing', async () => {
    const req = snsNotification(INBOUND_URL, INBOUND_TOPIC, twoWayPayload({ from: '+14255550182', to: SENDER, body: 'STOP' }));
    expect(await gateway().parseInbound(tampered(req, (b) => (b.Message = b.Message!.replace('STOP', 'START'))))).toMatchObject({ ok: false, status: 403 });
  });

  it('refuses a notification that is not a two-way payload (400)', async () => {
    const req = snsNotification(INBOUND_URL, INBOUND_TOPIC, smsEvent({ messageId: 'm', eventType: 'TEXT_DELIVERED' }));
    expect(await gateway().parseInbound(req)).toMatchObject({ ok: false, status: 400 });
  });
});

describe('the signing fixture', () => {
  it('the SNS body a test signs carries every field the documentation lists', () => {
    const body = signedSnsBody({ Type: 'Notification', MessageId: 'm', TopicArn: STATUS_TOPIC, Message: 'x', Timestamp: new Date().toISOString() });
    expect(Object.keys(body).sort()).toEqual(['Message', 'MessageId', 'Signature', 'SignatureVersion', 'SigningCertURL', 'Timestamp', 'TopicArn', 'Type', 'UnsubscribeURL']);
  });
});

describe('amazon settings', () => {
  const base = { AMAZON_SMS_ORIGINATION_IDENTITY: SENDER, AMAZON_SMS_REGION: 'eu-west-2' };

  it('builds the settings, the AWS key pair and topics included', () => {
    const { settings: s, problems } = gatewaySettingsFrom({
      ...base,
      AWS_ACCESS_KEY_ID: 'AKIAX',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AMAZON_SMS_SNS_TOPIC_ARNS: `${STATUS_TOPIC}, ${INBOUND_TOPIC}`,
    });
    expect(problems).toEqual([]);
    expect(s.amazon).toEqual({ region: 'eu-west-2', originationIdentity: SENDER, accessKeyId: 'AKIAX', secretAccessKey: 'secret', snsTopicArns: [STATUS_TOPIC, INBOUND_TOPIC] });
  });

  it('is not configured by the standard AWS variables alone (a machine may have them for other reasons)', () => {
    const { settings: s, problems } = gatewaySettingsFrom({ AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIAX', AWS_SECRET_ACCESS_KEY: 's' });
    expect(problems).toEqual([]);
    expect(s.amazon).toBeUndefined();
  });

  it('takes AWS_REGION when AMAZON_SMS_REGION is not set, and the default credential chain without keys', () => {
    const { settings: s } = gatewaySettingsFrom({ AMAZON_SMS_ORIGINATION_IDENTITY: SENDER, AWS_REGION: 'ap-southeast-2' });
    expect(s.amazon).toMatchObject({ region: 'ap-southeast-2' });
    expect(s.amazon).not.toHaveProperty('accessKeyId');
  });

  it.each([
    [{ AMAZON_SMS_ORIGINATION_IDENTITY: SENDER }, 'AMAZON_SMS_REGION'],
    [{ AMAZON_SMS_REGION: 'us-east-1' }, 'AMAZON_SMS_ORIGINATION_IDENTITY'],
    [{ ...base, AMAZON_SMS_REGION: 'Virginia' }, 'AMAZON_SMS_REGION'],
    [{ ...base, AWS_ACCESS_KEY_ID: 'AKIAX' }, 'AWS_SECRET_ACCESS_KEY'],
    [{ ...base, AMAZON_SMS_SNS_TOPIC_ARNS: 'sms-events' }, 'AMAZON_SMS_SNS_TOPIC_ARNS'],
  ])('names the variable that is wrong (%o)', (env, variable) => {
    const { problems } = gatewaySettingsFrom(env);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
  });
});

describe('startAmazonCrashFake', () => {
  it('counts every accepted text to a number, a resend included (AWS cannot deduplicate)', async () => {
    const crash = await startAmazonCrashFake();
    try {
      const { settings: s } = gatewaySettingsFrom(crash.env);
      const g = new AmazonGateway(s.amazon!);
      expect(await g.send(SMS, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'accepted' });
      expect(await g.send(SMS, AbortSignal.timeout(10_000))).toMatchObject({ outcome: 'accepted' });
      expect(crash.deliveredTo(SMS.to)).toBe(2);
      expect(crash.deliveredTo('+10000000000')).toBe(0);
    } finally {
      await crash.close();
    }
  });

  it('answers a 200 with the service shape', () => {
    expect(JSON.parse(amazonAccepted('abc').body!)).toEqual({ MessageId: 'abc' });
  });
});
