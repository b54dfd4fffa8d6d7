import { createHash, createSign, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import aws4 from 'aws4';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake AWS End User Messaging SMS API (pinpoint-sms-voice-v2) and a fake SNS, both
 * built from AWS's documentation, not from the adapter:
 * - SendTextMessage speaks the AWS JSON 1.0 protocol: POST / with
 *   `X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage` and `application/x-amz-json-1.0`,
 *   answering `{"MessageId"}` or an error `{"__type", "Message", "Reason"}`
 *   (https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_SendTextMessage.html,
 *   https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html).
 * - Every request's SigV4 signature is checked with the aws4 package, an implementation
 *   independent of the SDK's signer (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
 *   and the payload hash against the body (aws4 would trust the header).
 * - SNS messages are signed here from the documented string to sign
 *   (https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html) with a
 *   test certificate (test/fixtures/sns), which the fake SNS serves at the certificate's
 *   path; it also answers ConfirmSubscription.
 */

export const AMAZON_ACCOUNT = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
} as const;

export interface AmazonAccount {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export const SEND_TEXT_TARGET = 'PinpointSMSVoiceV2.SendTextMessage';
const MAX_SKEW_MS = 5 * 60 * 1000;

export interface FakeAmazonSms extends FakeServer {
  /** Requests whose signature checked out, with their JSON body. */
  signed: { req: RecordedRequest; input: Record<string, unknown> }[];
}

/**
 * Checks the signature (403 InvalidSignatureException, or UnrecognizedClientException for
 * an unknown key, as AWS answers), the target and content type, then the responder answers
 * (by default acceptSendTextMessage).
 */
export async function startFakeAmazonSms(account: AmazonAccount = AMAZON_ACCOUNT, responder: Responder = acceptSendTextMessage): Promise<FakeAmazonSms> {
  let current = responder;
  const signed: FakeAmazonSms['signed'] = [];
  const server = await startFakeServer((req) => {
    const refusal = signatureRefusal(req, account);
    if (refusal) return refusal;
    if (req.method !== 'POST' || req.path !== '/') return amazonError(404, 'UnknownOperationException', 'not found');
    if (req.headers['x-amz-target'] !== SEND_TEXT_TARGET) return amazonError(400, 'UnknownOperationException', `unknown target ${req.headers['x-amz-target']}`);
    if (req.headers['content-type'] !== 'application/x-amz-json-1.0') return amazonError(400, 'SerializationException', 'wrong content type');
    const input = jsonOf(req.body);
    if (!input) return amazonError(400, 'SerializationException', 'body is not JSON');
    signed.push({ req, input });
    return current(req);
  });
  return {
    ...server,
    signed,
    respond: (r) => {
      current = r;
    },
  };
}

/** The SigV4 check, from the request as it arrived. Undefined when it is correctly signed. */
export function signatureRefusal(req: RecordedRequest, account: AmazonAccount, now = Date.now()): FakeReply | undefined {
  const authorization = String(req.headers.authorization ?? '');
  const parts = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(authorization);
  if (!parts) return amazonError(400, 'IncompleteSignatureException', 'Authorization header is not a SigV4 signature');
  const [, keyId, day, region, service, signedHeaders] = parts;
  if (keyId !== account.accessKeyId) return amazonError(400, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (region !== account.region || service !== 'sms-voice') return amazonError(403, 'InvalidSignatureException', 'Credential should be scoped to a valid region and service.');
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const at = Date.parse(amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));
  if (Number.isNaN(at) || !amzDate.startsWith(day!) || Math.abs(now - at) > MAX_SKEW_MS) return amazonError(403, 'InvalidSignatureException', 'Signature expired.');
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (payloadHash !== undefined && payloadHash !== createHash('sha256').update(req.body, 'utf8').digest('hex')) {
    return amazonError(400, 'XAmzContentSHA256Mismatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }
  const names = signedHeaders!.split(';');
  if (!names.includes('host') || !names.includes('x-amz-date')) return amazonError(403, 'InvalidSignatureException', 'host and x-amz-date must be signed');
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = String(req.headers[name] ?? '');
  const expected = aws4.sign(
    { host: headers.host, method: req.method, path: req.url, service: 'sms-voice', region: account.region, headers, body: req.body },
    { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
  );
  const expectedAuthorization = String((expected.headers as Record<string, string>).Authorization ?? '');
  if (expectedAuthorization !== authorization) {
    return amazonError(403, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
  }
  return undefined;
}

/**
 * What the service answers a well-formed SendTextMessage: `{"MessageId"}`; a request
 * without a valid E.164 destination is a ValidationException naming the field.
 */
export function acceptSendTextMessage(req: RecordedRequest): FakeReply {
  const input = jsonOf(req.body) ?? {};
  const destination = input.DestinationPhoneNumber;
  if (typeof destination !== 'string' || !/^\+[1-9]\d{1,14}$/.test(destination)) {
    return validationError('DestinationPhoneNumber', 'must be an E.164 phone number');
  }
  if (typeof input.MessageBody !== 'string' || input.MessageBody === '') return validationError('MessageBody', 'is required');
  return amazonAccepted();
}

export function amazonAccepted(messageId: string = randomUUID()): FakeReply {
  return json(200, { MessageId: messageId }, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
}

/**
 * An error as the JSON 1.0 protocol writes it: the shape name in __type (with the
 * service's namespace) and in X-Amzn-ErrorType, the members beside it.
 */
export function amazonError(status: number, name: string, message: string, members: Record<string, unknown> = {}): FakeReply {
  return json(
    status,
    { __type: `com.amazonaws.pinpointsmsvoicev2#${name}`, Message: message, ...members },
    { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': name, 'x-amzn-requestid': randomUUID() },
  );
}

export function validationError(field: string, message: string): FakeReply {
  return amazonError(400, 'ValidationException', `1 validation error detected: ${field} ${message}`, {
    Reason: 'FIELD_VALIDATION_FAILED',
    Fields: [{ Name: field, Message: message }],
  });
}

function jsonOf(body: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// --- SNS -------------------------------------------------------------------------------

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'sns');
/** A self-signed test certificate and its key, standing in for SNS's signing certificate. */
export const SNS_KEY = readFileSync(path.join(FIXTURES, 'signing-key.pem'), 'utf8');
export const SNS_CERT = readFileSync(path.join(FIXTURES, 'signing-cert.pem'), 'utf8');
/** Another key: a message signed with it (and pointing at our certificate) is forged. */
export const OTHER_KEY = readFileSync(path.join(FIXTURES, 'other-key.pem'), 'utf8');

export const SNS_REGION = 'us-east-1';
export const STATUS_TOPIC = 'arn:aws:sns:us-east-1:123456789012:sms-events';
export const INBOUND_TOPIC = 'arn:aws:sns:us-east-1:123456789012:sms-inbound';
/** SNS names its certificates SimpleNotificationService-<hash>.pem. */
export const SNS_CERT_PATH = '/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
export const SNS_CERT_URL = `https://sns.${SNS_REGION}.amazonaws.com${SNS_CERT_PATH}`;

export interface FakeSns extends FakeServer {
  /** ConfirmSubscription requests received, by topic. */
  confirmed: string[];
}

/** Serves the signing certificate and answers ConfirmSubscription (GET /?Action=ConfirmSubscription&TopicArn&Token). */
export async function startFakeSns(): Promise<FakeSns> {
  const confirmed: string[] = [];
  const server = await startFakeServer((req) => {
    if (req.method === 'GET' && req.path === SNS_CERT_PATH) return { status: 200, headers: { 'content-type': 'application/x-x509-ca-cert' }, body: SNS_CERT };
    if (req.method === 'GET' && req.path === '/' && req.query.get('Action') === 'ConfirmSubscription') {
      confirmed.push(req.query.get('TopicArn') ?? '');
      const arn = `${req.query.get('TopicArn')}:${randomUUID()}`;
      return {
        status: 200,
        headers: { 'content-type': 'text/xml' },
        body: `<ConfirmSubscriptionResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ConfirmSubscriptionResult><SubscriptionArn>${arn}</SubscriptionArn></ConfirmSubscriptionResult></ConfirmSubscriptionResponse>`,
      };
    }
    return { status: 404, body: 'not found' };
  });
  return { ...server, confirmed };
}

export type SnsType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

export interface SnsFields {
  Type: SnsType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/**
 * The documented string to sign, written from the page independently of the adapter: for
 * a Notification Message, MessageId, Subject (only if present), Timestamp, TopicArn, Type;
 * for the confirmations Message, MessageId, SubscribeURL, Timestamp, Token, TopicArn,
 * Type; each as "name\nvalue\n".
 */
export function snsStringToSignFromDoc(m: SnsFields): string {
  const order =
    m.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  let text = '';
  for (const name of order) {
    const value = m[name];
    if (value !== undefined) text += `${name}\n${value}\n`;
  }
  return text;
}

export interface SignOptions {
  version?: '1' | '2';
  key?: string;
  certUrl?: string;
}

/** The JSON body SNS posts: the fields, SignatureVersion, Signature and SigningCertURL (and UnsubscribeURL for notifications). */
export function signedSnsBody(fields: SnsFields, options: SignOptions = {}): Record<string, string> {
  const version = options.version ?? '2';
  const signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
    .update(snsStringToSignFromDoc(fields), 'utf8')
    .sign(options.key ?? SNS_KEY, 'base64');
  const extra: Record<string, string> =
    fields.Type === 'Notification'
      ? { UnsubscribeURL: `https://sns.${SNS_REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${fields.TopicArn}:${randomUUID()}` }
      : {};
  return { ...stripUndefined(fields), SignatureVersion: version, Signature: signature, SigningCertURL: options.certUrl ?? SNS_CERT_URL, ...extra };
}

function stripUndefined(fields: SnsFields): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** An SNS POST to url, as SNS sends it (text/plain body, x-amz-sns-* headers). */
export function snsRequest(url: string, body: Record<string, string>): WebhookRequest {
  const rawBody = JSON.stringify(body);
  return {
    url,
    method: 'POST',
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': body.Type,
      'x-amz-sns-message-id': body.MessageId,
      'x-amz-sns-topic-arn': body.TopicArn,
    },
    rawBody,
    params: {},
  };
}

/** A notification carrying an SMS event record (configuration-sets-event-format.html's example, with our values). */
export function smsEvent(options: { messageId: string; eventType: string; messageStatus?: string; to?: string; from?: string }): string {
  const status = options.messageStatus ?? options.eventType.replace(/^TEXT_/, '');
  return JSON.stringify({
    eventType: options.eventType,
    eventVersion: '1.0',
    eventTimestamp: Date.now(),
    isFinal: !['TEXT_QUEUED', 'TEXT_PENDING'].includes(options.eventType),
    originationPhoneNumber: options.from ?? '+12065550152',
    destinationPhoneNumber: options.to ?? '+14255550156',
    isInternationalSend: false,
    mcc: '310',
    mnc: '800',
    messageId: options.messageId,
    messageRequestTimestamp: Date.now() - 300,
    messageEncoding: 'GSM',
    messageType: 'TRANSACTIONAL',
    messageStatus: status,
    messageStatusDescription: 'Message has been accepted by phone carrier',
    context: { messageId: 'ours' },
    totalMessageParts: 1,
    totalMessagePrice: 0.00581,
    totalCarrierFee: 0.0,
  });
}

/** A two-way SMS payload (two-way-sms-payload.html). */
export function twoWayPayload(options: { from: string; to: string; body: string; inboundMessageId?: string }): string {
  return JSON.stringify({
    originationNumber: options.from,
    destinationNumber: options.to,
    messageKeyword: 'KEYWORD_123456789012',
    messageBody: options.body,
    inboundMessageId: options.inboundMessageId ?? randomUUID(),
    previousPublishedMessageId: randomUUID(),
  });
}

/** A signed Notification for topic, published now (or at `at`). */
export function snsNotification(url: string, topicArn: string, message: string, options: SignOptions & { at?: Date; messageId?: string; subject?: string } = {}): WebhookRequest {
  const fields: SnsFields = {
    Type: 'Notification',
    MessageId: options.messageId ?? randomUUID(),
    TopicArn: topicArn,
    Message: message,
    Timestamp: (options.at ?? new Date()).toISOString(),
    ...(options.subject !== undefined ? { Subject: options.subject } : {}),
  };
  return snsRequest(url, signedSnsBody(fields, options));
}

/** A signed SubscriptionConfirmation for topic, with SNS's SubscribeURL. */
export function snsSubscriptionConfirmation(url: string, topicArn: string, options: SignOptions & { subscribeUrl?: string; type?: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation' } = {}): WebhookRequest {
  const token = createHash('sha256').update(randomUUID()).digest('hex');
  const fields: SnsFields = {
    Type: options.type ?? 'SubscriptionConfirmation',
    MessageId: randomUUID(),
    TopicArn: topicArn,
    Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
    Timestamp: new Date().toISOString(),
    Token: token,
    SubscribeURL:
      options.subscribeUrl ??
      `https://sns.${SNS_REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${encodeURIComponent(topicArn)}&Token=${token}`,
  };
  return snsRequest(url, signedSnsBody(fields, options));
}

// --- The crash test's fake -----------------------------------------------------------------

/**
 * Accepts every correctly signed SendTextMessage after 20-80 ms. SendTextMessage has no
 * idempotency token and AWS documents no lookup of a sent message, so every accepted
 * request is a text the recipient gets: deliveredTo counts them all (a resend counts twice).
 */
export async function startAmazonCrashFake(): Promise<{ url: string; env: Record<string, string>; deliveredTo(n: string): number; close(): Promise<void> }> {
  const delivered = new Map<string, number>();
  const fake = await startFakeAmazonSms(AMAZON_ACCOUNT, (req) => {
    const reply = acceptSendTextMessage(req);
    if (reply.status === 200) {
      const to = String(jsonOf(req.body)?.DestinationPhoneNumber);
      delivered.set(to, (delivered.get(to) ?? 0) + 1);
    }
    return { ...reply, delayMs: 20 + Math.floor(Math.random() * 60) };
  });
  return {
    url: fake.url,
    env: {
      AMAZON_SMS_REGION: AMAZON_ACCOUNT.region,
      AMAZON_SMS_ORIGINATION_IDENTITY: '+12065550152',
      AMAZON_SMS_ENDPOINT: fake.url,
      AWS_ACCESS_KEY_ID: AMAZON_ACCOUNT.accessKeyId,
      AWS_SECRET_ACCESS_KEY: AMAZON_ACCOUNT.secretAccessKey,
    },
    deliveredTo: (n) => delivered.get(n) ?? 0,
    close: () => fake.close(),
  };
}
