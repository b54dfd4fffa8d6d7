import type { PermanentReason, SendOutcome } from './port';
import { isRecord } from './callback-parsing';
import { retryAfterMsOf, type VendorReply } from './vendor-http';

/**
 * What Meta's answer to a send means. Meta asks integrators to act on the error `code`
 * (and error_data.details), not on titles or HTTP statuses
 * (https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes; Graph API
 * errors: https://developers.facebook.com/docs/graph-api/guides/error-handling). The
 * HTTP status decides only when the body names no code we know.
 */

/** Throttling: Graph API call limits (4, 80007), throughput (130429), spam (131048), pair rate (131056). */
const THROTTLED = new Set([4, 80007, 130429, 131048, 131056]);
/** Our token or its permissions (0 AuthException, 190 token expired, 10 and 200-299 permission): no retry fixes it. */
const AUTH = (code: number): boolean => code === 0 || code === 190 || code === 10 || (code >= 200 && code <= 299);
/** Meta's side: 131000 "something went wrong", 131016 service unavailable, 1 and 2 Graph API unknown/service errors. */
const TRANSIENT = new Set([1, 2, 131000, 131016]);

/** Codes that say something about the recipient rather than the request. */
const PERMANENT_REASONS = new Map<number, PermanentReason>([
  // Message undeliverable: not on WhatsApp, an old app, or Meta's terms not accepted. SMS may still reach them.
  [131026, 'not-on-channel'],
  // The user stopped marketing messages from this business: an opt-out of this channel.
  [131050, 'unsubscribed'],
]);

export function outcomeOfWhatsappReply(reply: VendorReply): SendOutcome {
  const body = isRecord(reply.json) ? reply.json : undefined;
  if (reply.status >= 200 && reply.status < 300) {
    const [message] = Array.isArray(body?.messages) ? body.messages : [];
    const id = isRecord(message) ? message.id : undefined;
    if (typeof id === 'string' && id !== '') {
      const status = isRecord(message) && typeof message.message_status === 'string' ? { code: message.message_status } : {};
      return { outcome: 'accepted', vendorMessageId: id, ...status };
    }
    // A 2xx without a message id is no proof Meta has the message: try again later.
    return { outcome: 'retryable', code: `http-${reply.status}`, detail: `WhatsApp answered ${reply.status} without messages[0].id: ${reply.body}` };
  }
  const error = isRecord(body?.error) ? body.error : undefined;
  const code = typeof error?.code === 'number' ? error.code : undefined;
  const detail = `WhatsApp answered ${reply.status}: ${reply.body}`;
  if (code === undefined) return byHttpStatus(reply, detail);
  const codeText = String(code);
  if (THROTTLED.has(code) || reply.status === 429) return throttled(reply, codeText, detail);
  if (AUTH(code)) return { outcome: 'permanent', code: codeText, detail, reason: 'rejected' };
  const reason = PERMANENT_REASONS.get(code);
  if (reason) return { outcome: 'permanent', code: codeText, detail, reason };
  if (TRANSIENT.has(code) || reply.status >= 500) return { outcome: 'retryable', code: codeText, detail };
  // 131047 (re-engagement: a text outside the 24-hour window), 132xxx (template missing,
  // paused, parameters not matching) and every other request error: the same request
  // will never work.
  return { outcome: 'permanent', code: codeText, detail, reason: 'rejected' };
}

function throttled(reply: VendorReply, code: string, detail: string): SendOutcome {
  const retryAfterMs = retryAfterMsOf(reply.headers['retry-after']);
  return { outcome: 'retryable', code, detail, throttled: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/** No Graph API error in the body (a proxy's page, an empty answer). */
function byHttpStatus(reply: VendorReply, detail: string): SendOutcome {
  const code = `http-${reply.status}`;
  if (reply.status === 429) return throttled(reply, code, detail);
  if (reply.status >= 500 || reply.status === 408) return { outcome: 'retryable', code, detail };
  return { outcome: 'permanent', code, detail, reason: 'rejected' };
}
