import { randomUUID } from 'node:crypto';
import type { WebhookRequest } from '../../src/sms/port';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake Infobip SMS API speaking Infobip's wire format, built from its documentation:
 * - send: POST /sms/2/text/advanced with `Authorization: App <key>`, body
 *   `{messages: [{from, destinations: [{to, messageId}], text}]}`; 200 with one
 *   `messages[]` entry per destination `{to, status, messageId}`
 *   (https://www.infobip.com/docs/api/channels/sms/sms-messaging/outbound-sms/send-sms-message);
 * - status objects `{groupId, groupName, id, name, description}` and their codes, among
 *   them 26 PENDING_ACCEPTED and 23 REJECTED_DUPLICATE_MESSAGE_ID ("rejected due to a
 *   duplicate message ID specified in the submit request, while message ID-s should be a
 *   unique value") (https://www.infobip.com/docs/essentials/response-status-and-error-codes);
 * - refused requests: `{requestError: {serviceException: {messageId, text}}}` with 400
 *   BAD_REQUEST, 401 UNAUTHORIZED, 429 TOO_MANY_REQUESTS, 500 GENERAL_ERROR
 *   (https://www.infobip.com/docs/essentials/api-essentials/response-status-and-error-codes);
 * - delivery reports and inbound texts: `{results: [...]}` JSON
 *   (https://www.infobip.com/docs/api/channels/sms/sms-messaging/delivery-reports/receive-outbound-sms-message-report,
 *   https://www.infobip.com/docs/api/channels/sms/sms-messaging/inbound-sms/receive-inbound-sms-messages).
 * Like the real one, this fake keeps every messageId it accepted and refuses a repeat.
 */

export const INFOBIP_API_KEY = 'ib-api-key-0123456789abcdef0123456789abcdef';

export interface InfobipStatusObject {
  groupId: number;
  groupName: string;
  id: number;
  name: string;
  description: string;
}

export const STATUS = {
  PENDING_ACCEPTED: { groupId: 1, groupName: 'PENDING', id: 26, name: 'PENDING_ACCEPTED', description: 'Message sent to next instance' },
  PENDING_ENROUTE: { groupId: 1, groupName: 'PENDING', id: 7, name: 'PENDING_ENROUTE', description: 'Message sent to next instance' },
  DELIVERED_TO_HANDSET: { groupId: 3, groupName: 'DELIVERED', id: 5, name: 'DELIVERED_TO_HANDSET', description: 'Message delivered to handset' },
  DELIVERED_TO_OPERATOR: { groupId: 3, groupName: 'DELIVERED', id: 2, name: 'DELIVERED_TO_OPERATOR', description: 'Message delivered to operator' },
  UNDELIVERABLE_NOT_DELIVERED: { groupId: 2, groupName: 'UNDELIVERABLE', id: 9, name: 'UNDELIVERABLE_NOT_DELIVERED', description: 'Message sent not delivered' },
  EXPIRED_EXPIRED: { groupId: 4, groupName: 'EXPIRED', id: 15, name: 'EXPIRED_EXPIRED', description: 'Message expired' },
  REJECTED_DUPLICATE_MESSAGE_ID: { groupId: 5, groupName: 'REJECTED', id: 23, name: 'REJECTED_DUPLICATE_MESSAGE_ID', description: 'Rejected duplicate message ID' },
  REJECTED_DND: { groupId: 5, groupName: 'REJECTED', id: 10, name: 'REJECTED_DND', description: 'Destination on DND list' },
  REJECTED_INVALID_DESTINATION: { groupId: 5, groupName: 'REJECTED', id: 52, name: 'REJECTED_INVALID_DESTINATION', description: 'Invalid destination address' },
} as const satisfies Record<string, InfobipStatusObject>;

export function rejected(id: number, name: string): InfobipStatusObject {
  return { groupId: 5, groupName: 'REJECTED', id, name, description: name.toLowerCase().replace(/_/g, ' ') };
}

/** A refused request: `{requestError: {serviceException: {messageId, text}}}`. */
export function infobipError(status: number, messageId: string, text: string, headers: Record<string, string> = {}): FakeReply {
  return json(status, { requestError: { serviceException: { messageId, text } } }, headers);
}

/** The 200 answer for one destination. */
export function infobipAnswer(to: string, messageId: string, status: InfobipStatusObject = STATUS.PENDING_ACCEPTED): FakeReply {
  return json(200, { messages: [{ to, status, messageId }] });
}

export function bodyOf(req: RecordedRequest): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(req.body);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The one destination of the request, when it has exactly one. */
export function destinationOf(req: RecordedRequest): { to: string; messageId?: string } | undefined {
  const messages = bodyOf(req)?.messages;
  const message = Array.isArray(messages) && messages.length === 1 ? (messages[0] as Record<string, unknown>) : undefined;
  const destinations = message && Array.isArray(message.destinations) ? message.destinations : [];
  const [d] = destinations as Record<string, unknown>[];
  return destinations.length === 1 && d && typeof d.to === 'string' ? { to: d.to, ...(typeof d.messageId === 'string' ? { messageId: d.messageId } : {}) } : undefined;
}

export interface FakeInfobip extends FakeServer {
  /** messageId → destination, for every message accepted (a refused duplicate is not added). */
  accepted: Map<string, string>;
  /** The fake's own answer to a send (accepted, or a repeated messageId refused). */
  accept: Responder;
}

/**
 * Starts the fake. Like Infobip it refuses a wrong API key (401) and an unknown path (404);
 * a send with one destination goes to the responder (by default: accepted unless its
 * messageId was accepted before, which Infobip answers REJECTED_DUPLICATE_MESSAGE_ID).
 */
export async function startFakeInfobip(apiKey: string = INFOBIP_API_KEY, responder?: Responder, options: { delayMs?: () => number } = {}): Promise<FakeInfobip> {
  const accepted = new Map<string, string>();
  const accept: Responder = (req) => {
    const d = destinationOf(req)!;
    const messageId = d.messageId ?? randomUUID();
    const delay = options.delayMs ? { delayMs: options.delayMs() } : {};
    if (!/^[1-9]\d{6,14}$/.test(d.to)) return { ...infobipAnswer(d.to, messageId, STATUS.REJECTED_INVALID_DESTINATION), ...delay };
    if (accepted.has(messageId)) return { ...infobipAnswer(d.to, messageId, STATUS.REJECTED_DUPLICATE_MESSAGE_ID), ...delay };
    accepted.set(messageId, d.to);
    return { ...infobipAnswer(d.to, messageId), ...delay };
  };
  let current = responder ?? accept;
  const server = await startFakeServer((req) => {
    if (req.headers.authorization !== `App ${apiKey}`) return infobipError(401, 'UNAUTHORIZED', 'Invalid login details');
    if (req.method !== 'POST' || req.path !== '/sms/2/text/advanced') return infobipError(404, 'NOT_FOUND', 'Requested URL not found');
    const message = (bodyOf(req)?.messages as Record<string, unknown>[] | undefined)?.[0];
    if (!destinationOf(req) || typeof message?.text !== 'string') return infobipError(400, 'BAD_REQUEST', 'Bad request');
    return current(req);
  });
  return {
    ...server,
    accepted,
    accept,
    respond: (r) => {
      current = r;
    },
  };
}

// --- Callbacks -------------------------------------------------------------------------

export interface InfobipCallbackOptions {
  /** HTTP Basic credentials, as set in the subscription's notification profile. */
  credentials?: { user: string; password: string };
}

function infobipCallback(url: string, payload: Record<string, unknown>, options: InfobipCallbackOptions): WebhookRequest {
  const authorization = options.credentials
    ? { authorization: `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}` }
    : {};
  return { url, method: 'POST', headers: { 'content-type': 'application/json', ...authorization }, rawBody: JSON.stringify(payload), params: payload };
}

/** One delivery report result, as Infobip's documentation shows it. */
export function infobipReportResult(options: { messageId: string; status: InfobipStatusObject; errorId?: number; to?: string }): Record<string, unknown> {
  const errorId = options.errorId ?? 0;
  return {
    bulkId: 'BULK-ID-123-xyz',
    price: { pricePerMessage: 0.01, currency: 'EUR' },
    status: options.status,
    error: { groupId: errorId ? 1 : 0, groupName: errorId ? 'HANDSET_ERRORS' : 'OK', id: errorId, name: errorId ? 'EC_ABSENT_SUBSCRIBER' : 'NO_ERROR', description: errorId ? 'Absent subscriber' : 'No Error', permanent: false },
    messageId: options.messageId,
    doneAt: '2019-11-09T16:00:00.000+0000',
    smsCount: 1,
    sentAt: '2019-11-09T16:00:00.000+0000',
    to: options.to ?? '41793026727',
  };
}

export function infobipDeliveryReport(url: string, results: Record<string, unknown>[], options: InfobipCallbackOptions = {}): WebhookRequest {
  return infobipCallback(url, { results }, options);
}

/** An inbound text push, as Infobip's documentation shows it. */
export function infobipInbound(url: string, message: { from: string; to: string; text: string; messageId?: string; receivedAt?: string }, options: InfobipCallbackOptions = {}): WebhookRequest {
  const [keyword = ''] = message.text.trim().split(/\s+/);
  return infobipCallback(
    url,
    {
      results: [
        {
          messageId: message.messageId ?? randomUUID(),
          from: message.from,
          to: message.to,
          text: message.text,
          cleanText: message.text.slice(keyword.length).trim(),
          keyword: keyword.toUpperCase(),
          receivedAt: message.receivedAt ?? new Date().toISOString().replace('Z', '+0000'),
          smsCount: 1,
          price: { pricePerMessage: 0, currency: 'EUR' },
          callbackData: 'callbackData',
        },
      ],
      messageCount: 1,
      pendingMessageCount: 0,
    },
    options,
  );
}

// --- The crash test's fake -------------------------------------------------------------

/**
 * For the crash test: accepts every valid send after 20–80 ms and, as Infobip documents,
 * refuses a messageId it already has (REJECTED_DUPLICATE_MESSAGE_ID), so deliveredTo
 * counts each distinct message once however often it was resent.
 */
export async function startInfobipCrashFake(): Promise<{ url: string; env: Record<string, string>; deliveredTo(n: string): number; close(): Promise<void> }> {
  const fake = await startFakeInfobip(INFOBIP_API_KEY, undefined, { delayMs: () => 20 + Math.floor(Math.random() * 61) });
  const digits = (n: string): string => n.replace(/\D/g, '');
  return {
    url: fake.url,
    env: { INFOBIP_API_KEY, INFOBIP_BASE_URL: fake.url, INFOBIP_FROM: 'AcmeInc' },
    deliveredTo: (n) => [...fake.accepted.values()].filter((to) => digits(to) === digits(n)).length,
    close: () => fake.close(),
  };
}
