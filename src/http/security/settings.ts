import { z } from 'zod';
import { optionalText } from '../../env-values';
import { parseCidr, type Cidr } from './cidr';

/**
 * Who may fetch the IVR documents, which proxies' X-Forwarded-For to believe, and how
 * often a client may follow short links: the environment variables and their parsing
 * (spread into the config's schema, like the gateways').
 */

export interface SecuritySettings {
  /**
   * Express's `trust proxy`: false (the socket's address is the client), a number of
   * proxy hops, or the proxies' addresses (CIDRs or loopback / linklocal / uniquelocal).
   */
  trustProxy: false | number | string[];
  ivrAccess: IvrAccessSettings;
  /** Short-link requests per minute per client address; 0 means no limit. */
  shortLinkRateLimit: number;
}

export interface IvrAccessSettings {
  /** Networks the VoiceXML platform fetches from; empty means any address. */
  allowedCidrs: Cidr[];
  /** The value /vxml/start must carry; undefined means none is asked for. */
  sharedSecret: string | undefined;
  /** The query or form parameter that carries it (the X-IVR-Secret header also does). */
  secretParam: string;
  /** IVR_OPEN: the operator chose to serve /vxml/ to anyone on a public address (warned at every start). */
  openOnPurpose: boolean;
  rateLimits: IvrRateLimits;
}

/**
 * Requests per minute per source address (0 = no limit). An address inside
 * IVR_ALLOWED_CIDRS is the VoiceXML platform, which carries all its calls: it gets the
 * larger `platform` budget; any other address the small `other` one.
 */
export interface IvrRateLimits {
  start: { platform: number; other: number };
  /** The send step: /vxml/confirm, the request that texts the number. */
  send: { platform: number; other: number };
}

/** Parameters the IVR documents read: the secret's parameter must not be one of them. */
const IVR_PARAMETERS = ['dnis', 'ani', 'callid', 'mode', 'call', 'answer', 'reason', 'campaign'];
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function perMinute(fallback: number) {
  return optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number from 0 to 100000')
      .transform(Number)
      .refine((n) => n <= 100_000, 'must be a whole number from 0 to 100000')
      .default(fallback),
  );
}
const commaList = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

export const SecurityEnvShape = {
  TRUST_PROXY: optionalText.pipe(
    z
      .string()
      .default('false')
      .transform((v, ctx): SecuritySettings['trustProxy'] => {
        const value = v.trim().toLowerCase();
        if (value === 'false' || value === '0') return false;
        if (/^\d{1,2}$/.test(value)) return Number(value);
        const entries = commaList(value);
        // `true` believes whatever X-Forwarded-For a client sends: anyone could claim an
        // allowed address or dodge a rate limit.
        const valid = entries.length > 0 && entries.every((e) => TRUST_PROXY_NAMES.includes(e) || parseCidr(e));
        if (valid) return entries;
        ctx.addIssue('must be false, a number of proxies, or the proxies\' addresses (CIDRs, loopback, linklocal, uniquelocal); not true');
        return z.NEVER;
      }),
  ),
  IVR_ALLOWED_CIDRS: optionalText.pipe(
    z
      .string()
      .default('')
      .transform((v, ctx) => {
        const cidrs = commaList(v).map(parseCidr);
        if (cidrs.every((c): c is Cidr => c !== undefined)) return cidrs;
        ctx.addIssue('must be a comma-separated list of IPv4 or IPv6 addresses or networks (10.20.0.0/16, 2001:db8::/32)');
        return z.NEVER;
      }),
  ),
  // It sits in the IVR's start URL: URL-safe characters need no encoding there.
  IVR_SHARED_SECRET: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9._~-]{16,256}$/, 'must be 16 to 256 letters, digits or . _ ~ -')
      .optional(),
  ),
  IVR_SECRET_PARAM: optionalText.pipe(
    z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must be a parameter name: a letter, then letters, digits or _ . -')
      .refine((v) => !IVR_PARAMETERS.includes(v.toLowerCase()), `must not be one of the IVR's parameters (${IVR_PARAMETERS.join(', ')})`)
      .default('key'),
  ),
  IVR_OPEN: optionalText.pipe(z.enum(['true', 'false'], { error: 'must be true or false' }).default('false')),
  // One address outside IVR_ALLOWED_CIDRS is one tester or one script: a minute of calls
  // at a few a second, a few texts. The platform's networks carry every call of the
  // contact centre: hundreds a minute must never come near theirs.
  IVR_START_RATE_LIMIT: perMinute(60),
  IVR_SEND_RATE_LIMIT: perMinute(10),
  IVR_PLATFORM_START_RATE_LIMIT: perMinute(6000),
  IVR_PLATFORM_SEND_RATE_LIMIT: perMinute(3000),
  SHORT_LINK_RATE_LIMIT: perMinute(120),
};

type SecurityEnv = z.output<z.ZodObject<typeof SecurityEnvShape>>;

export function securitySettingsFrom(e: SecurityEnv): SecuritySettings {
  return {
    trustProxy: e.TRUST_PROXY,
    ivrAccess: {
      allowedCidrs: e.IVR_ALLOWED_CIDRS,
      sharedSecret: e.IVR_SHARED_SECRET,
      secretParam: e.IVR_SECRET_PARAM,
      openOnPurpose: e.IVR_OPEN === 'true',
      rateLimits: {
        start: { platform: e.IVR_PLATFORM_START_RATE_LIMIT, other: e.IVR_START_RATE_LIMIT },
        send: { platform: e.IVR_PLATFORM_SEND_RATE_LIMIT, other: e.IVR_SEND_RATE_LIMIT },
      },
    },
    shortLinkRateLimit: e.SHORT_LINK_RATE_LIMIT,
  };
}
