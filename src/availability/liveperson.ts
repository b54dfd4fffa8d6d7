import type { OutboundClient, OutboundReply } from '../outbound/client';
import { createAuthorizer, type LivePersonAuthorizer } from './liveperson-auth';
import { LivePersonDomains, SERVICE_ENGAGEMENT, SERVICE_SENTINEL, domainApiUrl, type DomainLookup } from './liveperson-domain';
import { askWithin, failed, seconds, statusDetail } from './remote';
import type { AvailabilityAnswer, AvailabilityCheck, AvailabilityRequest } from './port';
import { redact, resolveHeaders, type Secrets } from './secrets';
import { isAbsoluteHttpUrl, type LivePersonSettings } from './settings';
import { ABORTED, untilAborted } from '../until-aborted';
import { contextAttributes } from './liveperson-context';

/**
 * LivePerson's IVR Engagement API: one POST per call asks whether an agent can take a
 * chat now. "Available" comes with a short-lived, one-time urlToChat to text the caller;
 * "Not Available" means hand the call back. Errors come as {time, message, internalCode}:
 * a failure's detail keeps the status only, never LivePerson's words (see statusDetail).
 *
 * Where: baseUrl, else https://{domain}, else the host LivePerson's Domain API names for
 * the account (service smt), looked up once and kept an hour (liveperson-domain.ts).
 * Who: the campaign's auth block (liveperson-auth.ts): each request signed with the API
 * key (OAuth 1.0), or carrying an AppJWT from Sentinel, cached until shortly before expiry.
 * A lookup or token that cannot be had is an availability failure like any other: the
 * campaign's onError decides, and the whole check stays within timeoutMs.
 */
export class LivePersonAvailability implements AvailabilityCheck {
  private readonly headers: Record<string, string>;
  private readonly domains: LivePersonDomains;
  private readonly authorizer: LivePersonAuthorizer | undefined;
  private readonly secretValues: readonly string[];

  /** Throws when a header or the auth block names an unset secret: a start-up error, not a per-call one. */
  constructor(
    private readonly settings: LivePersonSettings,
    secrets: Secrets,
    private readonly client: OutboundClient,
    private readonly now: () => number = Date.now,
  ) {
    this.headers = resolveHeaders(settings.headers, secrets);
    this.domains = new LivePersonDomains(client, settings.domainApiUrl, settings.accountId, settings.timeoutMs, now);
    this.authorizer = settings.auth
      ? createAuthorizer(settings.auth, secrets, {
          client,
          accountId: settings.accountId,
          timeoutMs: settings.timeoutMs,
          now,
          sentinel: () => (settings.sentinelUrl ? Promise.resolve({ ok: true, baseUrl: settings.sentinelUrl }) : this.domains.baseUrlOf(SERVICE_SENTINEL)),
        })
      : undefined;
    this.secretValues = this.authorizer?.secretValues ?? [];
  }

  /** The campaign's engagement attributes, then the call's context as attributes (liveperson-context.ts). */
  private bodyFor(request: AvailabilityRequest): string {
    return JSON.stringify({
      appType: 'IVR',
      consumerSections: this.settings.consumerSections,
      engagementAttributes: [...this.settings.engagementAttributes, ...contextAttributes(request.context)],
    });
  }

  async check(request: AvailabilityRequest, signal: AbortSignal): Promise<AvailabilityAnswer> {
    const { timeoutMs } = this.settings;
    const started = this.now();
    const caller = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);

    // Lookups and token fetches are shared with other calls, so the caller's abort or
    // deadline stops waiting for them without cancelling them.
    const where = await untilAborted(this.engagementUrl(), caller);
    if (where === ABORTED) return this.stopped(signal);
    if (!where.ok) return failed(this.scrub(where.detail));
    const url = engagementUrlAt(where.baseUrl, this.settings.accountId);

    const auth = this.authorizer ? await untilAborted(this.authorizer.authorize('POST', url), caller) : { ok: true as const, headers: {} };
    if (auth === ABORTED) return this.stopped(signal);
    if (!auth.ok) return failed(this.scrub(auth.detail));

    const remaining = Math.max(1, timeoutMs - (this.now() - started));
    const result = await askWithin(
      this.client,
      {
        method: 'POST',
        url,
        // The signature goes last: a campaign header may not replace it.
        headers: { ...this.headers, 'Content-Type': 'application/json', Accept: 'application/json', ...auth.headers },
        body: this.bodyFor(request),
      },
      remaining,
      signal,
    );
    if (!result.ok) {
      if (signal.aborted) return failed('LivePerson: the caller stopped waiting');
      const detail = /^no answer within/.test(result.detail) ? `no answer within ${timeoutMs} ms` : result.detail;
      return failed(this.scrub(`LivePerson: ${detail}`));
    }
    if (result.reply.status === 401) this.authorizer?.refused();
    return answerOf(result.reply);
  }

  /** baseUrl, else https://{domain}, else the Domain API's host for the engagement service. */
  private engagementUrl(): Promise<DomainLookup> {
    const fixed = fixedBase(this.settings);
    return fixed ? Promise.resolve({ ok: true, baseUrl: fixed }) : this.domains.baseUrlOf(SERVICE_ENGAGEMENT);
  }

  private stopped(signal: AbortSignal): AvailabilityAnswer {
    return failed(signal.aborted ? 'LivePerson: the caller stopped waiting' : `LivePerson: no answer within ${this.settings.timeoutMs} ms`);
  }

  private scrub(detail: string): string {
    return redact(detail, this.secretValues);
  }
}


function fixedBase(settings: Pick<LivePersonSettings, 'baseUrl' | 'domain'>): string | undefined {
  return settings.baseUrl ?? (settings.domain ? `https://${settings.domain}` : undefined);
}

function engagementUrlAt(base: string, accountId: string): string {
  return `${base.replace(/\/+$/, '')}/api/account/${encodeURIComponent(accountId)}/external/engagement?v=1.0`;
}

/** The engagement URL when the campaign fixes the host (baseUrl or domain); undefined when the Domain API names it. */
export function engagementUrl(settings: Pick<LivePersonSettings, 'accountId' | 'baseUrl' | 'domain'>): string | undefined {
  const base = fixedBase(settings);
  return base ? engagementUrlAt(base, settings.accountId) : undefined;
}

/**
 * The first URL the check requests and the setting that gives it, for the start-up check
 * against the outbound policy: the engagement URL, or the Domain API when that names the host.
 */
export function livePersonFirstUrl(
  settings: Pick<LivePersonSettings, 'accountId' | 'baseUrl' | 'domain' | 'domainApiUrl'>,
): { field: string; value: string } {
  const fixed = engagementUrl(settings);
  if (fixed) return { field: settings.baseUrl ? 'baseUrl' : 'domain', value: fixed };
  return { field: 'domainApiUrl', value: domainApiUrl(settings.domainApiUrl, settings.accountId, SERVICE_ENGAGEMENT) };
}

function answerOf(reply: OutboundReply): AvailabilityAnswer {
  if (reply.status < 200 || reply.status > 299) return failed(statusDetail(reply, 'LivePerson answered HTTP'));
  const json = reply.json;
  if (!isRecord(json)) return failed('LivePerson answer is not a JSON object');
  if (json.status === 'Not Available') return { kind: 'not-available', detail: 'LivePerson: Not Available' };
  if (json.status === undefined) return failed('LivePerson answer has no status');
  if (json.status !== 'Available') return failed('LivePerson answered an unknown status');

  const details = isRecord(json.engagementDetails) ? json.engagementDetails : {};
  // Texting the campaign link instead would skip the engagement LivePerson just reserved,
  // so an Available answer without a usable urlToChat is malformed, not "available".
  if (!isAbsoluteHttpUrl(details.urlToChat)) return failed('LivePerson answer has no absolute http(s) urlToChat');
  const validForSeconds = seconds(details.validForSeconds);
  const expectedWaitSeconds = seconds(details.expectedWaitTimeSeconds);
  const queueSize = seconds(details.queueSize);
  return {
    kind: 'available',
    chatUrl: details.urlToChat,
    ...(validForSeconds !== undefined ? { validForSeconds } : {}),
    ...(expectedWaitSeconds !== undefined ? { expectedWaitSeconds } : {}),
    ...(queueSize !== undefined ? { queueSize } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
