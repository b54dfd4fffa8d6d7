import { randomUUID } from 'node:crypto';
import nacl from 'tweetnacl';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Telnyx Messaging API v2 (POST /v2/messages) speaking Telnyx's wire format, and
 * webhooks signed the way Telnyx signs them. Built from Telnyx's published documentation:
 * - send: https://developers.telnyx.com/api-reference/messages/send-a-message (request
 *   fields; 200 answer `{data: OutboundMessagePayload}`), and the `MessageSendParams` /
 *   `OutboundMessagePayload` types of team-telnyx/telnyx-node (src/resources/messages);
 * - errors `{errors: [{code, title, detail, source}]}`: https://developers.telnyx.com/docs/messaging/messages/error-codes
 *   and the pages https://developers.telnyx.com/api/errors/<code> (40300 is HTTP 409);
 * - webhooks: https://developers.telnyx.com/api-reference/callbacks/delivery-update and
 *   https://developers.telnyx.com/api-reference/callbacks/inbound-message (bodies), signed
 *   per https://developers.telnyx.com/docs/development/api-fundamentals/webhooks:
 *   base64 Ed25519 signature of `${telnyx-timestamp}|${raw body}`.
 * Signatures are made with tweetnacl (the library telnyx-node's own verifier used), not
 * node:crypto, so a test does not check the adapter against itself.
 */

export const TELNYX_API_KEY = 'KEY0180F1A0FAKETELNYX_5ecretKeyValue';

export interface TelnyxKeys {
  /** What the portal shows and TELNYX_PUBLIC_KEY holds: base64 of the raw 32 bytes. */
  publicKey: string;
  secretKey: Uint8Array;
}

/** A fresh Ed25519 key pair standing in for Telnyx's signing key. */
export function telnyxKeys(): TelnyxKeys {
  const pair = nacl.sign.keyPair();
  return { publicKey: Buffer.from(pair.publicKey).toString('base64'), secretKey: pair.secretKey };
}

export async function startFakeTelnyx(apiKey: string = TELNYX_API_KEY, responder: Responder = acceptTelnyxMessage): Promise<FakeServer> {
  let current = responder;
  const server = await startFakeServer((req) => {
    // Telnyx checks the key before anything else.
    if (req.headers.authorization !== `Bearer ${apiKey}`) {
      return telnyxError(401, '10009', 'Authentication failed', 'The required authentication headers were either invalid or not included in the request.');
    }
    if (req.method !== 'POST' || req.path !== '/v2/messages') return telnyxError(404, '10005', 'Resource not found', 'The requested resource or URL could not be found.');
    return current(req);
  });
  return {
    ...server,
    respond: (r) => {
      current = r;
    },
  };
}

/** Telnyx's answer to a well-formed send, or the validation error it documents. */
export function acceptTelnyxMessage(req: RecordedRequest, id: string = randomUUID()): FakeReply {
  const message = bodyOf(req);
  if (!message) return telnyxError(400, '10015', 'Bad Request', 'The request failed because it was not well-formed.');
  if (typeof message.to !== 'string' || message.to === '') {
    return telnyxError(422, '10004', 'Missing required parameter', 'The \'to\' parameter is required.', '/to');
  }
  if (!/^\+[1-9]\d{6,14}$/.test(message.to)) {
    return telnyxError(422, '10016', 'Phone number must be in +E.164 format', 'The \'to\' parameter must be in +E.164 format.', '/to');
  }
  if (typeof message.from !== 'string' && typeof message.messaging_profile_id !== 'string') {
    return telnyxError(422, '10004', 'Missing required parameter', 'The \'from\' or \'messaging_profile_id\' parameter is required.', '/from');
  }
  if (typeof message.text !== 'string' || message.text === '') {
    return telnyxError(422, '10004', 'Missing required parameter', 'The \'text\' parameter is required for SMS.', '/text');
  }
  return telnyxAccepted(message, id);
}

/** 200 `{data: OutboundMessagePayload}`, the recipient `queued`. */
export function telnyxAccepted(message: Record<string, unknown>, id: string = randomUUID()): FakeReply {
  return json(200, {
    data: {
      record_type: 'message',
      direction: 'outbound',
      id,
      type: 'SMS',
      messaging_profile_id: message.messaging_profile_id ?? '4000eba1-a0c0-4563-9925-b25e842a7cb6',
      organization_id: 'b448f9cc-a842-4784-98e9-03c1a5872950',
      from: { phone_number: message.from ?? '+18445550001', carrier: 'TELNYX LLC', line_type: 'VoIP' },
      to: [{ phone_number: message.to, status: 'queued', carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' }],
      cc: [],
      text: message.text,
      media: [],
      webhook_url: message.webhook_url ?? null,
      webhook_failover_url: message.webhook_failover_url ?? null,
      encoding: 'GSM-7',
      parts: 1,
      tags: [],
      cost: null,
      received_at: new Date().toISOString(),
      sent_at: null,
      completed_at: null,
      valid_until: null,
      errors: [],
    },
  });
}

/** Telnyx's error answer `{errors: [{code, title, detail, source?}]}` (codes are strings). */
export function telnyxError(status: number, code: string, title: string, detail: string, pointer?: string, headers: Record<string, string> = {}): FakeReply {
  return json(status, { errors: [{ code, title, detail, ...(pointer ? { source: { pointer } } : {}) }] }, headers);
}

export function bodyOf(req: RecordedRequest): Record<string, unknown> | undefined {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// --- Signed webhooks -------------------------------------------------------------------

/** telnyx-signature-ed25519: base64 Ed25519 signature (tweetnacl) of `${timestamp}|${rawBody}`. */
export function telnyxSignature(secretKey: Uint8Array, timestamp: string, rawBody: string): string {
  return Buffer.from(nacl.sign.detached(Buffer.from(`${timestamp}|${rawBody}`, 'utf8'), secretKey)).toString('base64');
}

/**
 * A JSON POST to url as Telnyx sends a webhook, signed with secretKey at `at` (now by
 * default). It has every field a WebhookRequest has; rawBody and headers are what a
 * supertest call needs.
 */
export function signedTelnyxRequest(secretKey: Uint8Array, url: string, event: unknown, options: { at?: Date } = {}): WebhookRequest {
  const rawBody = JSON.stringify(event);
  const timestamp = String(Math.floor((options.at ?? new Date()).getTime() / 1000));
  return {
    url,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'telnyx-timestamp': timestamp,
      'telnyx-signature-ed25519': telnyxSignature(secretKey, timestamp, rawBody),
    },
    rawBody,
    params: { ...Object.fromEntries(new URL(url).searchParams), ...(event as Record<string, unknown>) },
  };
}

/** A message.sent / message.finalized event, as in Telnyx's deliveryUpdate example. */
export function telnyxDeliveryEvent(options: {
  messageId: string;
  status: string;
  eventType?: 'message.sent' | 'message.finalized';
  to?: string;
  from?: string;
  errors?: { code: string; title: string; detail?: string }[];
}): Record<string, unknown> {
  const finalized = options.eventType ?? (['queued', 'sending', 'sent'].includes(options.status) ? 'message.sent' : 'message.finalized');
  const now = new Date().toISOString();
  return {
    data: {
      record_type: 'event',
      id: randomUUID(),
      event_type: finalized,
      occurred_at: now,
      payload: {
        record_type: 'message',
        direction: 'outbound',
        id: options.messageId,
        type: 'SMS',
        messaging_profile_id: '4000eba1-a0c0-4563-9925-b25e842a7cb6',
        organization_id: 'b448f9cc-a842-4784-98e9-03c1a5872950',
        from: { phone_number: options.from ?? '+18445550001', carrier: 'TELNYX LLC', line_type: 'VoIP' },
        to: [{ phone_number: options.to ?? '+18665550001', status: options.status, carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' }],
        cc: [],
        text: 'Hello, World!',
        media: [],
        encoding: 'GSM-7',
        parts: 1,
        tags: [],
        cost: { amount: '0.0051', currency: 'USD' },
        received_at: now,
        sent_at: now,
        completed_at: finalized === 'message.finalized' ? now : null,
        valid_until: null,
        errors: options.errors ?? [],
      },
    },
    meta: { attempt: 1, delivered_to: 'https://www.example.com/hooks' },
  };
}

/** A message.received event, as in Telnyx's inboundMessage example. */
export function telnyxInboundEvent(options: { from: string; to: string; text: string; id?: string; receivedAt?: string }): Record<string, unknown> {
  const receivedAt = options.receivedAt ?? new Date().toISOString();
  return {
    data: {
      record_type: 'event',
      id: randomUUID(),
      event_type: 'message.received',
      occurred_at: receivedAt,
      payload: {
        record_type: 'message',
        direction: 'inbound',
        id: options.id ?? randomUUID(),
        type: 'SMS',
        messaging_profile_id: '0f512bda-ae1e-4597-8e11-e5f5686b97d3',
        organization_id: 'b448f9cc-a842-4784-98e9-03c1a5872950',
        from: { phone_number: options.from, carrier: 'T-MOBILE USA, INC.', line_type: 'Wireless' },
        to: [{ phone_number: options.to, status: 'webhook_delivered', carrier: 'TELNYX LLC', line_type: 'VoIP' }],
        cc: [],
        text: options.text,
        media: [],
        encoding: 'GSM-7',
        parts: 1,
        tags: [],
        received_at: receivedAt,
        sent_at: null,
        completed_at: null,
        valid_until: null,
        errors: [],
      },
    },
    meta: { attempt: 1, delivered_to: 'https://www.example.com/hooks' },
  };
}

// --- The crash test's fake --------------------------------------------------------------

/**
 * For the crash test: a Telnyx that accepts every valid send after 20-80 ms. Telnyx
 * documents no idempotency key and no lookup by our reference, so, like the real one, it
 * delivers every send it accepts: a resend after a lost answer is a second text, and
 * deliveredTo counts it.
 */
export async function startTelnyxCrashFake(): Promise<{ url: string; env: Record<string, string>; deliveredTo(n: string): number; close(): Promise<void> }> {
  const keys = telnyxKeys();
  const delivered = new Map<string, number>();
  const fake = await startFakeTelnyx(TELNYX_API_KEY, (req) => {
    const reply = acceptTelnyxMessage(req);
    const to = bodyOf(req)?.to;
    if (reply.status === 200 && typeof to === 'string') delivered.set(to, (delivered.get(to) ?? 0) + 1);
    return { ...reply, delayMs: 20 + Math.floor(Math.random() * 61) };
  });
  return {
    url: fake.url,
    env: { TELNYX_API_KEY, TELNYX_FROM: '+18445550001', TELNYX_PUBLIC_KEY: keys.publicKey, TELNYX_BASE_URL: fake.url },
    deliveredTo: (n) => delivered.get(n) ?? 0,
    close: () => fake.close(),
  };
}
