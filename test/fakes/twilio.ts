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
