import { X509Certificate, createVerify } from 'node:crypto';
import type { WebhookVerdict } from './port';
import { forbidden, invalid, isRecord } from './callback-parsing';
import { callVendor, excerpt } from './vendor-http';

/**
 * Amazon SNS messages posted to an HTTPS subscription, verified as
 * https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html says:
 * the topic must be ours, the signing certificate must come over HTTPS from an SNS host,
 * and the Base64 "Signature" must verify, with the certificate's public key, over the
 * documented string to sign (SHA1withRSA for SignatureVersion 1, SHA256withRSA for 2).
 * Messages: https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html,
 * .../http-subscription-confirmation-json.html, .../http-unsubscribe-confirmation-json.html.
 *
 * No package does this through our own outbound client (sns-validator fetches with its
 * own https.get), so it is written here from the documentation with node:crypto.
 */

export interface SnsMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
}

/** A message older than this is refused: SNS's own retries of one delivery end long before. */
export const SNS_MAX_AGE_MS = 60 * 60 * 1000;
/** A timestamp this far ahead of our clock is refused too (a clock may be a little off). */
const SNS_MAX_AHEAD_MS = 5 * 60 * 1000;

/** The fields each type signs, in the documented order. */
const SIGNED_FIELDS: Record<SnsMessage['Type'], (keyof SnsMessage)[]> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

const ALGORITHM_OF: Record<string, string> = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' };

/** "name\nvalue\n" for each signed field present (Subject only when the message has one). */
export function snsStringToSign(message: SnsMessage): string {
  return SIGNED_FIELDS[message.Type]
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
}

/**
 * SNS hosts are sns.{region}.amazonaws.com (sns.{region}.amazonaws.com.cn in China), the
 * pattern AWS's own validators check. Anything else (another host, http, a port, a user)
 * is refused before anything is fetched.
 */
export function isSnsUrl(value: string | undefined, pathPattern: RegExp): boolean {
  if (!value || !URL.canParse(value)) return false;
  const url = new URL(value);
  return (
    url.protocol === 'https:' &&
    url.port === '' &&
    url.username === '' &&
    url.password === '' &&
    /^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$/.test(url.hostname) &&
    pathPattern.test(url.pathname)
  );
}

/** Where to fetch an SNS URL: as it is, or (tests, a proxy) the same path and query under baseUrl. */
function fetchUrl(snsUrl: string, baseUrl: string | undefined): string {
  if (!baseUrl) return snsUrl;
  const url = new URL(snsUrl);
  return `${baseUrl}${url.pathname}${url.search}`;
}

/** Signing certificates by URL, fetched through the vendor client once and kept. */
export class SnsCertificates {
  private readonly cache = new Map<string, Promise<X509Certificate>>();
  /** SNS signs with very few certificates; the bound only stops a flood of distinct URLs growing memory. */
  private static readonly MAX = 32;

  constructor(private readonly baseUrl?: string) {}

  get(certUrl: string): Promise<X509Certificate> {
    const cached = this.cache.get(certUrl);
    if (cached) return cached;
    const loading = this.fetch(certUrl);
    if (this.cache.size >= SnsCertificates.MAX) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(certUrl, loading);
    // A failed fetch is not kept: the next message tries again.
    loading.catch(() => this.cache.delete(certUrl));
    return loading;
  }

  private async fetch(certUrl: string): Promise<X509Certificate> {
    const call = await callVendor({ method: 'GET', url: fetchUrl(certUrl, this.baseUrl), signal: AbortSignal.timeout(5000) });
    if (!call.ok) throw new Error(`certificate fetch failed: ${call.outcome.outcome === 'accepted' ? '' : call.outcome.detail}`);
    if (call.reply.status !== 200) throw new Error(`certificate fetch answered ${call.reply.status}`);
    return new X509Certificate(call.reply.body);
  }
}

/**
 * MessageIds seen within SNS_MAX_AGE_MS: a captured message posted again inside the
 * window is refused (older ones are stale anyway). Per process: receipts only ever move a
 * message forward and inbound texts are also kept by their inboundMessageId in the store,
 * so a replay reaching another instance changes nothing either.
 */
export class SnsReplays {
  private readonly seen = new Map<string, number>();

  /** True the first time; false for a MessageId seen within the window. */
  firstSight(messageId: string, now: number): boolean {
    for (const [id, at] of this.seen) {
      if (at > now - SNS_MAX_AGE_MS) break; // insertion order is time order
      this.seen.delete(id);
    }
    if (this.seen.has(messageId)) return false;
    this.seen.set(messageId, now);
    return true;
  }
}

export interface SnsChecks {
  topicArns: readonly string[];
  certificates: SnsCertificates;
  replays: SnsReplays;
  now: Date;
}

/** Verifies one SNS POST body, cheapest checks first: nothing is fetched for a message not from our topics. */
export async function verifySnsMessage(rawBody: string, checks: SnsChecks): Promise<WebhookVerdict<SnsMessage>> {
  const message = snsMessageOf(rawBody);
  if (!message) return invalid('not an SNS message');
  if (!checks.topicArns.includes(message.TopicArn)) return forbidden('SNS message from a topic that is not ours');
  const at = Date.parse(message.Timestamp);
  const now = checks.now.getTime();
  if (Number.isNaN(at) || at < now - SNS_MAX_AGE_MS || at > now + SNS_MAX_AHEAD_MS) return forbidden('SNS message is stale or from the future');
  const algorithm = ALGORITHM_OF[message.SignatureVersion];
  if (!algorithm) return forbidden(`unknown SNS SignatureVersion "${excerpt(message.SignatureVersion, 10)}"`);
  if (!isSnsUrl(message.SigningCertURL, /\.pem$/)) return forbidden('SigningCertURL is not an SNS certificate URL');
  let certificate: X509Certificate;
  try {
    certificate = await checks.certificates.get(message.SigningCertURL);
  } catch (err) {
    return forbidden(`SNS signing certificate unavailable: ${excerpt((err as Error).message, 120)}`);
  }
  if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) < now) return forbidden('SNS signing certificate is not valid now');
  const signed = createVerify(algorithm).update(snsStringToSign(message), 'utf8').verify(certificate.publicKey, message.Signature, 'base64');
  if (!signed) return forbidden('SNS signature does not match');
  if (!checks.replays.firstSight(message.MessageId, now)) return forbidden('SNS message was already received (replay)');
  return { ok: true, value: message };
}

function snsMessageOf(rawBody: string): SnsMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const type = parsed.Type;
  if (type !== 'Notification' && type !== 'SubscriptionConfirmation' && type !== 'UnsubscribeConfirmation') return undefined;
  const required = ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'SignatureVersion', 'Signature', 'SigningCertURL'];
  if (type !== 'Notification') required.push('SubscribeURL', 'Token');
  if (!required.every((name) => typeof parsed[name] === 'string')) return undefined;
  if (parsed.Subject !== undefined && typeof parsed.Subject !== 'string') return undefined;
  return parsed as unknown as SnsMessage;
}

/**
 * Confirms a verified subscription to one of our topics by visiting its SubscribeURL, which
 * must be SNS's ConfirmSubscription for that topic (a signed message could otherwise make
 * us fetch anything).
 */
export async function confirmSubscription(
  message: SnsMessage,
  baseUrl: string | undefined,
): Promise<{ ok: true } | { ok: false; status: 403; error: string }> {
  const url = message.SubscribeURL;
  if (!isSnsUrl(url, /^\/$/)) return forbidden('SubscribeURL is not an SNS URL');
  const query = new URL(url!).searchParams;
  if (query.get('Action') !== 'ConfirmSubscription' || query.get('TopicArn') !== message.TopicArn) {
    return forbidden('SubscribeURL does not confirm this topic');
  }
  const call = await callVendor({ method: 'GET', url: fetchUrl(url!, baseUrl), signal: AbortSignal.timeout(5000) });
  if (!call.ok || call.reply.status !== 200) {
    const why = call.ok ? `answered ${call.reply.status}` : call.outcome.outcome === 'accepted' ? '' : call.outcome.code;
    return forbidden(`SNS subscription could not be confirmed: ${why}`);
  }
  return { ok: true };
}
