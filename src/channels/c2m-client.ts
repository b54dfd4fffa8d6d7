import { ApiKeySigner, AppJwtSource, type LivePersonAuthorizer } from '../availability/liveperson-auth';
import { LivePersonDomains, SERVICE_SENTINEL, type DomainLookup } from '../availability/liveperson-domain';
import { askWithin, statusDetail } from '../availability/remote';
import { redact } from '../availability/secrets';
import { OutboundClient, type OutboundReply } from '../outbound/client';
import { OutboundPolicy } from '../outbound/policy';
import { normaliseHost } from '../outbound/settings';
import type { LivePersonC2mSettings } from '../sms/gateway-config';
import { c2mErrorOf, type C2mError } from './c2m-errors';
import { ABORTED, untilAborted } from '../until-aborted';

/**
 * LivePerson Connect-to-Messaging (C2M v2), the two calls
 * (https://developers.liveperson.com/connect-to-messaging-api.html):
 *
 *   POST https://{domain}/api/account/{accountId}/eligibility?v=2.0
 *     {skill, consumerPhoneNumber (E.164 with "+"), handoffId, sdes?, templateVariables?}
 *     -> 200 {eligible, availableChannels: ["sms","wa"], recommendedChannelName, callId}
 *   POST https://{domain}/api/account/{accountId}/invite?v=2.0
 *     {callId, overrideChannel?} -> 200 {callId}: LivePerson sends the invite itself.
 *   Errors: {errorCode, errorMessage}, the table in c2m-errors.ts.
 *
 * Where: {domain} is what LivePerson's Domain API names for the service
 * "connectToMessagingDomain" (the page's "C2M Domain": va./lo./sy.connect-to-messaging...),
 * looked up once and kept an hour (liveperson-domain.ts), unless LIVEPERSON_C2M_BASE_URL
 * fixes it. Who: the page takes "API key or Bearer «APP_JWT»": the API key signs each
 * request with OAuth 1.0 (its own Node example uses the oauth-1.0a package over the
 * whole URL, the ?v=2.0 included), the AppJWT comes from Sentinel; both are issue 16's
 * authorizers (src/availability/liveperson-auth.ts).
 *
 * The hosts come from the operator's environment (and the Domain API LivePerson runs),
 * not from a campaign, so the outbound policy allows exactly the hosts configured: a
 * local stand-in on 127.0.0.1 works when an operator points the URLs at one.
 */

export const SERVICE_C2M = 'connectToMessagingDomain';
export const C2M_API_VERSION = '2.0';

export interface EligibilityRequest {
  skill: string;
  /** E.164 with the leading "+" (the page's wording). */
  consumerPhoneNumber: string;
  handoffId: string;
  /** The handoff's template variables ({"1": "..."}), SMS and WhatsApp only. */
  templateVariables?: Record<string, string>;
}

export type EligibilityAnswer =
  | { kind: 'eligible'; callId: string; availableChannels: string[]; recommendedChannel: string | null }
  /** LivePerson answered eligible: false: no messaging channel reaches this number. */
  | { kind: 'not-eligible'; callId: string | null; availableChannels: string[] }
  /** LivePerson refused the question (a documented error), or could not be asked. */
  | { kind: 'error'; error: C2mError; detail: string };

export type InviteAnswer = { kind: 'invited'; callId: string } | { kind: 'error'; error: C2mError; detail: string };

/** LivePerson's callId is a UUID v4; anything else is not its answer. */
const CALL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A channel name as LivePerson spells them ("sms", "wa", "twilio", "inapp"...): a short word. */
const CHANNEL = /^[A-Za-z0-9_-]{1,32}$/;

export class C2mClient {
  private readonly domains: LivePersonDomains;
  private readonly authorizer: LivePersonAuthorizer;
  private readonly client: OutboundClient;

  constructor(
    private readonly settings: LivePersonC2mSettings,
    now: () => number = Date.now,
    client?: OutboundClient,
  ) {
    this.client = client ?? new OutboundClient(new OutboundPolicy({ allowedHosts: configuredHosts(settings) }));
    this.domains = new LivePersonDomains(this.client, settings.domainApiUrl, settings.accountId, settings.timeoutMs, now);
    this.authorizer =
      settings.auth === 'api-key'
        ? new ApiKeySigner(settings, now)
        : new AppJwtSource(
            { clientId: settings.clientId, clientSecret: settings.clientSecret },
            {
              client: this.client,
              accountId: settings.accountId,
              timeoutMs: settings.timeoutMs,
              now,
              sentinel: () =>
                settings.sentinelUrl ? Promise.resolve({ ok: true, baseUrl: settings.sentinelUrl }) : this.domains.baseUrlOf(SERVICE_SENTINEL),
            },
          );
  }

  /** Every credential value, for the redaction of whatever is logged or stored. */
  get secretValues(): readonly string[] {
    return this.authorizer.secretValues;
  }

  /**
   * Whether LivePerson can reach this number, and on which channels. Bounded by
   * timeoutMs as a whole (Domain API, token, call): the caller is waiting on the line.
   * Never throws.
   */
  async eligibility(request: EligibilityRequest, signal: AbortSignal): Promise<EligibilityAnswer> {
    const body = {
      skill: request.skill,
      consumerPhoneNumber: request.consumerPhoneNumber,
      handoffId: request.handoffId,
      ...(request.templateVariables && Object.keys(request.templateVariables).length ? { templateVariables: request.templateVariables } : {}),
    };
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.settings.timeoutMs)]);
    const result = await this.post('eligibility', body, deadline);
    if (!result.ok) return { kind: 'error', error: result.error, detail: result.detail };
    const json = result.reply.json;
    if (!isRecord(json) || typeof json.eligible !== 'boolean') return malformed('eligibility answer has no eligible flag');
    const availableChannels = Array.isArray(json.availableChannels) ? json.availableChannels.filter((c): c is string => typeof c === 'string' && CHANNEL.test(c)) : [];
    const callId = typeof json.callId === 'string' && CALL_ID.test(json.callId) ? json.callId : null;
    if (!json.eligible) return { kind: 'not-eligible', callId, availableChannels };
    // The invite names the callId: an eligible answer without one cannot be acted on.
    if (!callId) return malformed('eligibility answer is eligible but has no callId (UUID)');
    const recommended = typeof json.recommendedChannelName === 'string' && CHANNEL.test(json.recommendedChannelName) ? json.recommendedChannelName : null;
    return { kind: 'eligible', callId, availableChannels, recommendedChannel: recommended };
  }

  /**
   * Asks LivePerson to send the invite. Bounded by the caller's signal only (the outbox's
   * attempt timeout): nobody is waiting on the line for it. Never throws.
   */
  async invite(request: { callId: string; overrideChannel?: string }, signal: AbortSignal): Promise<InviteAnswer> {
    const body = { callId: request.callId, ...(request.overrideChannel ? { overrideChannel: request.overrideChannel } : {}) };
    const result = await this.post('invite', body, signal);
    if (!result.ok) return { kind: 'error', error: result.error, detail: result.detail };
    const json = result.reply.json;
    // The page documents {callId} on 200; an answer without it is still LivePerson saying
    // yes, and the id we asked with is the one it would give.
    const callId = isRecord(json) && typeof json.callId === 'string' && CALL_ID.test(json.callId) ? json.callId : request.callId;
    return { kind: 'invited', callId };
  }

  private async post(
    resource: 'eligibility' | 'invite',
    body: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<{ ok: true; reply: OutboundReply } | { ok: false; error: C2mError; detail: string }> {
    const where = await untilAborted(this.baseUrl(), signal);
    if (where === ABORTED) return this.stopped();
    if (!where.ok) return { ok: false, error: UNREACHABLE, detail: this.scrub(where.detail) };
    const url = `${where.baseUrl}/api/account/${encodeURIComponent(this.settings.accountId)}/${resource}?v=${C2M_API_VERSION}`;

    const auth = await untilAborted(this.authorizer.authorize('POST', url), signal);
    if (auth === ABORTED) return this.stopped();
    if (!auth.ok) return { ok: false, error: UNREACHABLE, detail: this.scrub(auth.detail) };

    const result = await askWithin(
      this.client,
      { method: 'POST', url, headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...auth.headers }, body: JSON.stringify(body) },
      // The signal carries the deadline; this bound only keeps askWithin's own timer sane.
      60_000,
      signal,
    );
    if (!result.ok) {
      if (signal.aborted) return this.stopped();
      return { ok: false, error: UNREACHABLE, detail: this.scrub(`LivePerson C2M: ${result.detail}`) };
    }
    const { reply } = result;
    if (reply.status >= 200 && reply.status <= 299) return { ok: true, reply };
    // A refused token may be one Sentinel has revoked early: the next call fetches a new one.
    if (reply.status === 401) this.authorizer.refused();
    const error = c2mErrorOf(reply.status, reply.json);
    const words = isRecord(reply.json) && typeof reply.json.errorMessage === 'string' ? `: ${reply.json.errorMessage}` : '';
    return { ok: false, error, detail: this.scrub(`${statusDetail(reply, `LivePerson C2M ${resource} answered HTTP`)} ${error.code}${words}`) };
  }

  private baseUrl(): Promise<DomainLookup> {
    return this.settings.baseUrl ? Promise.resolve({ ok: true, baseUrl: this.settings.baseUrl }) : this.domains.baseUrlOf(SERVICE_C2M);
  }

  /** The caller hung up, the outbox's attempt timed out, or the offer's budget ran out: no answer in time either way. */
  private stopped(): { ok: false; error: C2mError; detail: string } {
    return { ok: false, error: TIMEOUT, detail: 'LivePerson C2M: no answer in time' };
  }

  private scrub(detail: string): string {
    return redact(detail, this.authorizer.secretValues);
  }
}

const UNREACHABLE: C2mError = { code: 'c2m-unreachable', meaning: 'unavailable' };
const TIMEOUT: C2mError = { code: 'c2m-timeout', meaning: 'unavailable' };

function malformed(detail: string): EligibilityAnswer {
  return { kind: 'error', error: { code: 'c2m-malformed', meaning: 'unavailable' }, detail: `LivePerson C2M ${detail}` };
}

/** The hosts an operator configured (the Domain API also names hosts on them in a local set-up). */
function configuredHosts(settings: LivePersonC2mSettings): string[] {
  return [settings.domainApiUrl, settings.baseUrl, settings.sentinelUrl]
    .filter((u): u is string => Boolean(u))
    .map((u) => normaliseHost(new URL(u).hostname));
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
