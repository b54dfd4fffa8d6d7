import { randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake Clickatell Platform (POST /messages). Like the real one it refuses a request
 * whose Authorization header is not the integration's API key (401); a JSON send with
 * content and to[] is answered by the test's responder, by default accepted (202) under
 * a fresh apiMessageId. Also builds the Basic-authenticated status and reply callbacks
 * Clickatell posts, for webhook tests.
 */

export const CLICKATELL_PATH = '/messages';

export type FakeClickatell = FakeServer;

export async function startFakeClickatell(
  apiKey: string,
  responder: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = (req) => clickatellAccepted(recipientOf(req)),
): Promise<FakeClickatell> {
  let current = responder;
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' || req.path !== CLICKATELL_PATH) return json(404, { messages: [], error: 'Resource does not exist.' });
    if (req.headers.authorization !== apiKey) return json(401, { messages: [], error: 'Authentication failed.' });
    const body = bodyOf(req);
    if (typeof body?.content !== 'string' || !Array.isArray(body.to) || body.to.length === 0) {
      return json(400, { messages: [], error: 'Invalid or missing parameters.' });
    }
    return current(req);
  });
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

function recipientOf(req: RecordedRequest): string {
  const to = bodyOf(req)?.to;
  return Array.isArray(to) && typeof to[0] === 'string' ? to[0] : '';
}

/** The Platform's success: 202, the message accepted under a fresh id unless given. */
export function clickatellAccepted(to: string, apiMessageId: string = randomBytes(16).toString('hex')): FakeReply {
  return json(202, { messages: [{ apiMessageId, accepted: true, to, error: null }], error: null });
}

/** A message the Platform would not take: still 202 for the request, the error on the message. */
export function clickatellRefused(to: string, error: unknown, status = 202): FakeReply {
  return json(status, { messages: [{ apiMessageId: null, accepted: false, to, error }], error: null });
}

// --- Callbacks -------------------------------------------------------------------------

export interface ClickatellCallbackOptions {
  /** HTTP Basic credentials, as set in the integration's callback settings; none when absent. */
  credentials?: { user: string; password: string };
  url?: string;
}

/** A message status callback as the Platform posts it (JSON). */
export function clickatellStatusCallback(fields: Record<string, unknown>, options: ClickatellCallbackOptions = {}): WebhookRequest {
  const status = {
    integrationName: 'ivr-deflect',
    messageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80',
    requestId: '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0',
    clientMessageId: 'msg_abc123',
    to: '16175551234',
    from: '14155550100',
    statusCode: 4,
    status: 'RECEIVED_BY_RECIPIENT',
    statusDescription: 'Received by recipient',
    timestamp: 1700000000000,
    ...fields,
  };
  return clickatellCallback(status, { url: 'https://t.example.test/sms/clickatell/status', ...options });
}

/** A reply (MO) callback as the Platform posts it (JSON). */
export function clickatellReplyCallback(fields: Record<string, unknown>, options: ClickatellCallbackOptions = {}): WebhookRequest {
  const reply = {
    integrationId: '8a2b7d4c5e',
    messageId: 'a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
    replyMessageId: 'f1a2b3c4d5e6f708192a3b4c5d6e7f80',
    fromNumber: '16175551234',
    toNumber: '14155550100',
    timestamp: 1700000000000,
    text: 'STOP',
    charset: 'UTF-8',
    udh: '',
    network: 'T-Mobile US',
    keyword: 'STOP',
    ...fields,
  };
  return clickatellCallback(reply, { url: 'https://t.example.test/sms/clickatell/inbound', ...options });
}

function clickatellCallback(body: Record<string, unknown>, options: ClickatellCallbackOptions & { url: string }): WebhookRequest {
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
