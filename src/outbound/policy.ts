import dns, { type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { refusedKind } from './addresses';
import { normaliseHost, type OutboundSettings } from './settings';

/**
 * The one rule for every request to a URL that comes from a campaign or the console
 * (availability checks): only http(s), and never an internal address (loopback, private,
 * link-local, CGNAT, cloud metadata...) unless OUTBOUND_ALLOWED_HOSTS names the host.
 *
 * The address is judged where the connection is made, in the agents' DNS lookup: the
 * address checked is the address connected to, so a name that resolves to a public
 * address for a pre-check and to 127.0.0.1 a moment later (DNS rebinding) is refused.
 * Node connects to an IP literal without a lookup, so literals are judged up front.
 */

/** Node's dns.lookup, or a stand-in (tests answer names without a network). */
export type Resolver = (hostname: string, options: dns.LookupAllOptions, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/** The error code a refused connection fails with. */
export const REFUSED_CODE = 'EOUTBOUNDREFUSED';

export class OutboundRefused extends Error {
  readonly code = REFUSED_CODE;
}

export class OutboundPolicy {
  private readonly allowed: ReadonlySet<string>;
  /** Agents for the adapters' HTTP client: every connection they open goes through refuseInternal. */
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;

  constructor(settings: OutboundSettings, resolve: Resolver = dns.lookup as Resolver) {
    this.allowed = new Set(settings.allowedHosts.map(normaliseHost));
    const lookup = this.guardedLookup(resolve);
    // keepAlive off: a pooled socket would skip the lookup on its next request.
    this.httpAgent = new http.Agent({ lookup, keepAlive: false });
    this.httpsAgent = new https.Agent({ lookup, keepAlive: false });
  }

  /**
   * Why a URL may not be requested (as a sentence), or undefined. Refuses what can be
   * told without DNS: a scheme other than http(s), and an internal IP literal (which
   * the URL parser has already normalised: 2130706433 and 0x7f.1 are 127.0.0.1).
   */
  problemWith(url: string): string | undefined {
    if (!URL.canParse(url)) return 'is not a URL';
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http(s) URL';
    const host = normaliseHost(parsed.hostname);
    if (this.allowed.has(host) || !isIP(host)) return undefined;
    return this.refusal(host, host);
  }

  private refusal(host: string, address: string): string | undefined {
    const kind = refusedKind(address);
    if (!kind) return undefined;
    const where = host === address ? address : `${host} (${address})`;
    return `${where} is a ${kind} address; name the host in OUTBOUND_ALLOWED_HOSTS to allow it`;
  }

  /**
   * A lookup that refuses the connection when any address the name resolves to is
   * internal: refusing outright, rather than connecting to a public one of them, keeps
   * the rule simple and a half-internal name is a misconfiguration anyway.
   */
  private guardedLookup(resolve: Resolver): LookupFunction {
    return (hostname, options, callback) => {
      resolve(hostname, { ...options, all: true }, (err, addresses) => {
        if (err) return callback(err, '', 0);
        const host = normaliseHost(hostname);
        if (!this.allowed.has(host)) {
          for (const { address } of addresses) {
            const refusal = this.refusal(host, address);
            if (refusal) return callback(new OutboundRefused(refusal), '', 0);
          }
        }
        if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0];
        if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
        callback(null, first.address, first.family);
      });
    };
  }
}
