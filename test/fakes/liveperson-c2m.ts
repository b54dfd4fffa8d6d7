import { randomUUID } from 'node:crypto';
import { OAuth1Verifier, type OAuth1Credentials } from '../helpers/oauth1-verifier';
import { json, startFakeServer, type FakeReply, type FakeServer, type RecordedRequest } from './fake-server';

/**
 * A fake LivePerson Connect-to-Messaging (C2M v2), answering with what LivePerson
 * documents at https://developers.liveperson.com/connect-to-messaging-api.html:
 *
 * - Eligibility: POST /api/account/{accountId}/eligibility?v=2.0, JSON
 *   {skill, consumerPhoneNumber (E.164 with "+"), handoffId, sdes?, templateVariables?}
 *   -> 200 {availableChannels, recommendedChannelName, eligible, callId (UUID v4)}.
 * - Invite: POST /api/account/{accountId}/invite?v=2.0, JSON {callId, overrideChannel?,
 *   overrideMessage?, overrideSkill?} -> 200 {callId}.
 * - Errors {errorMessage, errorCode} with the page's "Common Error Responses" table:
 *   400 1000 Invalid request, 1001 Invalid customerPhoneNumber, 1002 Invalid version,
 *   1300 No engagement found for skill <<skill>>, 1500 No handoff is available, 1900
 *   Overridden channel is not available; 401 1100 Invalid Bearer token; 404 1004 Not
 *   Found; 405 1005 Method Not Allowed; 415 1015 Unsupported Media Type; 429 1029 Rate
 *   limit hit; 500 5000-7000 Internal Server Error.
 * - Domain API (https://developers.liveperson.com/domain-api.html): GET
 *   /api/account/{accountId}/service/{service}/baseURI.json?version=1.0 -> {service,
 *   account, baseURI}, naming this fake for "connectToMessagingDomain" (the C2M page's
 *   "C2M Domain" service name) and "sentinel".
 * - Sentinel (https://developers.liveperson.com/oauth-2-0-client-credentials.html, API
 *   V2): POST /sentinel/api/v2/account/{accountId}/app/token, form client_credentials ->
 *   {access_token, token_type: "Bearer"}; wrong client 401 {"error":"invalid_client"}.
 *
 * Auth, as the page says: "API key or Bearer «APP_JWT»". With `apiKey`, each C2M request
 * must carry an OAuth 1.0 HMAC-SHA1 signature over the URL as sent (?v=2.0 included),
 * checked by the independent RFC 5849 verifier (test/helpers/oauth1-verifier.ts), which
 * also refuses stale timestamps and a nonce seen before (a replay). With `appJwt`, a
 * bearer this fake issued and has not revoked. Refused: 401 {errorCode: 1100}.
 *
 * The account's set-up: handoffs (id -> the skills they route to) and which channels
 * reach each number (a number not listed is not eligible: no channel reaches it).
 */

export const C2M_ACCOUNT_ID = '65746799';
export const C2M_SERVICE = 'connectToMessagingDomain';

export interface C2mFakeOptions {
  accountId?: string;
  apiKey?: OAuth1Credentials;
  appJwt?: { clientId: string; clientSecret: string };
  /** Handoff id -> skills with an engagement. */
  handoffs?: Record<string, string[]>;
  /** E.164 -> the channels LivePerson can reach it on, best first ("sms", "wa"). */
  consumers?: Record<string, string[]>;
  now?: () => number;
}

export interface IssuedCall {
  callId: string;
  phone: string;
  skill: string;
  handoffId: string;
  availableChannels: string[];
  templateVariables?: unknown;
}

export interface SentInvite {
  callId: string;
  phone: string;
  /** The channel LivePerson sent the invite on. */
  channel: string;
}

export interface FakeC2m extends FakeServer {
  /** Every eligibility answer given with a callId, by callId. */
  calls: Map<string, IssuedCall>;
  /** Every invite LivePerson "sent", in order. */
  invites: SentInvite[];
  /** Why each refused C2M request was refused. */
  refusals: string[];
  tokensIssued: string[];
  /** Answers the next C2M request (eligibility or invite) with this instead, once each. */
  failNext(...replies: FakeReply[]): void;
  /** Revokes every AppJWT issued so far (the next request with one gets 401 1100). */
  revokeTokens(): void;
  eligibilityRequests(): RecordedRequest[];
  inviteRequests(): RecordedRequest[];
  domainLookups(): RecordedRequest[];
  tokenRequests(): RecordedRequest[];
}

export function c2mError(status: number, errorCode: number, errorMessage: string): FakeReply {
  return json(status, { errorMessage, errorCode });
}

const E164 = /^\+[1-9]\d{6,14}$/;

export async function startFakeC2m(options: C2mFakeOptions = {}): Promise<FakeC2m> {
  const accountId = options.accountId ?? C2M_ACCOUNT_ID;
  const now = options.now ?? Date.now;
  const handoffs = options.handoffs ?? { H072047293477863: ['support', 'sales'] };
  const consumers = options.consumers ?? {};
  const verifier = options.apiKey ? new OAuth1Verifier(options.apiKey, () => Math.floor(now() / 1000)) : undefined;
  const tokens = new Set<string>();
  const calls = new Map<string, IssuedCall>();
  const invites: SentInvite[] = [];
  const refusals: string[] = [];
  const tokensIssued: string[] = [];
  const queued: FakeReply[] = [];
  const base = `/api/account/${accountId}`;
  const domainPath = new RegExp(`^${base}/service/([^/]+)/baseURI\\.json$`);
  const tokenPath = `/sentinel/api/v2/account/${accountId}/app/token`;
  let self = '';

  const server = await startFakeServer((req) => {
    const domain = domainPath.exec(req.path);
    if (req.method === 'GET' && domain && req.query.get('version') === '1.0') return domainAnswer(decodeURIComponent(domain[1]!));
    if (req.path === tokenPath && req.method === 'POST' && options.appJwt) return tokenAnswer(req);
    const resource = req.path === `${base}/eligibility` ? 'eligibility' : req.path === `${base}/invite` ? 'invite' : undefined;
    if (!resource) return c2mError(404, 1004, 'Not Found');
    if (req.method !== 'POST') return c2mError(405, 1005, 'Method Not Allowed');
    const refusal = whyRefused(req);
    if (refusal) {
      refusals.push(refusal);
      return c2mError(401, 1100, 'Invalid Bearer token');
    }
    const next = queued.shift();
    if (next) return next;
    if (!/^application\/json\b/i.test(String(req.headers['content-type'] ?? ''))) return c2mError(415, 1015, 'Unsupported Media Type');
    if (req.query.get('v') !== '2.0') return c2mError(400, 1002, 'Invalid version');
    let body: unknown;
    try {
      body = JSON.parse(req.body);
    } catch {
      return c2mError(400, 1000, 'Invalid request');
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return c2mError(400, 1000, 'Invalid request');
    return resource === 'eligibility' ? eligibility(body as Record<string, unknown>) : invite(body as Record<string, unknown>);
  });
  self = server.url.replace(/^http:\/\//, '');

  function eligibility(body: Record<string, unknown>): FakeReply {
    const { skill, consumerPhoneNumber: phone, handoffId } = body;
    if (typeof skill !== 'string' || typeof handoffId !== 'string' || typeof phone !== 'string') return c2mError(400, 1000, 'Invalid request');
    if (!E164.test(phone)) return c2mError(400, 1001, 'Invalid customerPhoneNumber');
    const skills = handoffs[handoffId];
    if (!skills) return c2mError(400, 1500, 'No handoff is available');
    if (!skills.includes(skill)) return c2mError(400, 1300, `No engagement found for skill ${skill}`);
    const availableChannels = consumers[phone] ?? [];
    const callId = randomUUID();
    calls.set(callId, { callId, phone, skill, handoffId, availableChannels, ...(body.templateVariables ? { templateVariables: body.templateVariables } : {}) });
    return json(200, { availableChannels, recommendedChannelName: availableChannels[0] ?? '', eligible: availableChannels.length > 0, callId });
  }

  function invite(body: Record<string, unknown>): FakeReply {
    const call = typeof body.callId === 'string' ? calls.get(body.callId) : undefined;
    if (!call || call.availableChannels.length === 0) return c2mError(400, 1400, 'Message cannot be sent');
    const wanted = typeof body.overrideChannel === 'string' ? (body.overrideChannel === 'twilio' ? 'sms' : body.overrideChannel) : undefined;
    if (wanted !== undefined && !call.availableChannels.includes(wanted)) return c2mError(400, 1900, 'Overridden channel is not available');
    invites.push({ callId: call.callId, phone: call.phone, channel: wanted ?? call.availableChannels[0]! });
    return json(200, { callId: call.callId });
  }

  function domainAnswer(service: string): FakeReply {
    if (service !== C2M_SERVICE && service !== 'sentinel') return json(400, { message: 'Problem with body or query parameters' });
    return json(200, { service, account: accountId, baseURI: self });
  }

  function tokenAnswer(req: RecordedRequest): FakeReply {
    const app = options.appJwt!;
    const form = new URLSearchParams(req.body);
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== app.clientId || form.get('client_secret') !== app.clientSecret) return json(401, { error: 'invalid_client' });
    const issuedAt = Math.floor(now() / 1000);
    const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const token = `${part({ typ: 'JWT', alg: 'RS256' })}.${part({ aud: `le${accountId}`, azp: app.clientId, iss: 'Sentinel', iat: issuedAt, exp: issuedAt + 3600, jti: randomUUID() })}.${Buffer.from(`sig-${tokensIssued.length}`).toString('base64url')}`;
    tokens.add(token);
    tokensIssued.push(token);
    return json(200, { access_token: token, token_type: 'Bearer' });
  }

  function whyRefused(req: RecordedRequest): string | undefined {
    const authorization = req.headers.authorization;
    if (verifier) {
      const verdict = verifier.verify({ method: req.method, url: `http://${String(req.headers.host)}${req.url}`, authorization, contentType: req.headers['content-type'], body: req.body });
      return verdict.ok ? undefined : verdict.why;
    }
    if (options.appJwt) {
      const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
      return bearer && tokens.has(bearer) ? undefined : 'no live token this fake issued';
    }
    return undefined;
  }

  const byPath = (test: (r: RecordedRequest) => boolean) => () => server.requests.filter(test);
  return {
    ...server,
    calls,
    invites,
    refusals,
    tokensIssued,
    failNext: (...replies) => queued.push(...replies),
    revokeTokens: () => tokens.clear(),
    eligibilityRequests: byPath((r) => r.path === `${base}/eligibility`),
    inviteRequests: byPath((r) => r.path === `${base}/invite`),
    domainLookups: byPath((r) => domainPath.test(r.path)),
    tokenRequests: byPath((r) => r.path === tokenPath),
  };
}
