import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The one signature scheme we speak with systems that have no vendor scheme of their own:
 * the in-house SMS gateway, the chat platform's conversation outcomes, and the events we
 * send out. Signed the Stripe/Slack way with a shared secret:
 *
 *   X-Signature-Timestamp: <unix seconds>
 *   X-Signature: sha256=<lower-case hex HMAC-SHA256(secret, timestamp + "." + raw body)>
 *
 * Signing the timestamp with the body lets the receiver refuse a replayed old request;
 * a replay inside the tolerance is the receiver's to refuse (by the body's id).
 */

export const SIGNATURE_HEADER = 'X-Signature';
export const TIMESTAMP_HEADER = 'X-Signature-Timestamp';

/** How far a request's timestamp may be from our clock (both ways: clocks drift). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export interface TimestampedSignature {
  /** Unix seconds, as sent in X-Signature-Timestamp. */
  timestamp: string;
  /** "sha256=<hex>", as sent in X-Signature. */
  signature: string;
}

export function signTimestamped(secret: string, rawBody: string, now: Date): TimestampedSignature {
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return { timestamp, signature: signatureOf(secret, timestamp, rawBody) };
}

/** The headers to send with a signed body. */
export function signedHeaders(secret: string, rawBody: string, now: Date): Record<string, string> {
  const { timestamp, signature } = signTimestamped(secret, rawBody, now);
  return { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signature };
}

/**
 * Why a request's signature is refused, or undefined when it is good. Headers are
 * looked up lower-case (as Node gives them). Any of the secrets may match, so a secret
 * can be rotated without refusing the requests signed with the old one meanwhile.
 */
export function timestampedSignatureProblem(
  secrets: readonly string[],
  headers: Readonly<Record<string, string | undefined>>,
  rawBody: string,
  now: Date,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): string | undefined {
  const timestamp = headers[TIMESTAMP_HEADER.toLowerCase()];
  const signature = headers[SIGNATURE_HEADER.toLowerCase()];
  if (!timestamp || !signature) return `missing ${TIMESTAMP_HEADER} or ${SIGNATURE_HEADER}`;
  if (!/^\d{1,12}$/.test(timestamp)) return `${TIMESTAMP_HEADER} must be unix seconds`;
  const skew = Math.abs(now.getTime() / 1000 - Number(timestamp));
  if (skew > toleranceSeconds) return `${TIMESTAMP_HEADER} is more than ${toleranceSeconds} seconds away`;
  const given = Buffer.from(signature, 'utf8');
  const matches = secrets.some((secret) => {
    const expected = Buffer.from(signatureOf(secret, timestamp, rawBody), 'utf8');
    // timingSafeEqual needs equal lengths; a length mismatch gives away nothing secret.
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : `${SIGNATURE_HEADER} does not match`;
}

function signatureOf(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`, 'utf8').digest('hex')}`;
}
