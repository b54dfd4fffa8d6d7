import { OAuth1Verifier, type OAuth1Credentials } from '../helpers/oauth1-verifier';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest, type Responder } from './fake-server';

/**
 * A fake LivePerson: the IVR Engagement API, and, for the auth modes, the Domain API and
 * Sentinel, each answering with the bodies LivePerson documents:
 *
 * - Engagement: POST /api/account/{accountId}/external/engagement?v=1.0 (anything else on
 *   the API gets a 404 in LivePerson's error shape {time, message, internalCode}); the
 *   test's responder answers, by default Available.
 * - Domain API (https://developers.liveperson.com/domain-api.html):
 *   GET /api/account/{accountId}/service/{service}/baseURI.json?version=1.0 ->
 *   {service, account, baseURI}; it names this fake's own host for "smt" (the engagement
 *   API) and "sentinel". An unknown service is a 400 ("Problem with body or query parameters").
 * - Sentinel (https://developers.liveperson.com/oauth-2-0-client-credentials.html, API V2):
 *   POST /sentinel/api/v2/account/{accountId}/app/token, form client_id, client_secret,
 *   grant_type=client_credentials -> {access_token, token_type: "Bearer"} (the page's
 *   example; expires_in only when asked for: OAuth 2.0 makes it optional). Wrong client:
 *   401 {"error": "invalid_client"} (RFC 6749 5.2, which the page says Sentinel follows).
 *
 * With `apiKey`, the engagement resource requires an OAuth 1.0 HMAC-SHA1 signature
 * (https://developers.liveperson.com/oauth-1-0-api-keys.html), checked by an independent
 * RFC 5849 verifier (test/helpers/oauth1-verifier.ts): wrong signature, unknown key,
 * stale timestamp or a nonce seen before get 401. With `appJwt`, it requires a bearer
 * this fake issued that has not expired on the fake's clock. LivePerson documents 401 as
 * "Bad Authentication" and its errors' shape, not the exact words: the refusal uses both.
 */

export const LP_ACCOUNT_ID = '90412079';

export interface LivePersonFakeOptions {
  apiKey?: OAuth1Credentials;
  appJwt?: {
    clientId: string;
    clientSecret: string;
    /** Token life on the fake's clock (default 3600 s, as in LivePerson's example token). */
    lifetimeSeconds?: number;
    /** Also send expires_in (LivePerson's documented example has only the JWT's exp). */
    withExpiresIn?: boolean;
  };
  /** The fake's clock in ms (timestamps, token expiry); the real one by default. */
  now?: () => number;
}

export interface FakeLivePerson extends FakeServer {
  /** The engagement resource path for the account (no query). */
  engagementPath: string;
  /** Why each refused engagement request was refused, in order. */
  refusals: string[];
  /** Every AppJWT issued, in order. */
  tokensIssued: string[];
  /** Requests to the Domain API, and to Sentinel's token endpoint. */
  domainLookups(): RecordedRequest[];
  tokenRequests(): RecordedRequest[];
  engagementRequests(): RecordedRequest[];
}

export function engagementPath(accountId: string): string {
  return `/api/account/${accountId}/external/engagement`;
}

export async function startFakeLivePerson(
  accountId = LP_ACCOUNT_ID,
  responder: Responder = () => lpAvailable(),
  port = 0,
  options: LivePersonFakeOptions = {},
): Promise<FakeLivePerson> {
  let current = responder;
  const path = engagementPath(accountId);
  const domainPath = new RegExp(`^/api/account/${accountId}/service/([^/]+)/baseURI\\.json$`);
  const tokenPath = `/sentinel/api/v2/account/${accountId}/app/token`;
  const now = options.now ?? Date.now;
  const verifier = options.apiKey ? new OAuth1Verifier(options.apiKey, () => Math.floor(now() / 1000)) : undefined;
  const tokens = new Map<string, number>();
  const refusals: string[] = [];
  const tokensIssued: string[] = [];
  let self = '';

  const server = await startFakeServer((req) => {
    const domain = domainPath.exec(req.path);
    if (req.method === 'GET' && domain && req.query.get('version') === '1.0') return domainAnswer(decodeURIComponent(domain[1]!));
    if (req.method === 'POST' && req.path === tokenPath && options.appJwt) return tokenAnswer(req);
    if (req.method !== 'POST' || req.path !== path || req.query.get('v') !== '1.0') {
      return lpError(404, `No resource for ${req.method} ${req.url}`, 404);
    }
    const refusal = whyRefused(req);
    if (refusal) {
      refusals.push(refusal);
      return lpError(401, 'Bad Authentication', 401);
    }
    return current(req);
  }, port);
  self = server.url.replace(/^http:\/\//, '');

  function domainAnswer(service: string): FakeReply {
    if (service !== 'smt' && service !== 'sentinel') return lpError(400, 'Problem with body or query parameters', 400);
    return json(200, { service, account: accountId, baseURI: self });
  }

  function tokenAnswer(req: RecordedRequest): FakeReply {
    const app = options.appJwt!;
    const form = new URLSearchParams(req.body);
    const formEncoded = /^application\/x-www-form-urlencoded/i.test(String(req.headers['content-type'] ?? ''));
    if (!formEncoded || form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== app.clientId || form.get('client_secret') !== app.clientSecret) return json(401, { error: 'invalid_client' });
    const lifetime = app.lifetimeSeconds ?? 3600;
    const issuedAt = Math.floor(now() / 1000);
    const token = fakeJwt({ aud: `le${accountId}`, azp: app.clientId, iss: 'Sentinel', iat: issuedAt, exp: issuedAt + lifetime, jti: tokensIssued.length + 1 });
    tokens.set(token, (issuedAt + lifetime) * 1000);
    tokensIssued.push(token);
    return json(200, { access_token: token, token_type: 'Bearer', ...(app.withExpiresIn ? { expires_in: lifetime } : {}) });
  }

  function whyRefused(req: RecordedRequest): string | undefined {
    const authorization = req.headers.authorization;
    if (verifier) {
      const verdict = verifier.verify({
        method: req.method,
        url: `http://${String(req.headers.host)}${req.url}`,
        authorization,
        contentType: req.headers['content-type'],
        body: req.body,
      });
      return verdict.ok ? undefined : verdict.why;
    }
    if (options.appJwt) {
      const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      const until = bearer ? tokens.get(bearer) : undefined;
      if (until === undefined) return 'no token this fake issued';
      if (now() >= until) return 'token expired';
    }
    return undefined;
  }

  const byPath = (test: (r: RecordedRequest) => boolean) => () => server.requests.filter(test);
  return {
    ...server,
    engagementPath: path,
    refusals,
    tokensIssued,
    domainLookups: byPath((r) => domainPath.test(r.path)),
    tokenRequests: byPath((r) => r.path === tokenPath),
    engagementRequests: byPath((r) => r.path === path),
    respond: (r) => {
      current = r;
    },
  };
}

/** Shaped like Sentinel's AppJWT (header.payload.signature); the fake knows its tokens by value. */
function fakeJwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ kid: 'appjwt-fake', typ: 'JWT', alg: 'RS256' })}.${part(claims)}.${Buffer.from(`fake-signature-${String(claims.jti)}`).toString('base64url')}`;
}

export interface EngagementDetails {
  urlToChat?: unknown;
  validForSeconds?: unknown;
  expectedWaitTimeSeconds?: unknown;
  queueSize?: unknown;
}

let chatCounter = 0;

/** A fresh one-time chat URL per answer, the way LivePerson hands them out. */
export function lpAvailable(details: EngagementDetails = {}): FakeReply {
  chatCounter += 1;
  return json(200, {
    status: 'Available',
    engagementDetails: {
      urlToChat: `https://lpcdn.lpsnmedia.net/le_unified_window/index.html?lpUnifiedWindowConfig=${chatCounter}`,
      validForSeconds: 300,
      expectedWaitTimeSeconds: 45,
      queueSize: 3,
      ...details,
    },
  });
}

export function lpNotAvailable(): FakeReply {
  return json(200, { status: 'Not Available' });
}

export function lpError(status: number, message: string, internalCode: number): FakeReply {
  return json(status, { time: Date.now(), message, internalCode });
}

export function lpSlow(reply: FakeReply, delayMs: number): FakeReply {
  return { ...reply, delayMs };
}

export function lpMalformed(): FakeReply {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"Avail' };
}

export function lpHang(): FakeReply {
  return { status: 200, hang: true };
}
