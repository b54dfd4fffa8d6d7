import type { PinpointSMSVoiceV2Client, PinpointSMSVoiceV2ClientConfig } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { lazyModule } from '../lazy-module';
import { verifySnsMessage, SnsCertificates, SnsReplays, confirmSubscription, type SnsMessage } from './amazon-sns';
import type { AmazonSettings } from './gateway-config';
import type {
  DeliveryReceipt,
  DeliveryStatus,
  InboundSms,
  OutgoingSms,
  PermanentReason,
  SendOutcome,
  SmsGateway,
  WebhookRequest,
  WebhookVerdict,
} from './port';
import { callVendor, outcomeOfHttpStatus, type VendorReply } from './vendor-http';
import { invalid, isRecord } from './callback-parsing';

/**
 * AWS End User Messaging SMS (service "pinpoint-sms-voice-v2", signing name "sms-voice"):
 * one SendTextMessage per text through the official AWS SDK v3 client, which builds the
 * JSON 1.0 request (X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage) and signs it with
 * SigV4. The bytes go through our own vendor client (vendor-http.ts), like every adapter's.
 * https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_SendTextMessage.html
 *
 * Delivery events reach us only through the configuration set's event destination: an SNS
 * topic with an HTTPS subscription to /webhooks/amazon/status. Inbound (two-way) texts
 * are published to another (or the same) SNS topic subscribed to /webhooks/amazon/inbound.
 * Every SNS message is verified against its signing certificate (amazon-sns.ts).
 *
 * Resending after an unknown outcome is at least once: SendTextMessage takes no client
 * token (Context is only copied into events), and the API has no call to look up a sent
 * message; events go only to the configuration set's destinations.
 */

/** The AWS SDK client, loaded at the first text sent (src/lazy-module.ts): other gateways never load it. */
const awsSms = lazyModule(() => import('@aws-sdk/client-pinpoint-sms-voice-v2'));

export class AmazonGateway implements SmsGateway {
  readonly name = 'amazon';
  private client: PinpointSMSVoiceV2Client | undefined;
  private readonly certificates: SnsCertificates;
  private readonly replays = new SnsReplays();

  constructor(
    private readonly settings: AmazonSettings,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.certificates = new SnsCertificates(settings.snsBaseUrl);
  }

  /** The SDK client, made at the first text (the SDK is loaded then). */
  private async sdkClient(): Promise<PinpointSMSVoiceV2Client> {
    const { PinpointSMSVoiceV2Client } = await awsSms();
    const settings = this.settings;
    return (this.client ??= new PinpointSMSVoiceV2Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      ...(settings.accessKeyId && settings.secretAccessKey
        ? {
            credentials: {
              accessKeyId: settings.accessKeyId,
              secretAccessKey: settings.secretAccessKey,
              ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}),
            },
          }
        : {}),
      // The outbox owns retries and the attempt's time limit: one request per attempt.
      maxAttempts: 1,
      requestHandler: vendorHttpHandler,
    }));
  }

  async send(sms: OutgoingSms, signal: AbortSignal): Promise<SendOutcome> {
    const client = await this.sdkClient();
    const { SendTextMessageCommand } = await awsSms();
    const command = new SendTextMessageCommand({
      DestinationPhoneNumber: sms.to,
      OriginationIdentity: this.settings.originationIdentity,
      MessageBody: sms.body,
      MessageType: 'TRANSACTIONAL',
      ...(this.settings.configurationSet ? { ConfigurationSetName: this.settings.configurationSet } : {}),
      // Copied into every event of this text: support can match an event to our message.
      Context: { messageId: sms.id },
    });
    try {
      const answer = await client.send(command, { abortSignal: signal });
      if (!answer.MessageId) {
        return { outcome: 'retryable', code: 'malformed-reply', detail: 'Amazon answered without a MessageId' };
      }
      return { outcome: 'accepted', vendorMessageId: answer.MessageId };
    } catch (err) {
      return outcomeOfFailure(err);
    }
  }

  async parseReceipt(req: WebhookRequest): Promise<WebhookVerdict<DeliveryReceipt[]>> {
    const verified = await this.verified(req);
    if (!verified.ok) return verified;
    const message = verified.value;
    if (message.Type !== 'Notification') return { ok: true, value: [] };
    return receiptsOf(message.Message);
  }

  async parseInbound(req: WebhookRequest): Promise<WebhookVerdict<InboundSms | undefined>> {
    const verified = await this.verified(req);
    if (!verified.ok) return verified;
    const message = verified.value;
    if (message.Type !== 'Notification') return { ok: true, value: undefined };
    return inboundOf(message);
  }

  /**
   * The SNS message, verified (topic, age, certificate, signature, not seen before); a
   * subscription confirmation for one of our topics is confirmed on the way.
   */
  private async verified(req: WebhookRequest): Promise<WebhookVerdict<SnsMessage>> {
    const verdict = await verifySnsMessage(req.rawBody, {
      topicArns: this.settings.snsTopicArns,
      certificates: this.certificates,
      replays: this.replays,
      now: this.now(),
    });
    if (!verdict.ok || verdict.value.Type !== 'SubscriptionConfirmation') return verdict;
    const confirmed = await confirmSubscription(verdict.value, this.settings.snsBaseUrl);
    return confirmed.ok ? verdict : confirmed;
  }
}

// --- The SDK's requests through our vendor client ---------------------------------------

type RequestHandler = Exclude<NonNullable<PinpointSMSVoiceV2ClientConfig['requestHandler']>, Record<string, unknown> & { httpsAgent?: unknown }>;

/** Thrown from the request handler so that send() reads the vendor's answer itself. */
class VendorAnswer extends Error {
  constructor(readonly result: { reply: VendorReply } | { outcome: SendOutcome }) {
    super('vendor answer');
  }
}

/**
 * The SDK signs and serialises; this sends. A 2xx goes back to the SDK to read the
 * MessageId; anything else is thrown as it came, so the refusal's detail is the vendor's
 * answer whole (the redacting wrapper cleans it) and not the SDK's paraphrase of it.
 */
const vendorHttpHandler = {
  metadata: { handlerProtocol: 'http/1.1' },
  async handle(
    request: { method: string; protocol: string; hostname: string; port?: number; path: string; query?: Record<string, unknown>; headers: Record<string, string>; body?: unknown },
    options: { abortSignal?: AbortSignal } = {},
  ) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query ?? {})) {
      for (const v of Array.isArray(value) ? value : [value]) if (typeof v === 'string') query.append(name, v);
    }
    const search = query.size ? `?${query.toString()}` : '';
    const url = `${request.protocol}//${request.hostname}${request.port ? `:${request.port}` : ''}${request.path}${search}`;
    const call = await callVendor({
      method: request.method === 'GET' ? 'GET' : 'POST',
      url,
      headers: request.headers,
      ...bodyOf(request.body),
      signal: options.abortSignal ?? new AbortController().signal,
    });
    if (!call.ok) throw new VendorAnswer({ outcome: call.outcome });
    if (call.reply.status < 200 || call.reply.status >= 300) throw new VendorAnswer({ reply: call.reply });
    return { response: { statusCode: call.reply.status, headers: call.reply.headers, body: new Uint8Array(Buffer.from(call.reply.body, 'utf8')) } };
  },
  updateHttpClientConfig(): void {},
  httpHandlerConfigs: () => ({}),
} as unknown as RequestHandler;

/** The SDK hands the JSON body over as a string or as its UTF-8 bytes (the signature covers the bytes). */
function bodyOf(body: unknown): { body?: string } {
  if (typeof body === 'string') return { body };
  if (body instanceof Uint8Array) return { body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8') };
  return {};
}

// --- Send outcomes ---------------------------------------------------------------------

/**
 * The errors SendTextMessage documents, each read by its Reason where it has one:
 * https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_SendTextMessage.html#API_SendTextMessage_Errors
 * (the reasons: https://docs.aws.amazon.com/pinpoint/latest/apireference_smsvoicev2/API_ConflictException.html,
 * .../API_ValidationException.html, .../API_ServiceQuotaExceededException.html).
 */
const PERMANENT: ReadonlyMap<string, PermanentReason> = new Map<string, PermanentReason>([
  // The number is on the opt-out list (it replied STOP): our list takes it too.
  ['ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT', 'unsubscribed'],
  ['ConflictException/DESTINATION_PHONE_NUMBER_BLOCKED_BY_PROTECT_NUMBER_OVERRIDE', 'blocked'],
  ['ConflictException/DESTINATION_COUNTRY_BLOCKED_BY_PROTECT_CONFIGURATION', 'blocked'],
  // A sandbox account may text only verified destinations.
  ['ConflictException/DESTINATION_PHONE_NUMBER_NOT_VERIFIED', 'blocked'],
  ['ValidationException/DESTINATION_COUNTRY_BLOCKED', 'blocked'],
  ['ValidationException/COUNTRY_CODE_MISMATCH', 'invalid-number'],
]);

/**
 * Trouble with our account or set-up, not this text: a fallback gateway can still send
 * it (as with bad credentials elsewhere), so it is retryable.
 */
const ACCOUNT_TROUBLE = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ServiceQuotaExceededException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
]);

function outcomeOfFailure(err: unknown): SendOutcome {
  if (err instanceof VendorAnswer) return 'outcome' in err.result ? err.result.outcome : outcomeOfReply(err.result.reply);
  // Not the vendor's refusal: a 2xx the SDK could not read, most likely not from AWS.
  const detail = `Amazon's answer could not be read: ${err instanceof Error ? err.message : String(err)}`;
  return { outcome: 'retryable', code: 'malformed-reply', detail };
}

/**
 * A JSON 1.0 error: `{"__type": "<namespace>#<Name>", "Message": ..., "Reason": ...}`, the
 * name also in X-Amzn-ErrorType (either may carry ":<extra>" after it).
 * https://smithy.io/2.0/aws/protocols/aws-json-1_0-protocol.html#operation-error-serialization
 */
function outcomeOfReply(reply: VendorReply): SendOutcome {
  const error = amazonErrorOf(reply);
  if (!error) return outcomeOfHttpStatus(reply, `Amazon answered ${reply.status}: ${reply.body}`);
  const code = `amazon-${error.name}${error.reason ? `/${error.reason}` : ''}`;
  const detail = `Amazon answered ${reply.status}: ${error.name}${error.reason ? ` (${error.reason})` : ''}: ${error.message}`;
  const reason = PERMANENT.get(`${error.name}/${error.reason ?? ''}`) ?? (error.name === 'ValidationException' ? validationReason(error) : undefined);
  if (reason) return { outcome: 'permanent', code, detail, reason };
  if (error.name === 'ThrottlingException') return { outcome: 'retryable', code, detail, throttled: true };
  if (ACCOUNT_TROUBLE.has(error.name) || error.name === 'InternalServerException' || reply.status >= 500) {
    return { outcome: 'retryable', code, detail };
  }
  return { outcome: 'permanent', code, detail, reason: 'rejected' };
}

/** A validation failure naming the destination is the caller's number; any other is ours. */
function validationReason(error: { fields: string[] }): PermanentReason {
  return error.fields.includes('DestinationPhoneNumber') ? 'invalid-number' : 'rejected';
}

function amazonErrorOf(reply: VendorReply): { name: string; reason?: string; message: string; fields: string[] } | undefined {
  const body = isRecord(reply.json) ? reply.json : undefined;
  const type = (typeof body?.__type === 'string' ? body.__type : undefined) ?? reply.headers['x-amzn-errortype'];
  if (!type) return undefined;
  // "com.amazonaws.pinpointsmsvoicev2#ConflictException" or "ConflictException:http://..."
  const name = type.split('#').pop()!.split(':')[0]!.trim();
  if (!/^[A-Za-z]+$/.test(name)) return undefined;
  const message = typeof body?.Message === 'string' ? body.Message : typeof body?.message === 'string' ? body.message : '';
  const reason = typeof body?.Reason === 'string' && /^[A-Z_0-9]+$/.test(body.Reason) ? body.Reason : undefined;
  const fields = Array.isArray(body?.Fields) ? body.Fields.flatMap((f) => (isRecord(f) && typeof f.Name === 'string' ? [f.Name] : [])) : [];
  return { name, message, fields, ...(reason ? { reason } : {}) };
}

// --- Delivery events -------------------------------------------------------------------

/**
 * SMS event types, https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-types.html.
 * SUCCESSFUL is the recipient's carrier accepting the text ("sent"); DELIVERED is the
 * handset's receipt (some countries report only one of them). Events about the handset
 * or the carrier are "undelivered"; a number or body that could never go is "failed".
 */
const DELIVERY_STATUS_OF: ReadonlyMap<string, DeliveryStatus> = new Map<string, DeliveryStatus>([
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
]);

/**
 * The event record in the SNS Message, as in
 * https://docs.aws.amazon.com/sms-voice/latest/userguide/configuration-sets-event-format.html:
 * `{eventType, messageId, messageStatus, isFinal, ...}`. A configuration set may send
 * voice, media or registration events to the same topic: they carry no text of ours and
 * are passed over (a verified callback with no receipt).
 */
function receiptsOf(messageText: string): WebhookVerdict<DeliveryReceipt[]> {
  const event = jsonObject(messageText);
  if (!event) return invalid('the SNS Message is not an SMS event record');
  const { eventType, messageId, messageStatus } = event;
  if (typeof eventType !== 'string') return invalid('eventType is required');
  if (!eventType.startsWith('TEXT_')) return { ok: true, value: [] };
  if (typeof messageId !== 'string' || messageId === '') return invalid('messageId is required');
  const status = DELIVERY_STATUS_OF.get(eventType);
  if (!status) return invalid(`unknown eventType "${eventType.slice(0, 40)}"`);
  const failed = status === 'undelivered' || status === 'failed';
  const errorCode = failed && typeof messageStatus === 'string' ? { errorCode: messageStatus.slice(0, 40) } : {};
  return { ok: true, value: [{ vendorMessageId: messageId, status, vendorStatus: eventType, ...errorCode }] };
}

/**
 * A two-way text, https://docs.aws.amazon.com/sms-voice/latest/userguide/two-way-sms-payload.html:
 * `{originationNumber, destinationNumber, messageKeyword, messageBody, inboundMessageId,
 * previousPublishedMessageId}`. The SNS Timestamp (signed) is when it was published.
 */
function inboundOf(message: SnsMessage): WebhookVerdict<InboundSms> {
  const text = jsonObject(message.Message);
  if (!text) return invalid('the SNS Message is not a two-way SMS payload');
  const { originationNumber: from, destinationNumber: to, messageBody, inboundMessageId } = text;
  if (typeof from !== 'string' || typeof to !== 'string' || typeof messageBody !== 'string') {
    return invalid('originationNumber, destinationNumber and messageBody are required');
  }
  return {
    ok: true,
    value: {
      from,
      to,
      text: messageBody,
      ...(typeof inboundMessageId === 'string' && inboundMessageId ? { vendorMessageId: inboundMessageId } : {}),
      sentAt: new Date(Date.parse(message.Timestamp)).toISOString(),
    },
  };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
