import { z } from 'zod';
import { optionalText, wholeNumber } from '../env-values';
import { EVENT_TYPES, type EventType } from '../store/port';

/**
 * Events out (README "Events out"): where the call events go, read from the environment
 * once at start-up. The list is EVENTS_OUT (JSON); each endpoint's secret is its own
 * variable EVENTS_OUT_SECRET_<NAME>, so the list itself holds nothing secret and may be
 * shown, diffed and logged.
 */

export interface EventsOutEndpoint {
  /** Names the endpoint in the cursor, the metrics and the logs. */
  name: string;
  url: string;
  /** Only these event types are sent (the others are passed over); undefined: all. */
  types: readonly EventType[] | undefined;
  /** Signs every request (src/signing/timestamped-hmac.ts). */
  secret: string;
}

export interface EventsOutSettings {
  endpoints: EventsOutEndpoint[];
  /** Events per request at most. */
  batchSize: number;
  /** A request's body at most this many bytes (fewer events go when theirs are large). */
  maxBodyBytes: number;
  /** One request may take this long before it counts as a failure (retried). */
  timeoutMs: number;
  /** The first retry's delay; it doubles per failure in a row, with ±50% jitter, up to retryCapMs. */
  retryBaseMs: number;
  retryCapMs: number;
  /** How often each instance looks for due endpoints when no new event wakes it (retries, another instance's expired lease). */
  pollMs: number;
}

const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/i;

const Endpoint = z
  .object({
    name: z.string().regex(NAME, 'name must be 1 to 32 letters, digits, _ or - (starting with a letter or digit)'),
    url: z.string().superRefine((v, ctx) => {
      const problem = urlProblem(v);
      if (problem) ctx.addIssue(problem);
    }),
    types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
  })
  .strict();

export const EventsOutEnvShape = {
  EVENTS_OUT: optionalText,
  EVENTS_OUT_BATCH_SIZE: wholeNumber(1, 1_000, 100),
  EVENTS_OUT_MAX_BODY_KB: wholeNumber(16, 10_240, 256),
  EVENTS_OUT_TIMEOUT_MS: wholeNumber(1_000, 60_000, 10_000),
  EVENTS_OUT_RETRY_BASE_MS: wholeNumber(100, 600_000, 2_000),
  EVENTS_OUT_RETRY_CAP_SECONDS: wholeNumber(1, 3_600, 300),
  EVENTS_OUT_POLL_MS: wholeNumber(100, 600_000, 5_000),
};

type Env = z.output<z.ZodObject<typeof EventsOutEnvShape>>;

/** The variable holding an endpoint's secret: EVENTS_OUT_SECRET_ and its name in capitals, - as _. */
export function secretVariable(name: string): string {
  return `EVENTS_OUT_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

/** The settings, or problems (each naming its variable) pushed onto `problems`. */
export function eventsOutSettingsFrom(e: Env, env: NodeJS.ProcessEnv, problems: string[]): EventsOutSettings {
  const settings: EventsOutSettings = {
    endpoints: [],
    batchSize: e.EVENTS_OUT_BATCH_SIZE,
    maxBodyBytes: e.EVENTS_OUT_MAX_BODY_KB * 1024,
    timeoutMs: e.EVENTS_OUT_TIMEOUT_MS,
    retryBaseMs: e.EVENTS_OUT_RETRY_BASE_MS,
    retryCapMs: e.EVENTS_OUT_RETRY_CAP_SECONDS * 1000,
    pollMs: e.EVENTS_OUT_POLL_MS,
  };
  if (!e.EVENTS_OUT) return settings;
  let raw: unknown;
  try {
    raw = JSON.parse(e.EVENTS_OUT);
  } catch {
    problems.push('EVENTS_OUT: must be a JSON list of { "name", "url", "types"? }');
    return settings;
  }
  const parsed = z.array(z.unknown()).max(20, 'at most 20 endpoints').safeParse(raw);
  if (!parsed.success) {
    problems.push(`EVENTS_OUT: must be a JSON list of at most 20 { "name", "url", "types"? }`);
    return settings;
  }
  const names = new Set<string>();
  parsed.data.forEach((item, i) => {
    const endpoint = Endpoint.safeParse(item);
    if (!endpoint.success) {
      const issue = endpoint.error.issues[0]!;
      problems.push(`EVENTS_OUT: endpoint ${i + 1}${issue.path.length ? ` ${issue.path.join('.')}` : ''}: ${issue.message}`);
      return;
    }
    const { name, url, types } = endpoint.data;
    const variable = secretVariable(name);
    if (names.has(variable)) {
      problems.push(`EVENTS_OUT: endpoint ${i + 1}: name ${name} is used twice`);
      return;
    }
    names.add(variable);
    const secret = env[variable];
    // The receiver's HMAC key: as long as its hash at least (RFC 2104 section 3).
    if (!secret || secret.length < 32) {
      problems.push(`${variable}: the secret of events endpoint ${name} must be set, at least 32 characters`);
      return;
    }
    settings.endpoints.push({ name, url, types, secret });
  });
  return settings;
}

/**
 * Why a URL cannot be an endpoint, or undefined. HTTPS only: the events carry
 * call facts. Plain http is allowed for loopback hosts alone (a local sink, tests). No
 * user:password in it: URLs are logged, secrets are not.
 */
function urlProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an absolute https URL';
  const url = new URL(value);
  if (url.username || url.password) return 'must not hold a user or password (the request is signed instead)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopback(url.hostname)) return undefined;
  return 'must be https (plain http only for localhost, 127.0.0.1 or [::1])';
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
