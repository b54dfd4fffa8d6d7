import { z } from 'zod';

/**
 * How a campaign asks whether to offer (campaign.availability). Opening hours are a
 * separate setting (campaign.hours) that applies with any of these.
 *
 * Header values may name secrets as {secret:NAME}: the value comes from the environment
 * variable CAMPAIGN_SECRET_NAME, so tokens never sit in campaign files.
 */

/** Shared with the adapters, which hold chat URLs from answers to the same rule as configured ones. */
export function isAbsoluteHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\//i.test(value) && URL.canParse(value);
}

const absoluteHttpUrl = z.string().refine(isAbsoluteHttpUrl, 'must be an absolute http(s) URL');

const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be an HTTP header name');

/**
 * Headers that carry credentials, by name: the standard ones and anything named like a
 * key, token, secret or password (X-Api-Key, X-Auth-Token, Ocp-Apim-Subscription-Key...).
 */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|key|token|secret|passw|auth|session|credential|signature/i;
const SECRET = String.raw`\{secret:[A-Za-z0-9_]+\}`;
/** "{secret:NAME}", after an optional scheme ("Bearer {secret:NAME}"), or cookies "name={secret:NAME}; ...". */
const SECRET_ONLY = new RegExp(String.raw`^(?:(?:[A-Za-z][A-Za-z0-9._-]*\s+)?${SECRET}|[^=;\s]+=${SECRET}(?:;\s*[^=;\s]+=${SECRET})*)$`);

/** True when a credential header holds a value of its own rather than naming a secret. */
export function isLiteralCredential(name: string, value: string): boolean {
  return CREDENTIAL_HEADER.test(name) && !SECRET_ONLY.test(value.trim());
}

const headers = z
  .record(headerName, z.string().max(4096).refine((v) => !/[\r\n]/.test(v), 'must not contain line breaks'))
  .superRefine((record, ctx) => {
    for (const [name, value] of Object.entries(record)) {
      // The message never repeats the value: it is the credential.
      if (isLiteralCredential(name, value)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `carries a credential: write {secret:NAME} (optionally after a scheme, "Bearer {secret:NAME}") and set CAMPAIGN_SECRET_NAME in the environment`,
        });
      }
    }
  })
  .default({});

/** Settings every remote check shares. */
const remoteCommon = {
  timeoutMs: z
    .number()
    .int()
    .min(100)
    .max(10000)
    .default(1500)
    .describe('How long the check may take before it counts as failed'),
  onError: z
    .enum(['offer', 'hand-back'])
    .default('hand-back')
    .describe('What a failed or timed-out check means: offer anyway (with the campaign link), or hand the call back'),
  cacheSeconds: z
    .number()
    .int()
    .min(0)
    .max(300)
    .default(5)
    .describe('How long an answer may be reused for other calls (one-time chat URLs never are)'),
  maxWaitSeconds: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Do not offer when the expected wait for an agent is longer than this'),
  headers: headers.describe('Extra request headers; {secret:NAME} reads the env variable CAMPAIGN_SECRET_NAME'),
};

export const StaticAvailability = z.strictObject({ kind: z.literal('static') });

/**
 * A credential field of LivePerson's auth block: exactly one {secret:NAME}, never a value.
 * The message never repeats what was written (it may be the credential itself).
 */
const secretRef = (fallback: string) =>
  z
    .string()
    .regex(new RegExp(`^${SECRET}$`), {
      error: () => 'must name a secret as {secret:NAME} (its value comes from CAMPAIGN_SECRET_NAME); a credential written here is refused',
    })
    .default(`{secret:${fallback}}`);

/**
 * How the check authenticates to LivePerson. Both modes read their credentials from the
 * environment only; the defaults name the variables the README documents.
 *
 * api-key: OAuth 1.0 HMAC-SHA1, each request signed with the four values an API key has
 * (https://developers.liveperson.com/oauth-1-0-api-keys.html). app-jwt: an AppJWT from
 * Sentinel for an OAuth 2.0 client-credentials app
 * (https://developers.liveperson.com/oauth-2-0-client-credentials.html), sent as a bearer.
 */
export const LivePersonAuth = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('api-key'),
    consumerKey: secretRef('LP_CONSUMER_KEY').describe('The API key\'s "App key"'),
    consumerSecret: secretRef('LP_CONSUMER_SECRET').describe('The API key\'s "Secret"'),
    accessToken: secretRef('LP_ACCESS_TOKEN').describe('The API key\'s "Access token"'),
    accessTokenSecret: secretRef('LP_ACCESS_TOKEN_SECRET').describe('The API key\'s "Access token secret"'),
  }),
  z.strictObject({
    type: z.literal('app-jwt'),
    clientId: secretRef('LP_CLIENT_ID').describe('The installed application\'s client_id'),
    clientSecret: secretRef('LP_CLIENT_SECRET').describe('The installed application\'s client_secret'),
  }),
]);

export type LivePersonAuth = z.output<typeof LivePersonAuth>;

/** LivePerson's Domain API (https://developers.liveperson.com/domain-api.html). */
export const LIVEPERSON_DOMAIN_API = 'https://api.liveperson.net';

export const LivePersonAvailability = z.strictObject({
  kind: z.literal('liveperson'),
  accountId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a LivePerson account id'),
  auth: LivePersonAuth.optional().describe(
    'api-key (OAuth 1.0 signed) or app-jwt (Sentinel bearer); credentials as {secret:NAME} only. Without it the request carries only `headers`',
  ),
  domain: z
    .string()
    .regex(/^[A-Za-z0-9.-]+$/, 'must be a host name such as va.v.liveperson.net')
    .optional()
    .describe("The account's host for the engagement API; without it (or baseUrl) the Domain API is asked (service smt)"),
  baseUrl: absoluteHttpUrl.optional().describe('Replaces https://{domain} and the Domain API lookup (a proxy, or a test server)'),
  domainApiUrl: absoluteHttpUrl
    .default(LIVEPERSON_DOMAIN_API)
    .describe("LivePerson's Domain API; hosts it names are reached with its scheme (https in production)"),
  sentinelUrl: absoluteHttpUrl
    .optional()
    .describe('Replaces the Sentinel host the Domain API names (service sentinel), for app-jwt'),
  consumerSections: z.array(z.string().min(1)).default([]).describe('Sections the engagement is routed by'),
  engagementAttributes: z.array(z.record(z.string(), z.unknown())).default([]),
  ...remoteCommon,
});

/** Where in a JSON answer to find a value: dotted path, array indexes as numbers ("data.queues.0.open"). */
const jsonPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'must be a dotted path such as data.available');

export const HttpAvailability = z.strictObject({
  kind: z.literal('http'),
  url: absoluteHttpUrl,
  method: z.enum(['GET', 'POST']).default('GET'),
  body: z.unknown().optional().describe('JSON body for POST'),
  availablePath: jsonPath.describe('Where the answer says whether to offer'),
  availableEquals: z
    .union([z.string(), z.number(), z.boolean()])
    .optional()
    .describe('The value that means available (default: any truthy value)'),
  urlPath: jsonPath.optional().describe('Where the answer gives a chat URL to text instead of the campaign link (one-time)'),
  validForSecondsPath: jsonPath.optional(),
  waitSecondsPath: jsonPath.optional().describe('Where the answer gives the expected wait, for maxWaitSeconds'),
  ...remoteCommon,
});

export const AvailabilitySettings = z.union([StaticAvailability, LivePersonAvailability, HttpAvailability]);

export type LivePersonSettings = z.output<typeof LivePersonAvailability>;
export type HttpAvailabilitySettings = z.output<typeof HttpAvailability>;
export type AvailabilitySettings = z.output<typeof AvailabilitySettings>;
