import { isIP } from 'node:net';
import { z } from 'zod';
import { optionalText } from '../env-values';

/**
 * OUTBOUND_ALLOWED_HOSTS: the hosts a campaign's URLs may reach although they resolve to
 * (or are) a loopback, private, link-local or other internal address. Spread into the
 * config's schema, like the security settings.
 */

export interface OutboundSettings {
  /** Host names (lower case) and IP addresses, exactly as they appear in a URL's host. */
  allowedHosts: string[];
}

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$/;

export const OutboundEnvShape = {
  OUTBOUND_ALLOWED_HOSTS: optionalText.pipe(
    z
      .string()
      .default('')
      .transform((v, ctx) => {
        const hosts = v.split(',').map((h) => normaliseHost(h.trim())).filter(Boolean);
        if (hosts.every((h) => isIP(h) || HOST_NAME.test(h))) return hosts;
        ctx.addIssue('must be a comma-separated list of host names or IP addresses (no schemes, ports or paths)');
        return z.NEVER;
      }),
  ),
};

export function outboundSettingsFrom(e: { OUTBOUND_ALLOWED_HOSTS: string[] }): OutboundSettings {
  return { allowedHosts: e.OUTBOUND_ALLOWED_HOSTS };
}

/** How a host is compared: lower case, IPv6 without its URL brackets. */
export function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}
