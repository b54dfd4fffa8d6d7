import { createHmac, randomBytes } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import type { OutboundClient } from '../outbound/client';
import type { DomainLookup } from './liveperson-domain';
import { askWithin, statusDetail } from './remote';
import { resolveSecrets, type Secrets } from './secrets';
import type { LivePersonAuth } from './settings';

/**
 * How a LivePerson request proves who sends it. Two ways LivePerson documents for
 * server-to-server calls:
 *
 * - API key, OAuth 1.0 HMAC-SHA1 (https://developers.liveperson.com/oauth-1-0-api-keys.html:
 *   "generate an OAuth header according to the OAuth Specification", RFC 5849): every
 *   request signed anew, fresh nonce and timestamp, the query string (v=1.0) included.
 *   The JSON body is not part of the signature: RFC 5849 3.4.1.3.1 signs form bodies only.
 *   LivePerson is retiring these keys (read-only from 30 Sep 2025, end of life 31 May 2026).
 * - AppJWT (https://developers.liveperson.com/oauth-2-0-client-credentials.html): an OAuth
 *   2.0 client-credentials token from Sentinel, sent as "Authorization: Bearer ...".
 *
 * Credentials are resolved from the environment once, when the check is built (an unset
 * one stops the campaign at start-up, naming the variable), and never appear in a detail.
 */

export type Authorization = { ok: true; headers: Record<string, string> } | { ok: false; detail: string };

export interface LivePersonAuthorizer {
  /** Headers for one request to `url`. Never throws. */
  authorize(method: 'GET' | 'POST', url: string): Promise<Authorization>;
  /** LivePerson refused what was sent (HTTP 401): drop anything that may have gone stale. */
  refused(): void;
  /** Every credential value, so failure details can be scrubbed of them. */
  readonly secretValues: readonly string[];
}

export function createAuthorizer(
  auth: LivePersonAuth,
  secrets: Secrets,
  deps: { client: OutboundClient; accountId: string; timeoutMs: number; now: () => number; sentinel: () => Promise<DomainLookup> },
): LivePersonAuthorizer {
  switch (auth.type) {
    case 'api-key':
      return new ApiKeySigner(
        {
          consumerKey: resolveSecrets(auth.consumerKey, secrets),
          consumerSecret: resolveSecrets(auth.consumerSecret, secrets),
          accessToken: resolveSecrets(auth.accessToken, secrets),
          accessTokenSecret: resolveSecrets(auth.accessTokenSecret, secrets),
        },
        deps.now,
      );
    case 'app-jwt':
      return new AppJwtSource(
        { clientId: resolveSecrets(auth.clientId, secrets), clientSecret: resolveSecrets(auth.clientSecret, secrets) },
        deps,
      );
  }
}

export interface ApiKey {
  consumerKey: string;
  consumerSecret: string;
  accessToken: string;
  accessTokenSecret: string;
}

export class ApiKeySigner implements LivePersonAuthorizer {
  private readonly oauth: OAuth;
  readonly secretValues: readonly string[];

  constructor(
    private readonly key: ApiKey,
    private readonly now: () => number = Date.now,
  ) {
    this.oauth = new OAuth({
      consumer: { key: key.consumerKey, secret: key.consumerSecret },
      signature_method: 'HMAC-SHA1',
      hash_function: (base, signingKey) => createHmac('sha1', signingKey).update(base).digest('base64'),
    });
    // The package's own nonce comes from Math.random; a nonce must not be guessable or repeat.
    this.oauth.getNonce = () => randomBytes(16).toString('hex');
    this.oauth.getTimeStamp = () => Math.floor(this.now() / 1000);
    this.secretValues = [key.consumerKey, key.consumerSecret, key.accessToken, key.accessTokenSecret];
  }

  authorize(method: 'GET' | 'POST', url: string): Promise<Authorization> {
    const signed = this.oauth.authorize({ url, method }, { key: this.key.accessToken, secret: this.key.accessTokenSecret });
    return Promise.resolve({ ok: true, headers: { ...this.oauth.toHeader(signed) } });
  }

  refused(): void {
    // A signature is made per request: there is nothing cached to drop.
  }
}

/** When the answer says nothing of the token's life: short, so a wrong guess costs little. */
const UNKNOWN_LIFETIME_MS = 5 * 60 * 1000;
/** Refresh this long before expiry (or at half-life for short tokens), so no call carries a dying token. */
const REFRESH_MARGIN_MS = 60 * 1000;
/** RFC 6750 b64token: what may follow "Bearer " in a header. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

export class AppJwtSource implements LivePersonAuthorizer {
  private token: { value: string; refreshAt: number } | undefined;
  private inFlight: Promise<Authorization> | undefined;
  readonly secretValues: readonly string[];

  constructor(
    private readonly credentials: { clientId: string; clientSecret: string },
    private readonly deps: { client: OutboundClient; accountId: string; timeoutMs: number; now: () => number; sentinel: () => Promise<DomainLookup> },
  ) {
    this.secretValues = [credentials.clientId, credentials.clientSecret];
  }

  /** The cached token while it is fresh; otherwise one fetch that concurrent calls share. */
  authorize(): Promise<Authorization> {
    const token = this.token;
    if (token && this.deps.now() < token.refreshAt) return Promise.resolve(bearer(token.value));
    if (!this.inFlight) this.inFlight = this.fetch().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  refused(): void {
    this.token = undefined;
  }

  /**
   * POST {sentinel}/sentinel/api/v2/account/{accountId}/app/token, form body client_id,
   * client_secret, grant_type=client_credentials (the page's "API V2"; V1 is for the
   * Connector API only). The secret goes in the body, never in the URL (URLs are logged
   * by proxies). Bounded by its own timeout, not by one caller's hang-up, since others
   * may be waiting for the same token.
   */
  private async fetch(): Promise<Authorization> {
    const sentinel = await this.deps.sentinel();
    if (!sentinel.ok) return { ok: false, detail: sentinel.detail };
    const url = `${sentinel.baseUrl.replace(/\/+$/, '')}/sentinel/api/v2/account/${encodeURIComponent(this.deps.accountId)}/app/token`;
    const body = new URLSearchParams({
      client_id: this.credentials.clientId,
      client_secret: this.credentials.clientSecret,
      grant_type: 'client_credentials',
    }).toString();
    const asked = this.deps.now();
    const result = await askWithin(
      this.deps.client,
      { method: 'POST', url, headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' }, body },
      this.deps.timeoutMs,
      new AbortController().signal,
    );
    if (!result.ok) return { ok: false, detail: `LivePerson Sentinel: ${result.detail}` };
    const { reply } = result;
    if (reply.status < 200 || reply.status > 299) return { ok: false, detail: statusDetail(reply, 'LivePerson Sentinel answered HTTP') };
    const json = reply.json as { access_token?: unknown; expires_in?: unknown } | undefined;
    const value = json?.access_token;
    if (typeof value !== 'string' || !B64TOKEN.test(value)) return { ok: false, detail: 'LivePerson Sentinel answer has no usable access_token' };

    const lifetimeMs = lifetimeOf(json?.expires_in, value, asked);
    this.token = { value, refreshAt: asked + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs / 2) };
    return bearer(value);
  }
}

function bearer(token: string): Authorization {
  return { ok: true, headers: { Authorization: `Bearer ${token}` } };
}

/**
 * How long the token lives: expires_in when Sentinel gives it (RFC 6749 5.1), else the
 * JWT's own exp claim (LivePerson's documented example answer has only access_token and
 * token_type; its JWT carries exp), else a short guess. The claim is read, not verified:
 * it only decides when to ask again, and LivePerson verifies the token itself.
 */
function lifetimeOf(expiresIn: unknown, token: string, asked: number): number {
  if (typeof expiresIn === 'number' && Number.isFinite(expiresIn) && expiresIn > 0) return expiresIn * 1000;
  const exp = expClaim(token);
  if (exp !== undefined && exp * 1000 > asked) return exp * 1000 - asked;
  return UNKNOWN_LIFETIME_MS;
}

function expClaim(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' && Number.isFinite(claims.exp) ? claims.exp : undefined;
  } catch {
    return undefined;
  }
}
