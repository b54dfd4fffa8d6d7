import type { OutboundClient } from '../outbound/client';
import { askWithin, statusDetail } from './remote';

/**
 * LivePerson's Domain API: which host serves a given LivePerson service for an account.
 * https://developers.liveperson.com/domain-api.html
 *
 *   GET https://api.liveperson.net/api/account/{accountId}/service/{serviceName}/baseURI.json?version=1.0
 *   -> {"service": "smt", "account": "90412079", "baseURI": "va.v.liveperson.net"}
 *
 * Service names are case sensitive. The IVR (external) Engagement API is served by "smt"
 * (LivePerson's own External Engagements API examples look up service/smt before calling
 * /external/engagement); Sentinel, which issues AppJWTs, by "sentinel"
 * (https://developers.liveperson.com/oauth-2-0-client-credentials.html, step 2).
 *
 * LivePerson asks clients not to hard-code these hosts (they move), and a lookup per call
 * would put a second round trip in front of every caller: answers are kept for ttlMs and
 * concurrent callers share one request. A failed lookup is not kept: the next call asks
 * again (the availability answer cache already spaces a dead endpoint's callers out).
 */

export const SERVICE_ENGAGEMENT = 'smt';
export const SERVICE_SENTINEL = 'sentinel';

/** An hour: hosts move rarely, and a stale host fails loudly (the check's onError decides). */
export const DOMAIN_TTL_MS = 60 * 60 * 1000;

export type DomainLookup = { ok: true; baseUrl: string } | { ok: false; detail: string };

/** A host name, optionally with a port: never a path, credentials or a scheme of its own. */
const HOST = /^[A-Za-z0-9.-]+(?::\d{1,5})?$/;

export function domainApiUrl(domainApi: string, accountId: string, service: string): string {
  const base = domainApi.replace(/\/+$/, '');
  return `${base}/api/account/${encodeURIComponent(accountId)}/service/${encodeURIComponent(service)}/baseURI.json?version=1.0`;
}

export class LivePersonDomains {
  private readonly known = new Map<string, { baseUrl: string; until: number }>();
  private readonly inFlight = new Map<string, Promise<DomainLookup>>();

  constructor(
    private readonly client: OutboundClient,
    private readonly domainApi: string,
    private readonly accountId: string,
    private readonly timeoutMs: number,
    private readonly now: () => number = Date.now,
    private readonly ttlMs: number = DOMAIN_TTL_MS,
  ) {}

  /** The service's base URL ("https://va.v.liveperson.net"), from the cache or one shared lookup. */
  baseUrlOf(service: string): Promise<DomainLookup> {
    const cached = this.known.get(service);
    if (cached && this.now() < cached.until) return Promise.resolve({ ok: true, baseUrl: cached.baseUrl });
    let flight = this.inFlight.get(service);
    if (!flight) {
      flight = this.lookUp(service).finally(() => this.inFlight.delete(service));
      this.inFlight.set(service, flight);
    }
    return flight;
  }

  /**
   * Bounded by its own timeout, not by any one caller's signal: other callers may be
   * waiting for the same answer, and one caller hanging up says nothing about LivePerson.
   */
  private async lookUp(service: string): Promise<DomainLookup> {
    const result = await askWithin(
      this.client,
      { method: 'GET', url: domainApiUrl(this.domainApi, this.accountId, service), headers: { Accept: 'application/json' } },
      this.timeoutMs,
      new AbortController().signal,
    );
    if (!result.ok) return { ok: false, detail: `LivePerson Domain API: ${result.detail}` };
    const { reply } = result;
    if (reply.status < 200 || reply.status > 299) return { ok: false, detail: statusDetail(reply, 'LivePerson Domain API answered HTTP') };
    const host = baseUriIn(reply.json, service);
    if (!host) return { ok: false, detail: `LivePerson Domain API named no usable host for ${service}` };
    // The hosts are reached the way the Domain API is: https in production (the default
    // Domain API URL), plain http only where an operator points domainApiUrl at a local stand-in.
    const scheme = new URL(this.domainApi).protocol;
    const baseUrl = `${scheme}//${host}`;
    this.known.set(service, { baseUrl, until: this.now() + this.ttlMs });
    return { ok: true, baseUrl };
  }
}

/**
 * The per-service answer is one {service, account, baseURI}; the all-services form
 * (.../service/baseURI.json) is {baseURIs: [...]}: both are read, by service name.
 */
function baseUriIn(json: unknown, service: string): string | undefined {
  const entries = isRecord(json) && Array.isArray(json.baseURIs) ? json.baseURIs : [json];
  for (const entry of entries) {
    if (isRecord(entry) && entry.service === service && typeof entry.baseURI === 'string' && HOST.test(entry.baseURI)) {
      return entry.baseURI;
    }
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
