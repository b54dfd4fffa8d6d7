import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Twilio REST API (2010-04-01 Messages) speaking Twilio's wire format. Like the
 * real one it checks HTTP Basic first (401, error 20003) and the resource path (404,
 * error 20404); then the test's responder answers, by default acceptTwilioMessage.
 * Also builds status callbacks and inbound texts signed the way Twilio signs them.
 */

/** Credentials shaped like real ones (the Twilio spec pins AccountSid to AC + 32 hex). */
export const TWILIO_ACCOUNT = {
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
} as const;

export interface TwilioAccount {
  accountSid: string;
  authToken: string;
}

export interface FakeTwilio extends FakeServer {
  /** The Messages resource path for the account. */
  messagesPath: string;
}

export function twilioMessagesPath(accountSid: string): string {
  return `/2010-04-01/Accounts/${accountSid}/Messages.json`;
}

/** `port` 0 picks a free one; a given port lets a test bring a "crashed" Twilio back where it was. */
export async function startFakeTwilio(
  account: TwilioAccount = TWILIO_ACCOUNT,
  responder: Responder = acceptTwilioMessage,
  port = 0,
): Promise<FakeTwilio> {
  let current = responder;
  const expectedAuth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  const messagesPath = twilioMessagesPath(account.accountSid);
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate');
    if (req.method !== 'POST' || req.path !== messagesPath) {
      return twilioError(404, 20404, `The requested resource ${req.path} was not found`);
    }
    return current(req);
  }, port);
  return {
    ...server,
    messagesPath,
    respond: (r) => {
      current = r;
    },
  };
}

/** Twilio's answer to a well-formed send: 201 with the new Message resource, status "queued". */
export function acceptTwilioMessage(req: RecordedRequest): FakeReply {
  const form = formOf(req);
  const missing = missingField(form);
  if (missing) return missing;
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const accountSid = req.path.split('/')[3];
  const now = new Date().toUTCString().replace('GMT', '+0000');
  return json(201, {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: form.get('Body'),
    date_created: now,
    date_sent: null,
    date_updated: now,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: form.get('From'),
    messaging_service_sid: form.get('MessagingServiceSid'),
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid,
    status: 'queued',
    subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
    to: form.get('To'),
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
  });
}

/** Twilio reads only form fields: a JSON body reaches it as a request with no To at all. */
function formOf(req: RecordedRequest): URLSearchParams {
  const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  return new URLSearchParams(form ? req.body : '');
}

function missingField(form: URLSearchParams): FakeReply | undefined {
  if (!form.get('To')) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!form.get('From') && !form.get('MessagingServiceSid')) return twilioError(400, 21603, "A 'From' phone number is required.");
  if (!form.get('Body') && !form.get('MediaUrl')) return twilioError(400, 21602, 'Message body is required.');
  return undefined;
}

/** A Twilio error answer: `{code, message, more_info, status}`. */
export function twilioError(status: number, code: number, message: string, headers: Record<string, string> = {}): FakeReply {
  return json(status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);
}

// --- Signed callbacks -------------------------------------------------------------------

/**
 * X-Twilio-Signature as Twilio computes it: base64 HMAC-SHA1 (auth token) of the URL
 * followed by each POST field's name and value, sorted by name. Written independently
 * of the adapter, and pinned to Twilio's published example in the tests.
 */
export function twilioSignature(authToken: string, url: string, fields: Record<string, string>): string {
  const data = Object.keys(fields)
    .sort()
    .reduce((acc, name) => acc + name + fields[name], url);
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * A form POST to url as Twilio would send it, signed with authToken. It has every field
 * a WebhookRequest has, and rawBody plus headers are what a supertest call needs.
 */
export function signedTwilioRequest(authToken: string, url: string, fields: Record<string, string>): WebhookRequest {
  return {
    url,
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(authToken, url, fields),
    },
    rawBody: new URLSearchParams(fields).toString(),
    params: { ...Object.fromEntries(new URL(url).searchParams), ...fields },
  };
}

/** The fields of a message status callback, as Twilio posts them. */
export function twilioStatusFields(options: {
  messageSid: string;
  status: string;
  errorCode?: string;
  accountSid?: string;
  from?: string;
  to?: string;
}): Record<string, string> {
  return {
    AccountSid: options.accountSid ?? TWILIO_ACCOUNT.accountSid,
    ApiVersion: '2010-04-01',
    From: options.from ?? '+15005550006',
    MessageSid: options.messageSid,
    MessageStatus: options.status,
    SmsSid: options.messageSid,
    SmsStatus: options.status,
    To: options.to ?? '+14155550100',
    ...(options.errorCode !== undefined ? { ErrorCode: options.errorCode } : {}),
  };
}

/** The fields of an incoming text, as Twilio posts them to a number's messaging webhook. */
export function twilioInboundFields(options: { from: string; to: string; body: string; accountSid?: string }): Record<string, string> {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  return {
    AccountSid: options.accountSid ?? TWILIO_ACCOUNT.accountSid,
    ApiVersion: '2010-04-01',
    Body: options.body,
    From: options.from,
    FromCountry: 'US',
    MessageSid: sid,
    NumMedia: '0',
    NumSegments: '1',
    SmsMessageSid: sid,
    SmsSid: sid,
    SmsStatus: 'received',
    To: options.to,
    ToCountry: 'US',
  };
}

// --- The Message list, and the crash test's Twilio ---------------------------------------

/** One text Twilio accepted, as its Message resource keeps it. */
export interface TwilioStoredMessage {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  messagingServiceSid: string | null;
  /** When Twilio created the resource (ms since epoch). */
  createdAt: number;
}

/** RFC 2822, as Twilio writes date_created ("Fri, 24 May 2019 17:44:46 +0000"). */
function twilioDate(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/**
 * A Twilio account's Messages, kept as Twilio keeps them: every accepted POST is a new
 * Message (Twilio deduplicates nothing: no client reference exists), and the list
 * (GET .../Messages.json) filters by To and From and pages with PageSize, newest first,
 * answering the ListMessageResponse shape of the official spec
 * (twilio_api_v2010.json, example readFullPage1;
 * https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources).
 * date_sent is null: these texts are still queued at Twilio, as a burst's are.
 */
export class TwilioMessageLedger {
  readonly messages: TwilioStoredMessage[] = [];

  /** The POST: 201 with the new Message (or Twilio's 400 for a missing field). */
  create(req: RecordedRequest): FakeReply {
    const reply = acceptTwilioMessage(req);
    if (reply.status !== 201) return reply;
    const created = JSON.parse(reply.body ?? '{}') as { sid: string; to: string; from?: string; body: string; messaging_service_sid?: string };
    this.messages.push({
      sid: created.sid,
      to: created.to,
      from: created.from ?? null,
      body: created.body,
      messagingServiceSid: created.messaging_service_sid ?? null,
      createdAt: Date.now(),
    });
    return reply;
  }

  /** The GET: To and From filter exactly; PageSize (default 50, at most 1000); Page and PageToken page on. */
  list(req: RecordedRequest, accountSid: string): FakeReply {
    const to = req.query.get('To');
    const from = req.query.get('From');
    const pageSize = Math.min(Number(req.query.get('PageSize') ?? 50) || 50, 1000);
    const page = Number(req.query.get('Page') ?? 0) || 0;
    const matching = this.messages
      .filter((m) => (!to || m.to === to) && (!from || m.from === from))
      .sort((a, b) => b.createdAt - a.createdAt);
    const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
    const path = twilioMessagesPath(accountSid);
    const query = (p: number) => {
      const q = new URLSearchParams({ ...(to ? { To: to } : {}), ...(from ? { From: from } : {}), PageSize: String(pageSize), Page: String(p) });
      if (p > 0) q.set('PageToken', `PA${p}`);
      return `${path}?${q}`;
    };
    const more = matching.length > (page + 1) * pageSize;
    return json(200, {
      end: page * pageSize + Math.max(slice.length - 1, 0),
      first_page_uri: query(0),
      next_page_uri: more ? query(page + 1) : null,
      page,
      page_size: pageSize,
      previous_page_uri: page > 0 ? query(page - 1) : null,
      start: page * pageSize,
      uri: req.url,
      messages: slice.map((m) => ({
        account_sid: accountSid,
        api_version: '2010-04-01',
        body: m.body,
        date_created: twilioDate(m.createdAt),
        date_sent: null,
        date_updated: twilioDate(m.createdAt),
        direction: 'outbound-api',
        error_code: null,
        error_message: null,
        from: m.from,
        messaging_service_sid: m.messagingServiceSid,
        num_media: '0',
        num_segments: '1',
        price: null,
        price_unit: 'USD',
        sid: m.sid,
        status: 'queued',
        subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}/Media.json` },
        to: m.to,
        uri: `/2010-04-01/Accounts/${accountSid}/Messages/${m.sid}.json`,
      })),
    });
  }

  deliveredTo(to: string): number {
    return this.messages.filter((m) => m.to === to).length;
  }
}

/**
 * A fake Twilio with its Message list: Basic auth checked as Twilio does (401, 20003),
 * POST creates, GET lists, anything else 404 (20404). `delayMs` says how long each answer
 * takes (a real API answers in tens of milliseconds).
 */
export async function startTwilioWithList(
  delayMs: () => number = () => 0,
  account: TwilioAccount = TWILIO_ACCOUNT,
): Promise<FakeServer & { ledger: TwilioMessageLedger }> {
  const ledger = new TwilioMessageLedger();
  const expectedAuth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  const messagesPath = twilioMessagesPath(account.accountSid);
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate');
    if (req.path !== messagesPath || (req.method !== 'POST' && req.method !== 'GET')) {
      return twilioError(404, 20404, `The requested resource ${req.path} was not found`);
    }
    const reply = req.method === 'POST' ? ledger.create(req) : ledger.list(req, account.accountSid);
    return { ...reply, delayMs: delayMs() };
  });
  return { ...server, ledger };
}

/** What the crash test needs of each vendor's fake (see test/faults/crash-burst.test.ts). */
export interface CrashFake {
  url: string;
  /** The server environment that makes the gateway speak to this fake. */
  env: Record<string, string>;
  /** Texts a real vendor would have delivered to this number (a deduplicated resend counts once). */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

/** Twilio for the crash test: accepts every valid send after 20 to 80 ms, and answers the Message list. */
export async function startTwilioCrashFake(): Promise<CrashFake> {
  const twilio = await startTwilioWithList(() => 20 + Math.floor(Math.random() * 61));
  return {
    url: twilio.url,
    env: {
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: '+15005550006',
      TWILIO_BASE_URL: twilio.url,
    },
    deliveredTo: (n) => twilio.ledger.deliveredTo(n),
    close: () => twilio.close(),
  };
}
