import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Twilio REST API (2010-04-01 Messages) speaking Twilio's wire format, from
 * https://www.twilio.com/docs/messaging/api/message-resource and the official spec
 * (../shared/vendor-specs/twilio_api_v2010.json). Like the real one it checks HTTP Basic
 * first (401, error 20003) and the resource path (404, error 20404). A POST to Messages
 * is answered by the test's responder, by default acceptTwilioMessage; every message it
 * answers 201 for is kept, as Twilio keeps it, and GET on Messages lists them with the
 * documented filters and paging (listTwilioMessages). Also builds status callbacks and
 * inbound texts signed the way Twilio signs them.
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

/** A Message resource as Twilio answers it (the fields the fake fills). */
export interface TwilioMessage {
  account_sid: string;
  api_version: string;
  body: string;
  date_created: string;
  date_sent: string | null;
  date_updated: string;
  direction: string;
  error_code: number | null;
  error_message: string | null;
  from: string | null;
  messaging_service_sid: string | null;
  num_media: string;
  num_segments: string;
  price: string | null;
  price_unit: string;
  sid: string;
  status: string;
  subresource_uris: Record<string, string>;
  to: string;
  uri: string;
}

export interface FakeTwilio extends FakeServer {
  /** The Messages resource path for the account. */
  messagesPath: string;
  /** Every message the fake has (accepted with 201, or put there by a test), oldest first. */
  messages: TwilioMessage[];
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
  const messages: TwilioMessage[] = [];
  const expectedAuth = `Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`;
  const messagesPath = twilioMessagesPath(account.accountSid);
  const server = await startFakeServer(async (req) => {
    if (req.headers.authorization !== expectedAuth) return twilioError(401, 20003, 'Authenticate');
    if (req.path !== messagesPath || (req.method !== 'POST' && req.method !== 'GET')) {
      return twilioError(404, 20404, `The requested resource ${req.path} was not found`);
    }
    if (req.method === 'GET') return listTwilioMessages(messages, req);
    const reply = await current(req);
    // Twilio has the message once it answers 201, whether or not the answer is read.
    const created = reply.status === 201 ? messageIn(reply.body) : undefined;
    if (created) messages.push(created);
    return reply;
  }, port);
  return {
    ...server,
    messagesPath,
    messages,
    respond: (r) => {
      current = r;
    },
  };
}

/** The Message resource in a 201 body; a test's malformed 201 is no message at all. */
function messageIn(body: string | undefined): TwilioMessage | undefined {
  try {
    const parsed = JSON.parse(body ?? '') as Partial<TwilioMessage>;
    return typeof parsed?.sid === 'string' ? (parsed as TwilioMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** Twilio's answer to a well-formed send: 201 with the new Message resource, status "queued". */
export function acceptTwilioMessage(req: RecordedRequest): FakeReply {
  const form = formOf(req);
  const missing = missingField(form);
  if (missing) return missing;
  return json(
    201,
    twilioMessage({
      accountSid: req.path.split('/')[3] ?? '',
      to: form.get('To') ?? '',
      from: form.get('From'),
      messagingServiceSid: form.get('MessagingServiceSid'),
      body: form.get('Body') ?? '',
    }),
  );
}

/** Twilio's dates are RFC 2822 in GMT: "Fri, 24 May 2019 17:44:46 +0000". */
export function twilioDate(at: Date): string {
  return at.toUTCString().replace('GMT', '+0000');
}

/**
 * A new outbound Message resource as Twilio answers a send (status queued, not sent yet,
 * so no date_sent), shaped like the spec's example; a test may override any field.
 */
export function twilioMessage(options: {
  accountSid?: string;
  to: string;
  from?: string | null;
  messagingServiceSid?: string | null;
  body: string;
  createdAt?: Date;
  overrides?: Partial<TwilioMessage>;
}): TwilioMessage {
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const accountSid = options.accountSid ?? TWILIO_ACCOUNT.accountSid;
  const created = twilioDate(options.createdAt ?? new Date());
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: options.body,
    date_created: created,
    date_sent: null,
    date_updated: created,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: options.from ?? null,
    messaging_service_sid: options.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid,
    status: 'queued',
    subresource_uris: { media: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}/Media.json` },
    to: options.to,
    uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    ...options.overrides,
  };
}

/**
 * GET .../Messages.json as documented (https://www.twilio.com/docs/messaging/api/message-resource#read-multiple-message-resources
 * and the spec's ListMessageResponse): filters To, From and DateSent (a GMT date; DateSent<
 * and DateSent> for on-or-before and on-or-after; a message not sent yet has no date_sent,
 * so any DateSent filter leaves it out), most recent first, PageSize (default 50, at most
 * 1000) and next_page_uri with a PageToken until the last page.
 */
export function listTwilioMessages(messages: readonly TwilioMessage[], req: RecordedRequest): FakeReply {
  const q = req.query;
  const pageSize = Number(q.get('PageSize') ?? 50);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) return twilioError(400, 20001, 'Invalid PageSize');
  const day = (date: string | null) => (date ? new Date(Date.parse(date)).toISOString().slice(0, 10) : undefined);
  const dateFilters: [string, (sent: string) => boolean][] = [
    ['DateSent', (sent) => sent === q.get('DateSent')?.slice(0, 10)],
    ['DateSent<', (sent) => sent <= (q.get('DateSent<') ?? '').slice(0, 10)],
    ['DateSent>', (sent) => sent >= (q.get('DateSent>') ?? '').slice(0, 10)],
  ];
  const matching = messages
    .filter((m) => (!q.has('To') || m.to === q.get('To')) && (!q.has('From') || m.from === q.get('From')))
    .filter((m) => dateFilters.every(([name, ok]) => !q.has(name) || (day(m.date_sent) !== undefined && ok(day(m.date_sent)!))))
    .reverse();
  const start = Number(/^PA(\d+)$/.exec(q.get('PageToken') ?? '')?.[1] ?? 0);
  const page = Number(q.get('Page') ?? 0);
  const slice = matching.slice(start, start + pageSize);
  const pageUri = (n: number, token?: number) => {
    const params = new URLSearchParams(q);
    for (const name of ['Page', 'PageToken', 'PageSize']) params.delete(name);
    params.set('PageSize', String(pageSize));
    params.set('Page', String(n));
    if (token !== undefined) params.set('PageToken', `PA${token}`);
    return `${req.path}?${params.toString()}`;
  };
  const hasNext = start + pageSize < matching.length;
  return json(200, {
    end: start + Math.max(slice.length - 1, 0),
    first_page_uri: pageUri(0),
    next_page_uri: hasNext ? pageUri(page + 1, start + pageSize) : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? pageUri(page - 1, Math.max(start - pageSize, 0)) : null,
    start,
    uri: req.url,
    messages: slice,
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
  // A Content template (ContentSid) is the message's content too
  // (https://www.twilio.com/docs/api/errors/21602: "Message body is required").
  if (!form.get('Body') && !form.get('MediaUrl') && !form.get('ContentSid')) return twilioError(400, 21602, 'Message body is required.');
  // https://www.twilio.com/docs/api/errors/21654: ContentVariables without a ContentSid.
  if (form.get('ContentVariables') && !form.get('ContentSid')) return twilioError(400, 21654, 'ContentSid Required');
  // A WhatsApp To needs a WhatsApp From (or a Messaging Service with a WhatsApp sender):
  // https://www.twilio.com/docs/api/errors/63007, "could not find a Channel with the specified From address".
  if (form.get('To')!.startsWith('whatsapp:') && form.get('From') && !form.get('From')!.startsWith('whatsapp:')) {
    return twilioError(400, 63007, "Twilio could not find a Channel with the specified 'From' address");
  }
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

// --- The crash test's Twilio ----------------------------------------------------------

export interface TwilioCrashFake {
  url: string;
  /** The server environment that points the twilio gateway at this fake. */
  env: Record<string, string>;
  /**
   * Texts a real Twilio would deliver to the number: every message it accepted. Twilio
   * does not deduplicate, so a resend counts again; only the lookup (findSent) avoids one.
   */
  deliveredTo(number: string): number;
  close(): Promise<void>;
}

/**
 * A Twilio for the crash test: accepts every valid send after 20 to 80 ms (the message
 * exists from the moment the request arrives, as at Twilio, so a process killed while
 * waiting leaves it there), and answers the Messages list the resend lookup reads.
 */
export async function startTwilioCrashFake(): Promise<TwilioCrashFake> {
  const from = '+15005550006';
  const fake = await startFakeTwilio(TWILIO_ACCOUNT, (req) => ({ ...acceptTwilioMessage(req), delayMs: 20 + Math.floor(Math.random() * 61) }));
  return {
    url: fake.url,
    env: {
      TWILIO_ACCOUNT_SID: TWILIO_ACCOUNT.accountSid,
      TWILIO_AUTH_TOKEN: TWILIO_ACCOUNT.authToken,
      TWILIO_FROM: from,
      TWILIO_BASE_URL: fake.url,
    },
    deliveredTo: (number) => fake.messages.filter((m) => m.to === number && m.direction === 'outbound-api').length,
    close: () => fake.close(),
  };
}
