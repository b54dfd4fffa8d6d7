import path from 'node:path';
import { z } from 'zod';
import { optionalText, wholeNumber } from './env-values';
import { parsePasswordHash, type PasswordHash } from './console/password';
import { GATEWAY_NAMES, GatewayEnvShape, NO_SMS_GATEWAYS, gatewaySettingsFrom, type GatewayName, type GatewaySettings } from './sms/gateway-config';
import { ConnectionEnvShape, connectionSettingsFrom, type ConnectionSettings } from './http/security/connections';
import { ivrDoorProblem } from './http/security/ivr-door';
import { SecurityEnvShape, securitySettingsFrom, type SecuritySettings } from './http/security/settings';
import { OutboundEnvShape, outboundSettingsFrom, type OutboundSettings } from './outbound/settings';
import { AbuseEnvShape, abuseSettingsFrom, type AbuseSettings } from './deflection/abuse-settings';
import { HOLD_AUDIO_ENCODINGS, type HoldAudioEncoding } from './vxml/hold-tone';
import { ConversationEnvShape, conversationSettingsFrom, type ConversationSettings } from './conversations/settings';
import { OidcEnvShape, oidcSettingsFrom, type OidcSettings } from './console/oidc/settings';
import { dataSettingsFrom, RetentionEnvShape, type DataSettings } from './retention/settings';
import { EventsOutEnvShape, eventsOutSettingsFrom, type EventsOutSettings } from './events-out/settings';

/**
 * Everything the server reads from its environment, parsed once at start-up.
 * No other module reads process.env: they receive the parts of Config they need.
 */
/** README "Context for the agent". */
export interface ContextSettings {
  /** Signs the {contextToken} of links; undefined: links get no token (the placeholder is left empty). */
  tokenSecret: string | undefined;
  tokenTtlSeconds: number;
  /** A bearer token for the chat platform on GET /api/context/:token (ADMIN_TOKEN works too). */
  apiToken: string | undefined;
}

export interface Config {
  port: number;
  host: string;
  /** Absolute base for links we hand out (short links), without a trailing slash. */
  publicBaseUrl: string;
  dataDir: string;
  /** PostgreSQL, shared by several instances; undefined: the embedded SQLite file in dataDir. */
  databaseUrl: string | undefined;
  /** Connections the PostgreSQL store's pool may open (DATABASE_POOL_SIZE). */
  databasePoolSize: number;
  campaignsDir: string;
  /** The last good copy of each campaign file, served while the file is invalid (also after a restart). */
  campaignsLastGoodDir: string;
  /** Undefined means the admin API is switched off (it answers 503). */
  adminToken: string | undefined;
  /** The admin console at /admin. */
  console: ConsoleSettings;
  /** The gateway every campaign uses unless it names its own. */
  smsGateway: GatewayName;
  /** Where sends go while the primary keeps failing; undefined: no failover. */
  smsFallbackGateway: GatewayName | undefined;
  /** Credentials and endpoints of each configured vendor. */
  gateways: GatewaySettings;
  /** E.164 numbers the sandbox gateway refuses, so testers can walk the failure path. */
  sandboxFailNumbers: string[];
  /** E.164 numbers the sandbox answers "not on this channel" for WhatsApp and RCS (walks a fallback). */
  sandboxNotOnChannelNumbers: string[];
  outbox: OutboxSettings;
  callTtlMs: number;
  /** Values for {secret:NAME} in campaign availability headers, from CAMPAIGN_SECRET_NAME. */
  campaignSecrets: Readonly<Record<string, string>>;
  /** The optional carrier line-type lookup; undefined: judge numbers by their digits alone. */
  lineTypeLookup: LineTypeLookupSettings | undefined;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Bearer token GET /metrics asks for; undefined: /metrics is open. */
  metricsToken: string | undefined;
  /** Context for the agent: the link token's key and lifetime, and the chat platform's API token. */
  context: ContextSettings;
  /** Conversation outcomes: the inbound endpoints' secrets and the token's grace after expiry. */
  conversations: ConversationSettings;
  /** Proxies to trust, who may fetch the IVR documents, short-link rate limit. */
  security: SecuritySettings;
  /** Which internal hosts campaign URLs (availability checks) may reach anyway. */
  outbound: OutboundSettings;
  /** Timeouts and the connection limit of the HTTP server. */
  connections: ConnectionSettings;
  /** After SIGTERM, how long /readyz answers 503 draining (requests still served) before the listener closes. */
  shutdownDrainMs: number;
  /** Budgets on texts, lookups and availability checks, and the SMS pumping guard. */
  abuse: AbuseSettings;
  /** How long SIGTERM waits for requests and sends in flight before closing anyway. */
  shutdownGraceMs: number;
  /** The G.711 law of the built-in hold tone (/vxml/audio/hold.wav). */
  holdAudioEncoding: HoldAudioEncoding;
  /** Events out: the endpoints the call events are delivered to, signed (none: off). */
  eventsOut: EventsOutSettings;
  /** Retention per data class, and erasure's key (README "Data"). */
  data: DataSettings;
}

export interface OutboxSettings {
  /** One vendor request may take this long before it counts as a retryable failure. */
  attemptTimeoutMs: number;
  /** Attempts per message before it is recorded as failed. */
  maxAttempts: number;
  /** First retry delay; doubles each attempt, with jitter. */
  retryBaseMs: number;
  /** Vendor requests in flight at once, across all messages. */
  concurrency: number;
  /** How long the caller's submit waits for the first attempt before "your text is on its way". */
  callerWaitMs: number;
}

export interface ConsoleSettings {
  /** The one console user name. */
  user: string;
  /** Undefined means the console is switched off (its pages say how to turn it on). */
  passwordHash: PasswordHash | undefined;
  /** How long a sign-in lasts. */
  sessionMs: number;
  /** Failed sign-ins allowed per 15 minutes per client address and user name. */
  maxFailedSignIns: number;
  /** Failed sign-ins allowed per 15 minutes per client address, whatever the user name. */
  maxFailedSignInsPerAddress: number;
  /** Failed sign-ins allowed per 15 minutes from everywhere together. */
  maxFailedSignInsTotal: number;
  /** Password checks running at once (each on its own thread); one more answers 429. */
  concurrentPasswordChecks: number;
  /** Single sign-on through an OpenID provider; undefined: local sign-in only. */
  oidc: OidcSettings | undefined;
}

export interface LineTypeLookupSettings {
  provider: 'twilio';
  accountSid: string;
  authToken: string;
  baseUrl: string;
  timeoutMs: number;
  /** How long a number's line type is remembered (carriers rarely change it). */
  cacheTtlMs: number;
}

export class ConfigError extends Error {}

const CAMPAIGN_SECRET = /^CAMPAIGN_SECRET_([A-Z0-9_]+)$/;

/** A comma-separated list of E.164 numbers (the sandbox's test numbers). */
const e164List = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((n) => n.trim()).filter(Boolean))
  .refine((list) => list.every((n) => /^\+[1-9]\d{6,14}$/.test(n)), 'must be a comma-separated list of E.164 numbers');

const POOL_DEFAULT = 10;

const EnvSchema = z.object({
  PORT: optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,5}$/, 'must be a port number from 1 to 65535')
      .transform(Number)
      .refine((p) => p >= 1 && p <= 65535, 'must be a port number from 1 to 65535')
      .default(3000),
  ),
  // Loopback: a fresh clone serves this machine only. A public address needs the IVR lock
  // (IVR_ALLOWED_CIDRS or IVR_SHARED_SECRET) or IVR_OPEN=true (http/security/ivr-door.ts).
  HOST: optionalText.pipe(z.string().default('127.0.0.1')),
  PUBLIC_BASE_URL: optionalText.pipe(
    z
      .string()
      .refine((v) => /^https?:\/\/[^/]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
      .optional(),
  ),
  DATA_DIR: optionalText.pipe(z.string().default('./data')),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .refine((v) => /^postgres(ql)?:\/\/./i.test(v) && URL.canParse(v), 'must be a postgres:// URL')
      .optional(),
  ),
  // Every statement holds a connection until this process has read its answer, which at
  // saturation waits behind the event loop: the pool, not PostgreSQL, was the ceiling at
  // 10 (README, Performance, "On PostgreSQL").
  DATABASE_POOL_SIZE: optionalText.pipe(
    z
      .string()
      .regex(/^\d{1,3}$/, 'must be a whole number from 1 to 500')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 500, 'must be a whole number from 1 to 500')
      .default(POOL_DEFAULT),
  ),
  CAMPAIGNS_DIR: optionalText.pipe(z.string().default('./campaigns')),
  /** Where the last good copy of each campaign file is kept; default: .last-good in CAMPAIGNS_DIR. */
  CAMPAIGNS_LAST_GOOD_DIR: optionalText.pipe(z.string().optional()),
  ADMIN_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ADMIN_USER: optionalText.pipe(
    z
      .string()
      .regex(/^[\w.@-]{1,64}$/, 'must be 1 to 64 letters, digits or . _ @ -')
      .default('admin'),
  ),
  // Parsed now, so a pasted hash that lost a character stops the start, not every sign-in.
  ADMIN_PASSWORD_HASH: optionalText.pipe(
    z
      .string()
      .transform((v, ctx) => {
        try {
          return parsePasswordHash(v);
        } catch (err) {
          ctx.addIssue((err as Error).message);
          return z.NEVER;
        }
      })
      .optional(),
  ),
  SESSION_HOURS: wholeNumber(1, 168, 8),
  SIGN_IN_MAX_FAILURES: wholeNumber(1, 1000, 10),
  SIGN_IN_MAX_FAILURES_PER_ADDRESS: wholeNumber(1, 10_000, 30),
  SIGN_IN_MAX_FAILURES_TOTAL: wholeNumber(1, 100_000, 300),
  SIGN_IN_CONCURRENT_CHECKS: wholeNumber(1, 16, 1),
  ...OidcEnvShape,
  ...SecurityEnvShape,
  ...OutboundEnvShape,
  ...ConnectionEnvShape,
  ...AbuseEnvShape,
  ...EventsOutEnvShape,
  ...RetentionEnvShape,
  SMS_GATEWAY: optionalText.pipe(z.enum(GATEWAY_NAMES).default('sandbox')),
  SMS_FALLBACK_GATEWAY: optionalText.pipe(z.enum(GATEWAY_NAMES).optional()),
  SMS_ATTEMPT_TIMEOUT_MS: wholeNumber(1000, 60_000, 10_000),
  SMS_MAX_ATTEMPTS: wholeNumber(1, 50, 8),
  SMS_RETRY_BASE_MS: wholeNumber(100, 600_000, 5_000),
  SMS_CONCURRENCY: wholeNumber(1, 256, 16),
  // The send submit's fetchtimeout is 15 s: the caller's wait must end well before it.
  SMS_CALLER_WAIT_MS: wholeNumber(0, 10_000, 2_500),
  ...GatewayEnvShape,
  SANDBOX_FAIL_NUMBERS: optionalText.pipe(e164List),
  SANDBOX_NOT_ON_CHANNEL_NUMBERS: optionalText.pipe(e164List),
  CALL_TTL_MINUTES: optionalText.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number of minutes from 1 to 1440')
      .transform(Number)
      .refine((m) => m >= 1 && m <= 1440, 'must be a whole number of minutes from 1 to 1440')
      .default(60),
  ),
  LINE_TYPE_LOOKUP: optionalText.pipe(z.enum(['none', 'twilio']).default('none')),
  LOOKUP_TWILIO_ACCOUNT_SID: optionalText,
  LOOKUP_TWILIO_AUTH_TOKEN: optionalText,
  LOOKUP_TWILIO_BASE_URL: optionalText.pipe(
    z
      .string()
      .refine((v) => /^https?:\/\/[^/]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL')
      .default('https://lookups.twilio.com'),
  ),
  LOOKUP_TIMEOUT_MS: wholeNumber(100, 10_000, 1_500),
  LOOKUP_CACHE_HOURS: wholeNumber(0, 8_760, 720),
  LOG_LEVEL: optionalText.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')),
  METRICS_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  // HS256 wants a key as long as its hash (RFC 7518 section 3.2): 32 bytes at least.
  CONTEXT_TOKEN_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  CONTEXT_TOKEN_TTL_MINUTES: wholeNumber(1, 43_200, 1_440),
  CONTEXT_API_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  ...ConversationEnvShape,
  // Long enough for a load balancer polling /readyz every few seconds to see it go 503.
  SHUTDOWN_DRAIN_MS: wholeNumber(0, 120_000, 5_000),
  SHUTDOWN_GRACE_MS: wholeNumber(0, 120_000, 10_000),
  // µ-law is North America's and Japan's telephone codec, A-law everyone else's: the
  // platform converts either, but a match with the trunk spares it the work.
  HOLD_AUDIO_ENCODING: optionalText.pipe(z.enum(HOLD_AUDIO_ENCODINGS).default('mulaw')),
});

/** Every environment variable the server reads. */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape) as readonly string[];

/** Parses the environment; throws ConfigError with a one-line message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const { settings: gateways, problems } = gatewaySettingsFrom(e);
  const usable = (name: GatewayName): boolean => name === 'sandbox' || gateways[name] !== undefined;
  if (!usable(e.SMS_GATEWAY)) problems.push(`SMS_GATEWAY: ${e.SMS_GATEWAY} is chosen but none of its variables are set`);
  if (e.SMS_FALLBACK_GATEWAY && !usable(e.SMS_FALLBACK_GATEWAY)) {
    problems.push(`SMS_FALLBACK_GATEWAY: ${e.SMS_FALLBACK_GATEWAY} is chosen but none of its variables are set`);
  }
  for (const [variable, name] of [['SMS_GATEWAY', e.SMS_GATEWAY], ['SMS_FALLBACK_GATEWAY', e.SMS_FALLBACK_GATEWAY]] as const) {
    if (name && NO_SMS_GATEWAYS.includes(name)) problems.push(`${variable}: ${name} cannot send a text message (a campaign's channels name it)`);
  }
  if (e.SMS_FALLBACK_GATEWAY && e.SMS_FALLBACK_GATEWAY === e.SMS_GATEWAY) {
    problems.push('SMS_FALLBACK_GATEWAY: must differ from SMS_GATEWAY');
  }
  const lineTypeLookup = lookupSettingsFrom(e, problems);
  const security = securitySettingsFrom(e);
  const door = ivrDoorProblem(e.HOST, security.ivrAccess);
  if (door) problems.push(door);
  const connections = connectionSettingsFrom(e);
  if (connections.problem) problems.push(connections.problem);
  const eventsOut = eventsOutSettingsFrom(e, env, problems);
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  const oidc = oidcSettingsFrom(e, publicBaseUrl, problems);
  if (problems.length) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return {
    port: e.PORT,
    host: e.HOST,
    publicBaseUrl,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    campaignsDir: path.resolve(cwd, e.CAMPAIGNS_DIR),
    campaignsLastGoodDir: path.resolve(cwd, e.CAMPAIGNS_LAST_GOOD_DIR ?? path.join(e.CAMPAIGNS_DIR, '.last-good')),
    adminToken: e.ADMIN_TOKEN,
    console: {
      user: e.ADMIN_USER,
      passwordHash: e.ADMIN_PASSWORD_HASH,
      sessionMs: e.SESSION_HOURS * 3_600_000,
      maxFailedSignIns: e.SIGN_IN_MAX_FAILURES,
      maxFailedSignInsPerAddress: e.SIGN_IN_MAX_FAILURES_PER_ADDRESS,
      maxFailedSignInsTotal: e.SIGN_IN_MAX_FAILURES_TOTAL,
      concurrentPasswordChecks: e.SIGN_IN_CONCURRENT_CHECKS,
      oidc,
    },
    smsGateway: e.SMS_GATEWAY,
    smsFallbackGateway: e.SMS_FALLBACK_GATEWAY,
    gateways,
    sandboxFailNumbers: e.SANDBOX_FAIL_NUMBERS,
    sandboxNotOnChannelNumbers: e.SANDBOX_NOT_ON_CHANNEL_NUMBERS,
    outbox: {
      attemptTimeoutMs: e.SMS_ATTEMPT_TIMEOUT_MS,
      maxAttempts: e.SMS_MAX_ATTEMPTS,
      retryBaseMs: e.SMS_RETRY_BASE_MS,
      concurrency: e.SMS_CONCURRENCY,
      callerWaitMs: e.SMS_CALLER_WAIT_MS,
    },
    callTtlMs: e.CALL_TTL_MINUTES * 60_000,
    campaignSecrets: campaignSecretsFrom(env),
    lineTypeLookup,
    logLevel: e.LOG_LEVEL,
    metricsToken: e.METRICS_TOKEN,
    context: {
      tokenSecret: e.CONTEXT_TOKEN_SECRET,
      tokenTtlSeconds: e.CONTEXT_TOKEN_TTL_MINUTES * 60,
      apiToken: e.CONTEXT_API_TOKEN,
    },
    conversations: conversationSettingsFrom(e),
    outbound: outboundSettingsFrom(e),
    security,
    connections: connections.settings,
    shutdownDrainMs: e.SHUTDOWN_DRAIN_MS,
    abuse: abuseSettingsFrom(e),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    holdAudioEncoding: e.HOLD_AUDIO_ENCODING,
    eventsOut,
    data: dataSettingsFrom(e),
  };
}

/** Twilio Lookup uses its own credentials, or the Twilio SMS ones when those are set. */
function lookupSettingsFrom(e: z.output<typeof EnvSchema>, problems: string[]): LineTypeLookupSettings | undefined {
  if (e.LINE_TYPE_LOOKUP === 'none') return undefined;
  const accountSid = e.LOOKUP_TWILIO_ACCOUNT_SID ?? e.TWILIO_ACCOUNT_SID;
  const authToken = e.LOOKUP_TWILIO_AUTH_TOKEN ?? e.TWILIO_AUTH_TOKEN;
  if (!accountSid || !authToken) {
    problems.push('LOOKUP_TWILIO_ACCOUNT_SID: LINE_TYPE_LOOKUP=twilio needs it and LOOKUP_TWILIO_AUTH_TOKEN (or the TWILIO_ ones)');
    return undefined;
  }
  return {
    provider: 'twilio',
    accountSid,
    authToken,
    baseUrl: e.LOOKUP_TWILIO_BASE_URL.replace(/\/+$/, ''),
    timeoutMs: e.LOOKUP_TIMEOUT_MS,
    cacheTtlMs: e.LOOKUP_CACHE_HOURS * 3_600_000,
  };
}

function campaignSecretsFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const match = CAMPAIGN_SECRET.exec(name);
    if (match?.[1] && value) secrets[match[1]] = value;
  }
  return secrets;
}
