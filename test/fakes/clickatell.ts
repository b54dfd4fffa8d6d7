import { randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake Clickatell One API, built from Clickatell's published pages (bodies, codes and
 * statuses as documented there, not as our adapter reads them):
 *
 * - Send: POST /v1/message, `Authorization: <integration API key>`, JSON
 *   `{"messages": [{"channel": "sms", "to", "content", "from"?, "clientMessageId"?}]}`;
 *   202 `{"messages": [{"apiMessageId", "accepted": true, "to", "error": null}], "error": null}`.
 *   https://guides.clickatell.com/clickatell-chat-commerce-platform/developer/channels/whatsapp-and-sms-one-api/api-reference/messages/send-messages
 *   https://www.clickatell.com/developers/api-documentation/one-api-send-plain-text-message/
 * - Errors: `{"code", "description"}` on the message (message level) or at the top
 *   (global level), with the HTTP status of the errors table (ONE_API_ERRORS below).
 *   https://docs.clickatell.com/channels/one-api/one-api-errors-table/
 *   The object's shape is that of the One API client in the clickatell-api crate
 *   (https://docs.rs/clickatell-api, one_api::send_messages::GatewayError).
 * - Status callback: `{"integrationId", "integrationName", "event": {"messageStatusUpdate":
 *   [{"channel", "messageId", "clientMessageId", "statusCode", "status", "timestamp"}]}}`;
 *   reply callback: `{"integrationId", "integrationName", "event": {"moText": [{"channel",
 *   "messageId", "relatedMessageId", "relatedClientMessageId", "from", "to", "timestamp",
 *   "content", "charset"}]}}`; millisecond timestamps.
 *   https://help.clickatell.com/developers-api-reference/reference/one-api-client-callbacks
 *   https://www.clickatell.com/developers/api-documentation/one-api-received-message-callback/
 *   Callbacks carry no signature; the portal can add HTTP Basic credentials to them.
 * - No deduplication by clientMessageId and no lookup by it (GET /v1/message/{id} takes
 *   Clickatell's own id): a message sent twice is delivered twice.
 */

export const CLICKATELL_PATH = '/v1/message';

export type FakeClickatell = FakeServer;

/**
 * Every error of the One API errors table: code, HTTP status, message, and whether it
 * comes at the global (request) or message level. Codes the table lists without a status
 * (20, 26 on the older page) take the newer page's.
 */
export const ONE_API_ERRORS: readonly { code: number; status: number; description: string; level: 'global' | 'message' }[] = [
  { code: 1, status: 401, description: 'Invalid or missing integration API Key', level: 'global' },
  { code: 2, status: 400, description: 'Account is not active', level: 'global' },
  { code: 3, status: 400, description: 'Integration is not active', level: 'global' },
  { code: 7, status: 401, description: 'Originating IP address is not approved in your account', level: 'global' },
  { code: 18, status: 500, description: 'Internal error', level: 'global' },
  { code: 19, status: 503, description: 'Internal error, please retry', level: 'global' },
  { code: 20, status: 402, description: 'Insufficient account balance', level: 'message' },
  { code: 21, status: 400, description: 'Payload data is malformed', level: 'global' },
  { code: 22, status: 400, description: 'Maximum messages per request payload exceeded', level: 'global' },
  { code: 23, status: 400, description: 'Invalid or missing parameter: to', level: 'message' },
  { code: 24, status: 400, description: 'Maximum message content size exceeded', level: 'message' },
  { code: 25, status: 400, description: 'Invalid recipient address: 16175551234', level: 'message' },
  { code: 26, status: 400, description: 'Recipient opted out', level: 'message' },
  { code: 27, status: 400, description: 'Recipient not available on channel', level: 'message' },
  { code: 28, status: 400, description: 'Recipient not available on sandbox', level: 'message' },
  { code: 30, status: 400, description: 'Content type not supported', level: 'message' },
  { code: 31, status: 400, description: 'Media file size exceeds limit of 5 MB', level: 'message' },
  { code: 32, status: 400, description: 'Media payload size exceeds limit of 5 MB', level: 'message' },
  { code: 33, status: 400, description: 'Media item not found', level: 'message' },
  { code: 38, status: 400, description: 'Channel/feature is not active on integration', level: 'message' },
  { code: 39, status: 400, description: 'Channel is not available on integration', level: 'message' },
  { code: 40, status: 400, description: 'Character set is not supported: (charset)', level: 'message' },
  { code: 41, status: 400, description: 'Resource does not exist', level: 'global' },
  { code: 42, status: 400, description: 'HTTP method is not supported on this resource', level: 'global' },
  { code: 43, status: 400, description: 'Rate limit', level: 'global' },
  { code: 44, status: 400, description: 'FROM number is suspended', level: 'message' },
  { code: 45, status: 400, description: 'FROM number is not related to integration', level: 'message' },
  { code: 46, status: 400, description: 'Demo access has expired', level: 'message' },
  { code: 100, status: 400, description: 'Maximum message parts exceeded', level: 'message' },
  { code: 101, status: 400, description: 'Destination does not support two-way messaging', level: 'message' },
  { code: 110, status: 400, description: 'USA country limit: must use two-way integration', level: 'message' },
  { code: 111, status: 400, description: 'USA country limit: must enable STOP/SUBSCRIBE commands on integration', level: 'message' },
];

/**
 * The One API message status table: code and the name callbacks carry as `status`.
 * https://docs.clickatell.com/channels/one-api/one-api-message-status-table/
 */
export const ONE_API_STATUSES: readonly { code: number; status: string }[] = [
  { code: 1, status: 'UNKNOWN' },
  { code: 2, status: 'QUEUED' },
  { code: 3, status: 'SCHEDULED' },
  { code: 4, status: 'SENT_TO_SUPPLIER' },
  { code: 5, status: 'DEVICE_ACK' },
  { code: 6, status: 'READ' },
  { code: 20, status: 'EXPIRED' },
  { code: 21, status: 'STOPPED_BY_USER' },
  { code: 22, status: 'STOPPED_BY_ADMIN' },
  { code: 23, status: 'DELIVERY_FAILURE' },
  { code: 24, status: 'EMULATED' },
  { code: 25, status: 'INSUFFICIENT_ACCOUNT_BALANCE' },
  { code: 26, status: 'VOLUME_LIMIT' },
  { code: 27, status: 'VOLUME_LIMIT_DAILY' },
  { code: 28, status: 'VOLUME_LIMIT_MONTHLY' },
  { code: 29, status: 'RECIPIENT_DOES_NOT_EXIST' },
  { code: 60, status: 'ENCRYPTION_ACCESS_DENIED' },
  { code: 61, status: 'ENCRYPTION_CONTENT_ERROR' },
  { code: 80, status: 'MEDIA_NOT_FOUND' },
  { code: 81, status: 'MEDIA_SIZE_ERROR' },
  { code: 82, status: 'MEDIA_CHECKSUM_FAILURE' },
  { code: 83, status: 'MEDIA_REJECTED_BY_SUPPLIER' },
  { code: 84, status: 'MEDIA_METADATA_ERROR' },
  { code: 85, status: 'MEDIA_ACCESS_ERROR' },
  { code: 100, status: 'ROUTING_ERROR' },
];

export interface OneApiMessage {
  channel?: unknown;
  to?: unknown;
  content?: unknown;
  from?: unknown;
  clientMessageId?: unknown;
}

/** The messages[] of a recorded send, or undefined when the body is not a One API send. */
export function messagesOf(req: RecordedRequest): OneApiMessage[] | undefined {
  const messages = bodyOf(req)?.messages;
  return Array.isArray(messages) && messages.every((m) => typeof m === 'object' && m !== null) ? (messages as OneApiMessage[]) : undefined;
}

/** The first message's recipient, as sent (digits, no "+"). */
export function recipientOf(req: RecordedRequest): string | undefined {
  const to = messagesOf(req)?.[0]?.to;
  return typeof to === 'string' ? to : undefined;
}

/**
 * Refuses what the real API refuses before any message is looked at (wrong key, wrong
 * path, a body that is not a One API send), as documented; otherwise lets `answer` reply.
 */
function oneApi(apiKey: string, answer: (req: RecordedRequest) => FakeReply | Promise<FakeReply>) {
  return (req: RecordedRequest): FakeReply | Promise<FakeReply> => {
    if (req.path !== CLICKATELL_PATH) return clickatellGlobalError(404, 41, 'Resource does not exist');
    if (req.method !== 'POST') return clickatellGlobalError(400, 42, 'HTTP method is not supported on this resource');
    if (req.headers.authorization !== apiKey) return clickatellGlobalError(401, 1, 'Invalid or missing integration API Key');
    const messages = messagesOf(req);
    if (!messages || messages.length === 0) return clickatellGlobalError(400, 21, 'Payload data is malformed');
    if (messages.length > 200) return clickatellGlobalError(400, 22, 'Maximum messages per request payload exceeded');
    const bad = messages.find((m) => typeof m.to !== 'string' || !/^\d{6,15}$/.test(m.to) || typeof m.content !== 'string' || (m.channel !== undefined && m.channel !== 'sms'));
    if (bad) return clickatellRefused(typeof bad.to === 'string' ? bad.to : '', 23, 'Invalid or missing parameter: to, content or channel');
    return answer(req);
  };
}

export async function startFakeClickatell(
  apiKey: string,
  responder: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = (req) => clickatellAccepted(recipientOf(req) ?? ''),
): Promise<FakeClickatell> {
  let current = responder;
  const server = await startFakeServer(oneApi(apiKey, (req) => current(req)));
  return {
    ...server,
    respond: (r) => {
      current = r;
    },
  };
}

/** The JSON body of a recorded request, or undefined when it is not a JSON object. */
export function bodyOf(req: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The documented success: 202, the message accepted under a fresh id unless given. */
export function clickatellAccepted(to: string, apiMessageId: string = freshId(), headers?: Record<string, string>): FakeReply {
  return json(202, { messages: [{ apiMessageId, accepted: true, to, error: null }], error: null }, headers);
}

/** A message-level refusal: the error on the message, the status from the errors table (400 by default). */
export function clickatellRefused(to: string, code: number, description: string, status = 400, headers?: Record<string, string>): FakeReply {
  return json(status, { messages: [{ apiMessageId: null, accepted: false, to, error: { code, description } }], error: null }, headers);
}

/** A global (request-level) refusal: no messages, the error at the top. */
export function clickatellGlobalError(status: number, code: number, description: string, headers?: Record<string, string>): FakeReply {
  return json(status, { messages: [], error: { code, description } }, headers);
}

/** A documented error, at the level and with the HTTP status the errors table gives it. */
export function clickatellDocumentedError(code: number, to = '16175551234', headers?: Record<string, string>): FakeReply {
  const documented = ONE_API_ERRORS.find((e) => e.code === code);
  if (!documented) throw new Error(`error ${code} is not in the One API errors table`);
  return documented.level === 'global'
    ? clickatellGlobalError(documented.status, code, documented.description, headers)
    : clickatellRefused(to, code, documented.description, documented.status, headers);
}

function freshId(): string {
  return randomBytes(16).toString('hex');
}

// --- The crash-test fake -----------------------------------------------------------------

export interface ClickatellCrashFake {
  url: string;
  /** The server environment that points the clickatell gateway at this fake. */
  env: Record<string, string>;
  /** Texts a real Clickatell would have delivered to this number: every accepted send (it deduplicates nothing). */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

export const CRASH_FAKE_API_KEY = 'ck-crash-fake-api-key';

/**
 * For the crash test: accepts every valid send after 20-80 ms, as Clickatell would. The
 * One API documents no deduplication by clientMessageId, so a resent message counts as a
 * second delivery, exactly as it would reach the caller's phone.
 */
export async function startClickatellCrashFake(): Promise<ClickatellCrashFake> {
  const delivered = new Map<string, number>();
  const server = await startFakeServer(
    oneApi(CRASH_FAKE_API_KEY, (req) => {
      const to = recipientOf(req) ?? '';
      delivered.set(to, (delivered.get(to) ?? 0) + 1);
      return { ...clickatellAccepted(to), delayMs: 20 + Math.floor(Math.random() * 61) };
    }),
  );
  return {
    url: server.url,
    env: { CLICKATELL_API_KEY: CRASH_FAKE_API_KEY, CLICKATELL_BASE_URL: server.url },
    deliveredTo: (number) => delivered.get(number.replace(/^\+/, '')) ?? 0,
    close: () => server.close(),
  };
}

// --- Callbacks -------------------------------------------------------------------------

export interface ClickatellCallbackOptions {
  /** HTTP Basic credentials, as set with the callback URL in the portal; none when absent. */
  credentials?: { user: string; password: string };
  url?: string;
}

/** A status callback as the One API posts it, one messageStatusUpdate entry per fields object. */
export function clickatellStatusCallback(
  fields: Record<string, unknown> | Record<string, unknown>[],
  options: ClickatellCallbackOptions = {},
): WebhookRequest {
  const entries = (Array.isArray(fields) ? fields : [fields]).map((f) => ({
    channel: 'sms',
    messageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80',
    clientMessageId: 'msg_abc123',
    statusCode: 5,
    status: 'DEVICE_ACK',
    timestamp: 1700000000000,
    ...f,
  }));
  const body = { integrationId: 'fa8090815f05d5ed015f0b5b56080cd2', integrationName: 'ivr-deflect', event: { messageStatusUpdate: entries } };
  return clickatellCallback(body, { url: 'https://t.example.test/webhooks/clickatell/status', ...options });
}

/** A reply callback as the One API posts it (event.moText). */
export function clickatellReplyCallback(fields: Record<string, unknown>, options: ClickatellCallbackOptions = {}): WebhookRequest {
  const moText = {
    channel: 'sms',
    messageId: '3a89680503414383af44dcd0e4e5f184',
    relatedMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80',
    relatedClientMessageId: 'msg_abc123',
    from: '16175551234',
    to: '14155550100',
    timestamp: 1700000000000,
    content: 'STOP',
    charset: 'UTF-8',
    ...fields,
  };
  const body = { integrationId: 'fa8090815f05d5ed015f0b5b56080cd2', integrationName: 'ivr-deflect', event: { moText: [moText] } };
  return clickatellCallback(body, { url: 'https://t.example.test/webhooks/clickatell/inbound', ...options });
}

/** Any One API callback body, posted as Clickatell posts it (JSON, Basic credentials if set). */
export function clickatellCallback(body: Record<string, unknown>, options: ClickatellCallbackOptions & { url: string }): WebhookRequest {
  const authorization = options.credentials
    ? { authorization: `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}` }
    : {};
  return {
    url: options.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authorization },
    rawBody: JSON.stringify(body),
    params: body,
  };
}
