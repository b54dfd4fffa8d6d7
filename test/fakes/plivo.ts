import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Plivo Message API speaking Plivo's documented wire format:
 * - send (POST /v1/Account/{auth_id}/Message/): JSON `src`, `dst`, `text`, `url`; 202
 *   `{api_id, message, message_uuid: [id]}` or `{api_id, error}`
 *   (https://www.plivo.com/docs/messaging/api/message/send-a-message);
 * - list (GET the same path): filters message_direction, to_number / from_number (E.164
 *   with "+"), message_time__gte ("YYYY-MM-DD HH:MM[:ss]", UTC), limit; answers
 *   `{api_id, meta, objects: [MDR...]}`, MDR numbers without "+"
 *   (https://www.plivo.com/docs/messaging/api/message/list-all-messages); Plivo allows it
 *   20 requests a minute, then answers 429 "too many requests": tests set listReply for that;
 * - callbacks: status fields and error codes (https://www.plivo.com/docs/messaging/troubleshooting/error-codes:
 *   200 = the recipient replied STOP), incoming-message fields
 *   (https://www.plivo.com/docs/messaging/xml/request), signed V2 / Ma-V2
 *   (https://www.plivo.com/docs/messaging/concepts/signature-validation) or V3 / Ma-V3
 *   (plivo-node lib/utils/v3Security.js).
 * Like the real one it checks HTTP Basic first (401) and the resource path (404); then the
 * test's responder answers a send, by default acceptPlivoMessage. Every send it accepts
 * (a 202 with a uuid) becomes a message record the list finds.
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
  /** The message records, as the list API would find them (tests may add or clear them). */
  records: PlivoRecord[];
  /** Answer the next list requests with this instead (429, 500...); undefined: the records. */
  listReply: FakeReply | undefined;
}

/** A message detail record (MDR), as the list API gives it. */
export interface PlivoRecord {
  message_uuid: string;
  from_number: string;
  to_number: string;
  message_direction: 'outbound' | 'inbound';
  message_state: string;
  /** "YYYY-MM-DD HH:MM:ss+00:00". */
  message_time: string;
  message_type: 'sms';
  error_code: string;
}

export function plivoMessagesPath(authId: string): string {
  return `/v1/Account/${authId}/Message/`;
}

export async function startFakePlivo(account: PlivoAccount = PLIVO_ACCOUNT, responder: Responder = acceptPlivoMessage): Promise<FakePlivo> {
  let current = responder;
  const expectedAuth = `Basic ${Buffer.from(`${account.authId}:${account.authToken}`).toString('base64')}`;
  const messagesPath = plivoMessagesPath(account.authId);
  const fake = { records: [] as PlivoRecord[], listReply: undefined as FakeReply | undefined };
  const server = await startFakeServer(async (req) => {
    if (req.headers.authorization !== expectedAuth) return plivoError(401, 'authentication failed');
    if (req.path !== messagesPath) return plivoError(404, 'not found');
    if (req.method === 'GET') return fake.listReply ?? listPlivoMessages(fake.records, req.query);
    if (req.method !== 'POST') return plivoError(405, 'method not allowed');
    const reply = await current(req);
    recordIfQueued(fake.records, req, reply);
    return reply;
  });
  return Object.assign(fake, {
    ...server,
    messagesPath,
    respond: (r: Responder) => {
      current = r;
    },
  });
}

/** A 202 with a uuid means Plivo now holds a record of the text (its MDR). */
function recordIfQueued(records: PlivoRecord[], req: RecordedRequest, reply: FakeReply): void {
  if (reply.status !== 202 || !reply.body) return;
  let uuid: string | undefined;
  try {
    uuid = (JSON.parse(reply.body) as { message_uuid?: string[] }).message_uuid?.[0];
  } catch {
    return; // not Plivo's answer (the tests' proxy page): nothing was queued
  }
  const message = jsonOf(req);
  if (!uuid || !message) return;
  records.push({
    message_uuid: uuid,
    from_number: String(message.src).replace(/^\+/, ''),
    to_number: String(message.dst).replace(/\D/g, ''),
    message_direction: 'outbound',
    message_state: 'queued',
    message_time: `${new Date().toISOString().slice(0, 19).replace('T', ' ')}+00:00`,
    message_type: 'sms',
    error_code: '',
  });
}

/**
 * The list API over the records: newest first, filtered as documented. A filter time with
 * minutes only ("YYYY-MM-DD HH:MM") is read as that minute's start.
 */
export function listPlivoMessages(records: readonly PlivoRecord[], query: URLSearchParams): FakeReply {
  const gte = query.get('message_time__gte');
  const since = gte ? Date.parse(`${gte.replace(' ', 'T')}Z`) : Date.now() - 24 * 3600_000;
  if (Number.isNaN(since)) return plivoError(400, 'invalid message_time__gte');
  const limit = Math.min(Number(query.get('limit') ?? '20'), 20);
  const wanted = (record: PlivoRecord) =>
    (!query.get('message_direction') || record.message_direction === query.get('message_direction')) &&
    (!query.get('to_number') || `+${record.to_number}` === query.get('to_number')) &&
    (!query.get('from_number') || `+${record.from_number}` === query.get('from_number') || record.from_number === query.get('from_number')) &&
    Date.parse(record.message_time.replace(' ', 'T')) >= since;
  const matching = records.filter(wanted).reverse();
  return json(200, {
    api_id: randomUUID(),
    meta: { limit, next: null, offset: 0, previous: null, total_count: matching.length },
    objects: matching.slice(0, limit),
  });
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
  options: { scheme?: 'v3' | 'v2'; nonce?: string; mainAccountToken?: string } = {},
): WebhookRequest {
  const nonce = options.nonce ?? randomBytes(10).readBigUInt64BE().toString();
  // Plivo sends the plain header signed with the (sub)account's token and the -Ma- one
  // signed with the main account's; for a main account both carry the same signature.
  const main = options.mainAccountToken ?? authToken;
  const signature =
    options.scheme === 'v2'
      ? {
          'x-plivo-signature-v2': plivoSignatureV2(authToken, url, nonce),
          'x-plivo-signature-ma-v2': plivoSignatureV2(main, url, nonce),
          'x-plivo-signature-v2-nonce': nonce,
        }
      : {
          'x-plivo-signature-v3': plivoSignatureV3(authToken, url, fields, nonce),
          'x-plivo-signature-ma-v3': plivoSignatureV3(main, url, fields, nonce),
          'x-plivo-signature-v3-nonce': nonce,
        };
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

// --- The crash test's fake -----------------------------------------------------------------

export interface PlivoCrashFake {
  url: string;
  /** The server environment that points the plivo gateway at this fake. */
  env: Record<string, string>;
  /** Texts a real Plivo would have delivered to the number: one per message record. */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

const CRASH_ACCOUNT = { authId: 'MACRASHFAKE000000042', authToken: 'crash-fake-auth-token-0123456789' } as const;

/**
 * A Plivo that accepts every valid send after 20 to 80 ms and answers the list API from
 * what it accepted, as the crash test needs: a text whose answer was lost is found by the
 * adapter's lookup instead of being sent twice. The list's rate limit is left out here
 * (the crash test measures duplicates, not patience); the unit tests cover the 429.
 */
export async function startPlivoCrashFake(): Promise<PlivoCrashFake> {
  const fake = await startFakePlivo(CRASH_ACCOUNT, (req) => ({ ...acceptPlivoMessage(req), delayMs: 20 + Math.floor(Math.random() * 60) }));
  return {
    url: fake.url,
    env: { PLIVO_AUTH_ID: CRASH_ACCOUNT.authId, PLIVO_AUTH_TOKEN: CRASH_ACCOUNT.authToken, PLIVO_FROM: '14155550199', PLIVO_BASE_URL: fake.url },
    deliveredTo: (number) => fake.records.filter((r) => r.to_number === number.replace(/\D/g, '')).length,
    close: () => fake.close(),
  };
}
