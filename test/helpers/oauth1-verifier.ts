import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * An OAuth 1.0 HMAC-SHA1 verifier written for the tests from RFC 5849
 * (https://www.rfc-editor.org/rfc/rfc5849), sharing no code with the signer under test
 * (src/availability/liveperson-auth.ts signs with the oauth-1.0a package). It checks what
 * a server checks: the signature over the request as it arrived, the client's
 * credentials, the timestamp's age and the nonce's novelty (RFC 5849 3.3).
 *
 * Pinned against the published worked example, X's "Creating a signature"
 * (https://developer.x.com/en/docs/authentication/oauth-1-0a/creating-a-signature), in
 * test/availability/oauth1-verifier.test.ts.
 */

export interface OAuth1Credentials {
  consumerKey: string;
  consumerSecret: string;
  token: string;
  tokenSecret: string;
}

export interface ArrivedRequest {
  method: string;
  /** The URL the client addressed: scheme, Host header, path and query as sent. */
  url: string;
  authorization: string | undefined;
  contentType?: string | undefined;
  body?: string;
}

export type Verdict = { ok: true; nonce: string; timestamp: number } | { ok: false; why: string };

/** RFC 5849 3.6: everything but the unreserved characters, as %XX (uppercase), on UTF-8 bytes. */
export function percentEncode(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'))
    .map((byte) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** RFC 5849 3.5.1: `OAuth name="value", ...`, values percent-encoded; realm is not a parameter. */
export function parseAuthorizationHeader(header: string): Map<string, string> | undefined {
  const match = /^OAuth\s+(.*)$/is.exec(header.trim());
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const part of match[1]!.split(',')) {
    const pair = /^\s*([A-Za-z0-9_\-.~%]+)="([^"]*)"\s*$/.exec(part);
    if (!pair) return undefined;
    const name = decodeURIComponent(pair[1]!);
    if (params.has(name)) return undefined; // RFC 5849 3.1: each parameter at most once
    if (name !== 'realm') params.set(name, decodeURIComponent(pair[2]!));
  }
  return params;
}

/** application/x-www-form-urlencoded decoding ('+' is a space), as RFC 5849 3.4.1.3.1 asks. */
function formPairs(text: string): Array<[string, string]> {
  if (!text) return [];
  return text.split('&').map((piece) => {
    const at = piece.indexOf('=');
    const name = at < 0 ? piece : piece.slice(0, at);
    const value = at < 0 ? '' : piece.slice(at + 1);
    const decode = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    return [decode(name), decode(value)];
  });
}

/** RFC 5849 3.4.1.2: lowercase scheme and host, default port dropped, no query or fragment. */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol.toLowerCase();
  const defaultPort = (scheme === 'http:' && u.port === '80') || (scheme === 'https:' && u.port === '443');
  const port = u.port && !defaultPort ? `:${u.port}` : '';
  return `${scheme}//${u.hostname.toLowerCase()}${port}${u.pathname}`;
}

/**
 * RFC 5849 3.4.1: METHOD & base string URI & normalised parameters, where the parameters
 * are the query's, the protocol parameters (not oauth_signature) and a form body's,
 * each encoded, sorted by name then value (3.4.1.3.2).
 */
export function signatureBaseString(request: Omit<ArrivedRequest, 'authorization'>, protocol: Map<string, string>): string {
  const query = new URL(request.url).search.replace(/^\?/, '');
  const pairs: Array<[string, string]> = [...formPairs(query)];
  for (const [name, value] of protocol) if (name !== 'oauth_signature') pairs.push([name, value]);
  if (request.body && /^application\/x-www-form-urlencoded\b/i.test(request.contentType ?? '')) pairs.push(...formPairs(request.body));
  const normalised = pairs
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const)
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  return [request.method.toUpperCase(), percentEncode(baseStringUri(request.url)), percentEncode(normalised)].join('&');
}

/** RFC 5849 3.4.2: key = encode(client secret) & encode(token secret), HMAC-SHA1, base64. */
export function hmacSha1Signature(baseString: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac('sha1', `${percentEncode(consumerSecret)}&${percentEncode(tokenSecret)}`).update(baseString).digest('base64');
}

export class OAuth1Verifier {
  /** RFC 5849 3.3: a server may keep nonces for as long as it accepts their timestamps. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly credentials: OAuth1Credentials,
    private readonly nowSeconds: () => number = () => Math.floor(Date.now() / 1000),
    private readonly maxAgeSeconds = 300,
  ) {}

  verify(request: ArrivedRequest): Verdict {
    if (!request.authorization) return { ok: false, why: 'no Authorization header' };
    const params = parseAuthorizationHeader(request.authorization);
    if (!params) return { ok: false, why: 'not an OAuth Authorization header' };
    if (params.get('oauth_signature_method') !== 'HMAC-SHA1') return { ok: false, why: 'signature method is not HMAC-SHA1' };
    const version = params.get('oauth_version');
    if (version !== undefined && version !== '1.0') return { ok: false, why: 'oauth_version is not 1.0' };
    if (params.get('oauth_consumer_key') !== this.credentials.consumerKey) return { ok: false, why: 'unknown consumer key' };
    if (params.get('oauth_token') !== this.credentials.token) return { ok: false, why: 'unknown token' };

    const signature = params.get('oauth_signature') ?? '';
    const expected = hmacSha1Signature(signatureBaseString(request, params), this.credentials.consumerSecret, this.credentials.tokenSecret);
    const a = Buffer.from(signature);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, why: 'signature does not match' };

    const timestamp = Number(params.get('oauth_timestamp'));
    if (!/^\d+$/.test(params.get('oauth_timestamp') ?? '')) return { ok: false, why: 'timestamp is not a number of seconds' };
    if (Math.abs(this.nowSeconds() - timestamp) > this.maxAgeSeconds) return { ok: false, why: 'timestamp is stale' };
    const nonce = params.get('oauth_nonce') ?? '';
    if (!nonce) return { ok: false, why: 'no nonce' };
    const key = `${params.get('oauth_consumer_key')}&${params.get('oauth_token')}&${timestamp}&${nonce}`;
    if (this.seen.has(key)) return { ok: false, why: 'nonce already used' };
    this.seen.add(key);
    return { ok: true, nonce, timestamp };
  }
}
