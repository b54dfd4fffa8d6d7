import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Sinch SMS REST API speaking Sinch's wire format, built from its documentation:
 * - send: POST /xms/v1/{service_plan_id}/batches, Bearer API token; 201 with the batch
 *   (https://developers.sinch.com/docs/sms/api-reference/sms/batches/sendsms);
 * - errors: 400/403 `{code, text}` (syntax_invalid_json, syntax_invalid_parameter_format,
 *   syntax_constraint_violation; unprovisioned_region, blocked_account, illegal_number_type)
 *   (https://developers.sinch.com/docs/sms/api-reference/status-codes and
 *   https://community.sinch.com/t5/SMS/Common-SMS-HTTP-Statuses-and-Codes-Explained/ta-p/14163);
 * - list: GET /xms/v1/{service_plan_id}/batches with page, page_size, start_date,
 *   client_reference, answering `{count, page, page_size, batches}`: batches of the last
 *   14 days (https://developers.sinch.com/docs/sms/api-reference/sms/batches/listbatches;
 *   filter on client_reference since the 2022 release notes). Sinch does not deduplicate:
 *   two batches with one client_reference are two texts.
 * - callbacks: recipient_delivery_report_sms and mo_text JSON, authenticated with the
 *   x-sinch-webhook-signature HMAC or HTTP Basic
 *   (https://developers.sinch.com/docs/sms/api-reference/sms/tag/Webhooks/).
 */

export const SINCH_ACCOUNT = { servicePlanId: 'jd63jf88477ll123ab4567cd89012ef3', apiToken: 'sinch-api-token-0123456789abcdef' } as const;

export interface SinchAccount {
  servicePlanId: string;
  apiToken: string;
}

/** A batch the fake accepted, as the list API returns it. */
export interface SinchBatch {
  id: string;
  to: string[];
  from: string;
  body: string;
  type: 'mt_text';
  canceled: boolean;
  created_at: string;
  modified_at: string;
  delivery_report: string;
  client_reference?: string;
  callback_url?: string;
}

export interface FakeSinch extends FakeServer {
  batchesPath: string;
  /** Every batch accepted so far (what the list API knows). */
  batches: SinchBatch[];
  /** The fake's own answer to a send: validated, kept for the list, 201 with the batch. */
  accept: Responder;
}

export function sinchBatchesPath(servicePlanId: string): string {
  return `/xms/v1/${servicePlanId}/batches`;
}

/** A Sinch 400/403 answer. */
export function sinchError(status: number, code: string, text: string): FakeReply {
  return json(status, { code, text });
}

/** A batch id as Sinch writes them (a ULID). */
function batchId(): string {
  const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return Array.from(randomBytes(26), (b) => alphabet[b % 32]).join('');
}

export function bodyOf(req: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a send the way Sinch documents it and, when valid, returns the batch it would
 * create; otherwise Sinch's 400 answer.
 */
export function validSinchBatch(req: RecordedRequest): { batch: SinchBatch } | { reply: FakeReply } {
  const body = bodyOf(req);
  if (!body) return { reply: sinchError(400, 'syntax_invalid_json', 'The JSON in the request is invalid') };
  const { to, from, body: text } = body;
  if (!Array.isArray(to) || to.length === 0 || typeof from !== 'string' || typeof text !== 'string' || text === '') {
    return { reply: sinchError(400, 'syntax_constraint_violation', 'to, from and body are required') };
  }
  if (!to.every((n) => typeof n === 'string' && /^\+?[1-9]\d{6,14}$/.test(n))) {
    return { reply: sinchError(400, 'syntax_invalid_parameter_format', 'Invalid phone number format in field "to"') };
  }
  const now = new Date().toISOString();
  return {
    batch: {
      id: batchId(),
      to: to as string[],
      from,
      body: text,
      type: 'mt_text',
      canceled: false,
      created_at: now,
      modified_at: now,
      delivery_report: typeof body.delivery_report === 'string' ? body.delivery_report : 'none',
      ...(typeof body.client_reference === 'string' ? { client_reference: body.client_reference } : {}),
      ...(typeof body.callback_url === 'string' ? { callback_url: body.callback_url } : {}),
    },
  };
}

/**
 * Starts the fake. Like Sinch it refuses a wrong token (401) and an unknown path (404);
 * a valid send goes to the responder (by default: accepted, 201 with the batch).
 */
export async function startFakeSinch(account: SinchAccount = SINCH_ACCOUNT, responder?: Responder, options: { delayMs?: () => number } = {}): Promise<FakeSinch> {
  const batches: SinchBatch[] = [];
  const accept: Responder = (req) => {
    const checked = validSinchBatch(req);
    if ('reply' in checked) return checked.reply;
    batches.push(checked.batch);
    return { ...json(201, checked.batch), ...(options.delayMs ? { delayMs: options.delayMs() } : {}) };
  };
  let current = responder ?? accept;
  const path = sinchBatchesPath(account.servicePlanId);
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== `Bearer ${account.apiToken}`) return sinchError(401, 'unauthorized', 'Unauthorized');
    if (req.path !== path) return json(404, { code: 'not_found', text: 'Not Found' });
    if (req.method === 'GET') return listBatches(batches, req.query);
    if (req.method !== 'POST') return json(405, { code: 'method_not_allowed', text: 'Method Not Allowed' });
    return current(req);
  });
  return {
    ...server,
    batchesPath: path,
    batches,
    accept,
    respond: (r) => {
      current = r;
    },
  };
}

/** The list API: newest first, filtered by start_date (default now − 24 h) and client_reference. */
function listBatches(batches: SinchBatch[], query: URLSearchParams): FakeReply {
  const start = Date.parse(query.get('start_date') ?? new Date(Date.now() - 24 * 3600_000).toISOString());
  const reference = query.get('client_reference');
  const pageSize = Math.min(Number(query.get('page_size') ?? 30), 100);
  const page = Number(query.get('page') ?? 0);
  const matching = batches
    .filter((b) => Date.parse(b.created_at) >= start && (reference === null || b.client_reference === reference))
    .reverse();
  return json(200, { count: matching.length, page, page_size: pageSize, batches: matching.slice(page * pageSize, (page + 1) * pageSize) });
}

// --- Callbacks -------------------------------------------------------------------------

/**
 * x-sinch-webhook-signature as Sinch documents it for its webhooks (and the SDKs verify for
 * SMS callbacks): base64 HMAC-SHA256 (or -SHA512) of "<raw body>.<nonce>.<timestamp>".
 * Written here from the documentation, independently of the adapter, and pinned to the
 * test vector in Sinch's .NET SDK tests (see test/sms/sinch.test.ts).
 */
export function sinchSignature(secret: string, rawBody: string, nonce: string, timestamp: string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return createHmac(algorithm, secret).update(`${rawBody}.${nonce}.${timestamp}`, 'utf8').digest('base64');
}

export interface SinchCallbackAuth {
  /** Sign with this HMAC secret. */
  secret?: string;
  /** Send these HTTP Basic credentials. */
  basic?: { user: string; password: string };
  /** Unix seconds; now by default. */
  timestamp?: number;
  algorithm?: 'HmacSHA256' | 'HmacSHA512';
}

/** A JSON callback as Sinch posts it to url. */
export function sinchCallback(url: string, payload: Record<string, unknown>, auth: SinchCallbackAuth = {}): WebhookRequest {
  const rawBody = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.secret) {
    const timestamp = String(auth.timestamp ?? Math.floor(Date.now() / 1000));
    const nonce = randomBytes(13).toString('base64url');
    const algorithm = auth.algorithm ?? 'HmacSHA256';
    headers['x-sinch-webhook-signature-timestamp'] = timestamp;
    headers['x-sinch-webhook-signature-nonce'] = nonce;
    headers['x-sinch-webhook-signature-algorithm'] = algorithm;
    headers['x-sinch-webhook-signature'] = sinchSignature(auth.secret, rawBody, nonce, timestamp, algorithm === 'HmacSHA512' ? 'sha512' : 'sha256');
  }
  if (auth.basic) headers.authorization = `Basic ${Buffer.from(`${auth.basic.user}:${auth.basic.password}`).toString('base64')}`;
  return { url, method: 'POST', headers, rawBody, params: payload };
}

/** A per-recipient delivery report, as the documentation's example has it. */
export function sinchRecipientReport(options: { batchId: string; status: string; code?: number; recipient?: string; clientReference?: string }): Record<string, unknown> {
  return {
    type: 'recipient_delivery_report_sms',
    batch_id: options.batchId,
    recipient: options.recipient ?? '+16175551234',
    code: options.code ?? (options.status === 'Delivered' ? 0 : 401),
    status: options.status,
    at: new Date().toISOString(),
    operator_status_at: new Date().toISOString(),
    ...(options.clientReference ? { client_reference: options.clientReference } : {}),
  };
}

/** An inbound text (mo_text) as Sinch posts it to the service plan's callback URL. */
export function sinchMoText(options: { from: string; to: string; body: string; id?: string; receivedAt?: string }): Record<string, unknown> {
  return {
    type: 'mo_text',
    id: options.id ?? batchId(),
    from: options.from,
    to: options.to,
    body: options.body,
    operator_id: '310260',
    received_at: options.receivedAt ?? new Date().toISOString(),
  };
}

// --- The crash test's fake -------------------------------------------------------------

/**
 * For the crash test: accepts every valid send after 20–80 ms, keeps every batch (no
 * deduplication, as Sinch documents none) and answers the batch list by client_reference,
 * which is what the adapter's findSent asks. deliveredTo counts the batches to a number:
 * a resend that was not looked up first counts twice, as a real handset would.
 */
export async function startSinchCrashFake(): Promise<{ url: string; env: Record<string, string>; deliveredTo(n: string): number; close(): Promise<void> }> {
  const fake = await startFakeSinch(SINCH_ACCOUNT, undefined, { delayMs: () => 20 + Math.floor(Math.random() * 61) });
  const digits = (n: string): string => n.replace(/\D/g, '');
  return {
    url: fake.url,
    env: { SINCH_SERVICE_PLAN_ID: SINCH_ACCOUNT.servicePlanId, SINCH_API_TOKEN: SINCH_ACCOUNT.apiToken, SINCH_FROM: '+14155550142', SINCH_BASE_URL: fake.url },
    deliveredTo: (n) => fake.batches.filter((b) => b.to.some((to) => digits(to) === digits(n))).length,
    close: () => fake.close(),
  };
}
