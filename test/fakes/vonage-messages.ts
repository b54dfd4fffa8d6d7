import { createHash, createHmac, createVerify, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Vonage Messages API (POST /v1/messages), from Vonage's documentation:
 * - the request and its 202 {message_uuid} answer: https://developer.vonage.com/en/api/messages
 *   (and, with a failover, workflow_id: https://developer.vonage.com/en/messages/guides/failover-message);
 * - errors as RFC 7807 problems {type, title, detail, instance}, Content-Type
 *   application/problem+json: https://developer.vonage.com/en/api-errors (401 unauthorized,
 *   402 low-balance, 422 invalid parameters with invalid_parameters, 429 rate limit);
 * - status webhooks: https://developer.vonage.com/en/messages/concepts/messages-status-callbacks;
 * - inbound webhooks: https://developer.vonage.com/en/api/messages#inbound-message;
 * - webhook signing (Bearer HS256 JWT with payload_hash, iat, jti, iss "Vonage"):
 *   https://developer.vonage.com/en/getting-started/concepts/webhooks#decoding-signed-webhooks.
 *
 * Like Vonage, it authenticates each request by its RS256 JWT, verified here with the
 * application's public key by node:crypto directly (not jose, which the adapter uses), and
 * checks the documented claims. Everything it answers 202 for is kept in `accepted`.
 */

export interface VonageApplication {
  applicationId: string;
  /** PEM, as the dashboard downloads it (PKCS#8). */
  privateKey: string;
  publicKey: KeyObject;
  signatureSecret: string;
}

/** A fresh application key per test run: no key is kept in the repository. */
export function vonageApplication(): VonageApplication {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    applicationId: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey,
    signatureSecret: 'vonage-signature-secret-0123456789abcdef',
  };
}

export interface FakeVonageMessages extends FakeServer {
  /** Each accepted message's body and the uuid the fake gave it. */
  accepted: { uuid: string; body: Record<string, unknown> }[];
  /** The claims of the last request's verified JWT. */
  lastClaims: Record<string, unknown> | undefined;
}

export async function startFakeVonageMessages(app: VonageApplication, responder?: Responder, now: () => Date = () => new Date()): Promise<FakeVonageMessages> {
  const accepted: FakeVonageMessages['accepted'] = [];
  const state: { lastClaims: Record<string, unknown> | undefined } = { lastClaims: undefined };
  let current: Responder | undefined = responder;
  const server = await startFakeServer(async (req) => {
    if (req.method !== 'POST' || req.path !== '/v1/messages') return problem(404, 'not-found', 'Not Found', 'The requested resource does not exist, or you do not have access to it');
    const claims = verifiedClaims(req.headers.authorization, app, now());
    if (!claims) return problem(401, 'unauthorized', 'Unauthorized', 'You did not provide correct credentials.');
    state.lastClaims = claims;
    if (current) return current(req);
    return acceptVonageMessage(req, accepted);
  });
  const fake = Object.assign(server, {
    accepted,
    lastClaims: undefined as Record<string, unknown> | undefined,
    respond: (r: Responder) => {
      current = r;
    },
  });
  Object.defineProperty(fake, 'lastClaims', { get: () => state.lastClaims });
  return fake;
}

/** The documented answer to a valid message: 202 {message_uuid} (and workflow_id with a failover). */
export function acceptVonageMessage(req: RecordedRequest, accepted: FakeVonageMessages['accepted'] = []): FakeReply {
  let body: unknown;
  try {
    body = JSON.parse(req.body);
  } catch {
    return problem(422, '1150', 'Invalid params', 'The request body is not valid JSON.');
  }
  const invalid = invalidParameters(body);
  if (invalid.length) {
    return problem(422, '1150', 'Invalid params', 'The value of one or more parameters is invalid.', { invalid_parameters: invalid });
  }
  const uuid = randomUUID();
  const message = body as Record<string, unknown>;
  accepted.push({ uuid, body: message });
  return json(202, { message_uuid: uuid, ...(Array.isArray(message.failover) ? { workflow_id: randomUUID() } : {}) });
}

/** What the API reference requires of each message (the fields this project sends). */
function invalidParameters(body: unknown): { name: string; reason: string }[] {
  const problems: { name: string; reason: string }[] = [];
  if (typeof body !== 'object' || body === null) return [{ name: 'body', reason: 'must be an object' }];
  const m = body as Record<string, unknown>;
  const need = (name: string, ok: boolean, reason: string) => {
    if (!ok) problems.push({ name, reason });
  };
  need('to', typeof m.to === 'string' && /^[1-9]\d{6,14}$/.test(m.to), 'must be a number in E.164 format without the leading +');
  need('from', typeof m.from === 'string' && m.from !== '', 'is required');
  need('channel', ['sms', 'whatsapp', 'rcs', 'mms', 'messenger', 'viber_service'].includes(String(m.channel)), 'is not a channel');
  need('client_ref', m.client_ref === undefined || (typeof m.client_ref === 'string' && m.client_ref.length <= 100), 'at most 100 characters');
  const type = String(m.message_type);
  if (type === 'text') need('text', typeof m.text === 'string' && m.text.length > 0, 'is required for message_type text');
  else if (type === 'template') {
    const t = m.template as Record<string, unknown> | undefined;
    need('template.name', typeof t?.name === 'string', 'is required');
    need('whatsapp.locale', typeof (m.whatsapp as Record<string, unknown> | undefined)?.locale === 'string', 'is required');
    need('channel', m.channel === 'whatsapp', 'template messages are WhatsApp only');
  } else if (type === 'custom') need('custom', typeof m.custom === 'object' && m.custom !== null, 'is required for message_type custom');
  else problems.push({ name: 'message_type', reason: `"${type}" is not supported here` });
  if (m.failover !== undefined) {
    need('failover', Array.isArray(m.failover) && m.failover.every((f) => invalidParameters(f).length === 0), 'each failover message must be a whole message');
  }
  return problems;
}

/** An RFC 7807 problem as Vonage answers it. */
export function problem(status: number, code: string, title: string, detail: string, extra: Record<string, unknown> = {}): FakeReply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: `https://developer.vonage.com/api-errors/messages#${code}`, title, detail, instance: randomUUID(), ...extra }),
  };
}

/**
 * Verifies the request's RS256 JWT with node:crypto and the public key, and checks the
 * claims Vonage documents: application_id (ours), iat, jti, and exp in the future.
 */
function verifiedClaims(authorization: string | undefined, app: VonageApplication, now: Date): Record<string, unknown> | undefined {
  const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
  const parts = token?.split('.');
  if (!parts || parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (decode(header).alg !== 'RS256') return undefined;
  const ok = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(app.publicKey, Buffer.from(signature, 'base64url'));
  if (!ok) return undefined;
  const claims = decode(payload);
  const nowS = Math.floor(now.getTime() / 1000);
  if (claims.application_id !== app.applicationId) return undefined;
  if (typeof claims.iat !== 'number' || typeof claims.jti !== 'string' || claims.jti === '') return undefined;
  if (typeof claims.exp !== 'number' || claims.exp <= nowS) return undefined;
  return claims;
}

// --- Signed webhooks --------------------------------------------------------------------

/**
 * A webhook as Vonage sends it: the JSON body, and "Authorization: Bearer <JWT>" whose
 * HS256 signature (the signature secret) is computed here with node:crypto's HMAC over
 * base64url(header).base64url(payload), independently of jose and the adapter.
 */
export function signedVonageWebhook(
  secret: string,
  url: string,
  body: Record<string, unknown>,
  options: { issuedAt?: Date; payloadHash?: string; alg?: string } = {},
): WebhookRequest {
  const rawBody = JSON.stringify(body);
  const iat = Math.floor((options.issuedAt ?? new Date()).getTime() / 1000);
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = b64({ alg: options.alg ?? 'HS256', typ: 'JWT' });
  const payload = b64({
    iat,
    jti: randomUUID(),
    iss: 'Vonage',
    payload_hash: options.payloadHash ?? createHash('sha256').update(rawBody).digest('hex'),
    api_key: 'abcd1234',
    application_id: 'aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab',
  });
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${header}.${payload}.${signature}` },
    rawBody,
    params: body,
  };
}

/** A status webhook body, shaped like the documented examples. */
export function vonageStatusBody(options: {
  uuid: string;
  status: string;
  channel?: string;
  clientRef?: string;
  error?: { code: string; title: string; detail: string };
}): Record<string, unknown> {
  return {
    message_uuid: options.uuid,
    to: '447700900000',
    from: '447700900001',
    timestamp: '2025-02-03T12:14:25Z',
    status: options.status,
    channel: options.channel ?? 'whatsapp',
    ...(options.clientRef ? { client_ref: options.clientRef } : {}),
    ...(options.error
      ? {
          error: {
            type: `https://developer.vonage.com/api-errors/messages#${options.error.code}`,
            title: options.error.title,
            detail: options.error.detail,
            instance: randomUUID(),
          },
        }
      : {}),
  };
}

/** An inbound message body (text), as documented for each channel. */
export function vonageInboundBody(options: { channel: string; from: string; to: string; text: string; timestamp?: Date }): Record<string, unknown> {
  return {
    channel: options.channel,
    message_uuid: randomUUID(),
    to: options.to,
    from: options.from,
    // Vonage's form: seconds, "Z" (the documented example: "2025-02-03T12:14:25Z").
    timestamp: (options.timestamp ?? new Date('2025-02-03T12:14:25Z')).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    message_type: 'text',
    text: options.text,
    ...(options.channel === 'whatsapp' ? { profile: { name: 'Jane Smith' }, context_status: 'none' } : {}),
  };
}

export { json };
