import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake Vonage SMS API (POST /sms/json), built from Vonage's documentation:
 * - the SMS API reference and its official spec (../shared/vendor-specs/vonage_sms.yml,
 *   https://developer.vonage.com/en/api/sms): form fields, the HTTP 200 answer with
 *   `messages[]` whose `status` "0" is success;
 * - the error table (https://developer.vonage.com/en/api-errors/sms): every non-zero
 *   status with its `error-text`;
 * - delivery receipts (https://developer.vonage.com/en/messaging/sms/guides/delivery-receipts,
 *   the spec's DeliveryReceipt) and opt-outs, err-code 9
 *   (https://developer.vonage.com/en/opt-out-assist/guides/messaging-opted-out-numbers);
 * - signing (https://developer.vonage.com/en/getting-started/concepts/signing-messages).
 * Like the real one it answers HTTP 200 to everything it can parse: bad credentials are
 * status "4", a missing field status "2". A well-formed, authenticated send is answered by
 * the test's responder, by default accepted under a fresh message-id.
 */

export const VONAGE_PATH = '/sms/json';

export interface VonageAccount {
  apiKey: string;
  apiSecret: string;
}

export type FakeVonage = FakeServer;

export async function startFakeVonage(
  account: VonageAccount,
  responder: (req: RecordedRequest) => FakeReply | Promise<FakeReply> = (req) => vonageAccepted(formOf(req).get('to') ?? ''),
): Promise<FakeVonage> {
  let current = responder;
  const server = await startFakeServer((req) => {
    if (req.method !== 'POST' || req.path !== VONAGE_PATH) return { status: 404, body: 'Not Found' };
    const form = formOf(req);
    if (form.get('api_key') !== account.apiKey || form.get('api_secret') !== account.apiSecret) {
      return vonageRefused('4', 'Bad Credentials');
    }
    const missing = ['from', 'to', 'text'].find((name) => !form.get(name));
    if (missing) return vonageRefused('2', `Missing ${missing} param`);
    return current(req);
  });
  return {
    ...server,
    respond: (r) => {
      current = r;
    },
  };
}

/** The form fields of a recorded request. */
export function formOf(req: RecordedRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}

/** Vonage's success: one part, status "0", a fresh message-id unless given. */
export function vonageAccepted(to: string, messageId: string = freshMessageId()): FakeReply {
  return json(200, {
    'message-count': '1',
    messages: [{ to, 'message-id': messageId, status: '0', 'remaining-balance': '3.14159265', 'message-price': '0.03330000', network: '12345' }],
  });
}

/** Vonage's refusal: still HTTP 200, with a non-zero status and its error-text. */
export function vonageRefused(status: string, errorText: string): FakeReply {
  return json(200, { 'message-count': '1', messages: [{ status, 'error-text': errorText }] });
}

function freshMessageId(): string {
  return randomBytes(8).toString('hex').toUpperCase();
}

// --- Signed webhooks -------------------------------------------------------------------

/** The dashboard's five methods: "MD5 hash", then MD5, SHA1, SHA-256 and SHA-512 HMAC. */
export type VonageSignatureMethod = 'md5hash' | 'md5' | 'sha1' | 'sha256' | 'sha512';

/**
 * Adds `sig` as Vonage computes it (written from the signing page, not from the adapter,
 * and pinned in test/sms/vonage.test.ts to the vectors of Vonage's Python SDK tests):
 * every field sorted by name as "&name=value" (with "&" and "=" in values replaced by
 * "_"); md5 of that plus the secret, or the HMAC keyed with the secret. HMAC signatures
 * come upper-case, as Vonage's examples show them.
 */
export function signVonageParams(
  params: Record<string, string>,
  secret: string,
  method: VonageSignatureMethod = 'md5hash',
): Record<string, string> {
  const base = Object.keys(params)
    .sort()
    .map((name) => `&${name}=${params[name].replace(/[&=]/g, '_')}`)
    .join('');
  const sig =
    method === 'md5hash'
      ? createHash('md5').update(base + secret).digest('hex')
      : createHmac(method, secret).update(base).digest('hex').toUpperCase();
  return { ...params, sig };
}

export interface VonageWebhookOptions {
  /** Signs with this secret; unsigned when absent. */
  secret?: string;
  method?: VonageSignatureMethod;
  /** The signed timestamp's clock (default: now). */
  now?: Date;
  /** How Vonage delivers it: GET query (its default), POST form, or POST JSON. */
  as?: 'query' | 'form' | 'json';
  /** The callback URL (default https://t.example.test/sms/vonage/status). */
  url?: string;
}

/** A delivery receipt as Vonage sends it, signed when a secret is given. */
export function vonageReceipt(fields: Record<string, string>, options: VonageWebhookOptions = {}): WebhookRequest {
  const receipt = {
    msisdn: '16175551234',
    to: 'AcmeInc',
    'network-code': '310004',
    messageId: '0A0000001234567B',
    price: '0.03330000',
    status: 'delivered',
    scts: '2001011400',
    'err-code': '0',
    'api-key': 'abcd1234',
    'client-ref': 'msg_abc123',
    'message-timestamp': '2020-01-01 12:00:00',
    ...fields,
  };
  return vonageWebhook(receipt, { url: 'https://t.example.test/sms/vonage/status', ...options });
}

/** An inbound text as Vonage sends it, signed when a secret is given. */
export function vonageInbound(fields: Record<string, string>, options: VonageWebhookOptions = {}): WebhookRequest {
  const inbound = {
    msisdn: '16175551234',
    to: '14155550100',
    messageId: '0A0000000123ABCD1',
    text: 'STOP',
    type: 'text',
    keyword: 'STOP',
    'api-key': 'abcd1234',
    'message-timestamp': '2020-01-01 12:00:00',
    ...fields,
  };
  return vonageWebhook(inbound, { url: 'https://t.example.test/sms/vonage/inbound', ...options });
}

/** Any Vonage callback: the signed fields (timestamp and nonce added) in the chosen delivery. */
export function vonageWebhook(fields: Record<string, string>, options: VonageWebhookOptions & { url: string }): WebhookRequest {
  const params = options.secret
    ? signVonageParams(
        {
          timestamp: String(Math.floor((options.now ?? new Date()).getTime() / 1000)),
          nonce: randomBytes(16).toString('hex'),
          ...fields,
        },
        options.secret,
        options.method,
      )
    : fields;
  const query = new URLSearchParams(params).toString();
  switch (options.as ?? 'query') {
    case 'query':
      return { url: `${options.url}?${query}`, method: 'GET', headers: {}, rawBody: '', params };
    case 'form':
      return { url: options.url, method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, rawBody: query, params };
    case 'json':
      return { url: options.url, method: 'POST', headers: { 'content-type': 'application/json' }, rawBody: JSON.stringify(params), params };
  }
}

// --- The crash test's fake -----------------------------------------------------------------

export interface VonageCrashFake {
  url: string;
  /** The server environment that points the vonage gateway at this fake. */
  env: Record<string, string>;
  /**
   * How many texts a real Vonage would have delivered to the number: every accepted send,
   * since the SMS API does not deduplicate by client-ref (a resend is a second text).
   */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

const CRASH_ACCOUNT = { apiKey: 'crash123', apiSecret: 'crash-api-secret-0123', from: 'AcmeInc', signatureSecret: 'crash-signature-secret-0123' };

/**
 * A Vonage that accepts every valid send after 20 to 80 ms, as the crash test needs. It
 * keeps no client-ref index because Vonage documents none: a resend after a lost answer is
 * delivered again, which is why the README gives Vonage "at least once".
 */
export async function startVonageCrashFake(): Promise<VonageCrashFake> {
  const delivered = new Map<string, number>();
  const fake = await startFakeVonage(CRASH_ACCOUNT, (req) => {
    const to = formOf(req).get('to') ?? '';
    delivered.set(to, (delivered.get(to) ?? 0) + 1);
    return { ...vonageAccepted(to), delayMs: 20 + Math.floor(Math.random() * 60) };
  });
  return {
    url: fake.url,
    env: {
      VONAGE_API_KEY: CRASH_ACCOUNT.apiKey,
      VONAGE_API_SECRET: CRASH_ACCOUNT.apiSecret,
      VONAGE_FROM: CRASH_ACCOUNT.from,
      VONAGE_SIGNATURE_SECRET: CRASH_ACCOUNT.signatureSecret,
      VONAGE_BASE_URL: fake.url,
    },
    deliveredTo: (number) => delivered.get(number.replace(/^\+/, '')) ?? 0,
    close: () => fake.close(),
  };
}
