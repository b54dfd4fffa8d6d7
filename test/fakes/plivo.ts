import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Plivo Message API (POST /v1/Account/{auth_id}/Message/) speaking Plivo's wire
 * format. Like the real one it checks HTTP Basic first (401) and the resource path (404);
 * then the test's responder answers, by default acceptPlivoMessage. Also builds status
 * callbacks and inbound texts signed the way Plivo signs them.
 */

export const PLIVO_ACCOUNT = {
  authId: 'MAZDQ1ZJIYMDZKMTZKYM',
  authToken: 'ZDNkN2Y0ZGQ2MzU0YTM4YmE3ODI4NzI1ZDQ4NmZm',
} as const;

export interface PlivoAccount {
  authId: string;
  authToken: string;
}

export interface FakePlivo extends FakeServer {
  /** The Message resource path for the account. */
  messagesPath: string;
}

export function plivoMessagesPath(authId: string): string {
  return `/v1/Account/${authId}/Message/`;
}

export async function startFakePlivo(account: PlivoAccount = PLIVO_ACCOUNT, responder: Responder = acceptPlivoMessage): Promise<FakePlivo> {
  let current = responder;
  const expectedAuth = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;
  const messagesPath = plivoMessagesPath(account.authId);
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== expectedAuth) return plivoError(401, 'authentication failed');
    if (req.method !== 'POST' || req.path !== messagesPath) return plivoError(404, 'not found');
    return current(req);
  });
  return {
    ...server,
    messagesPath,
    respond: (r) => {
      current = r;
    },
  };
}

/** Plivo's answer to a well-formed send: 202 `{api_id, message, message_uuid: [id]}`. */
export function acceptPlivoMessage(req: RecordedRequest): FakeReply {
  const message = jsonOf(req);
  if (!message) return plivoError(400, 'invalid json data');
  for (const field of ['src', 'dst', 'text'] as const) {
    if (typeof message[field] !== 'string' || message[field] === '') return plivoError(400, `Missing ${field} parameter`);
  }
  // Plivo strips these characters, then wants a country code and at most 14 digits.
  const dst = String(message.dst).replace(/[/\-.+()\s]/g, '');
  if (!/^\d{7,14}$/.test(dst)) return plivoError(400, 'invalid dst parameter');
  return plivoAccepted();
}

export function plivoAccepted(messageUuid: string = randomUUID()): FakeReply {
  return json(202, { api_id: randomUUID(), message: 'message(s) queued', message_uuid: [messageUuid] });
}

function jsonOf(req: RecordedRequest): Record<string, unknown> | undefined {
  if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return undefined;
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A Plivo error answer: `{api_id, error}`. */
export function plivoError(status: number, error: string, headers: Record<string, string> = {}): FakeReply {
  return json(status, { api_id: randomUUID(), error }, headers);
}

// --- Signed callbacks -------------------------------------------------------------------

/**
 * X-Plivo-Signature-V3 as plivo-node's validateV3Signature and plivo-python's
 * validate_v3_signature compute it for a POST: base64 HMAC-SHA256 (auth token) of
 *   <url without query>[?<sorted query as k=v&k=v>][.]<sorted fields as kv...>.<nonce>
 * where "?" appears when there is a query or a field, and "." only when there are both.
 * Written independently of the adapter, and pinned to vectors from Plivo's SDK code.
 */
export function plivoSignatureV3(authToken: string, url: string, fields: Record<string, string>, nonce: string): string {
  const [base = '', rawQuery = ''] = url.split('?');
  const query = [...new URLSearchParams(rawQuery)]
    .sort(([k1, v1], [k2, v2]) => order(k1, k2) || order(v1, v2))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const names = Object.keys(fields).sort();
  let signed = base;
  if (query || names.length) signed += `?${query}`;
  if (query && names.length) signed += '.';
  signed += names.map((name) => name + fields[name]).join('');
  return createHmac('sha256', authToken).update(`${signed}.${nonce}`, 'utf8').digest('base64');
}

function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** X-Plivo-Signature-V2: base64 HMAC-SHA256 (auth token) of the URL without query, then the nonce. */
export function plivoSignatureV2(authToken: string, url: string, nonce: string): string {
  return createHmac('sha256', authToken).update(url.split('?')[0] + nonce, 'utf8').digest('base64');
}

/**
 * A form POST to url as Plivo would send it, signed with authToken (V3 by default, or
 * only V2 as Plivo's older messaging set-ups do). It has every field a WebhookRequest
 * has, and rawBody plus headers are what a supertest call needs.
 */
export function signedPlivoRequest(
  authToken: string,
  url: string,
  fields: Record<string, string>,
  options: { scheme?: 'v3' | 'v2'; nonce?: string } = {},
): WebhookRequest {
  const nonce = options.nonce ?? randomBytes(10).readBigUInt64BE().toString();
  const signature =
    options.scheme === 'v2'
      ? { 'x-plivo-signature-v2': plivoSignatureV2(authToken, url, nonce), 'x-plivo-signature-v2-nonce': nonce }
      : { 'x-plivo-signature-v3': plivoSignatureV3(authToken, url, fields, nonce), 'x-plivo-signature-v3-nonce': nonce };
  return {
    url,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...signature },
    rawBody: new URLSearchParams(fields).toString(),
    params: { ...Object.fromEntries(new URL(url).searchParams), ...fields },
  };
}

/** The fields of a message status callback (the send's `url`), as Plivo posts them. */
export function plivoStatusFields(options: { messageUuid: string; status: string; errorCode?: string; from?: string; to?: string }): Record<string, string> {
  return {
    ErrorCode: options.errorCode ?? '',
    From: options.from ?? '14155550199',
    MessageUUID: options.messageUuid,
    ParentMessageUUID: options.messageUuid,
    PartInfo: '1 of 1',
    Status: options.status,
    To: options.to ?? '14155550100',
    TotalAmount: '0.00500',
    TotalRate: '0.00500',
    Units: '1',
  };
}

/** The fields of an incoming text, as Plivo posts them to an application's message_url. */
export function plivoInboundFields(options: { from: string; to: string; text: string }): Record<string, string> {
  return { From: options.from, MessageUUID: randomUUID(), Text: options.text, To: options.to, Type: 'sms' };
}
