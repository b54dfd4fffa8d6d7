import type { FieldError } from '../../http/validation';
import { LIVEPERSON_DOMAIN_API } from '../../availability/settings';
import { keepLeftOut, str } from './form-defaults';

/**
 * The campaign form's availability check (campaign.availability), as fields instead of
 * JSON: a choice of static / liveperson / http and each kind's own fields. Without script
 * every kind's fields show and the choice decides which are used; the form's script hides
 * the others. Credentials are never in a campaign: LivePerson's auth fields hold only the
 * NAME of {secret:NAME} (the value is the environment's CAMPAIGN_SECRET_NAME), and header
 * values that carry one must name it the same way (the schema refuses anything else).
 * The two structured settings with no simpler shape, the http check's POST body and
 * LivePerson's engagement attributes, are JSON fields inside this fieldset.
 */

export const AVAILABILITY_KINDS = ['static', 'liveperson', 'http'] as const;
export type AvailabilityKind = (typeof AVAILABILITY_KINDS)[number];
export const AUTH_FIELDS = {
  'api-key': ['consumerKey', 'consumerSecret', 'accessToken', 'accessTokenSecret'],
  'app-jwt': ['clientId', 'clientSecret'],
} as const;
type AuthType = keyof typeof AUTH_FIELDS;
/** The env names the schema defaults to (settings.ts), without CAMPAIGN_SECRET_. */
export const AUTH_DEFAULT_NAMES: Record<string, string> = {
  consumerKey: 'LP_CONSUMER_KEY',
  consumerSecret: 'LP_CONSUMER_SECRET',
  accessToken: 'LP_ACCESS_TOKEN',
  accessTokenSecret: 'LP_ACCESS_TOKEN_SECRET',
  clientId: 'LP_CLIENT_ID',
  clientSecret: 'LP_CLIENT_SECRET',
};

const TEXT_FIELDS = [
  // liveperson
  'accountId', 'domain', 'baseUrl', 'domainApiUrl', 'sentinelUrl', 'consumerSections', 'engagementAttributes',
  // http
  'url', 'method', 'body', 'availablePath', 'availableEquals', 'urlPath', 'validForSecondsPath', 'waitSecondsPath',
  // both remote kinds
  'timeoutMs', 'onError', 'cacheSeconds', 'maxWaitSeconds', 'headers',
] as const;
type TextField = (typeof TEXT_FIELDS)[number];

export type AvailabilityForm = Record<TextField, string> & {
  kind: AvailabilityKind;
  /** '' for none: the request carries only the headers. */
  authType: '' | AuthType;
  /** Secret names by auth field (consumerKey: 'LP_CONSUMER_KEY'). */
  auth: Record<string, string>;
  /** False when the post had no availability fields at all (a client of the older form): the check stays as it was. */
  posted: boolean;
};

const REMOTE_DEFAULTS = { timeoutMs: 1500, onError: 'hand-back', cacheSeconds: 5, headers: {} };
const KIND_DEFAULTS: Record<AvailabilityKind, Record<string, unknown>> = {
  static: {},
  liveperson: { ...REMOTE_DEFAULTS, domainApiUrl: LIVEPERSON_DOMAIN_API, consumerSections: [], engagementAttributes: [] },
  http: { ...REMOTE_DEFAULTS, method: 'GET' },
};

const SECRET_NAME = /^\{secret:([A-Za-z0-9_]+)\}$/;

/**
 * availableEquals may be a string, number or boolean: the field shows numbers and
 * booleans as they are, and a string as it is unless it would read as one of those (then
 * in JSON quotes), so "true" the text and true the boolean stay apart.
 */
function equalsText(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  return readEquals(value) === value ? value : JSON.stringify(value);
}
function readEquals(text: string): string | number | boolean {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'string' || typeof parsed === 'number' || typeof parsed === 'boolean') return parsed;
  } catch {
    // not JSON: the text itself
  }
  return text;
}

const json = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v, null, 2));

export function availabilityFormFromDocument(availability: unknown): AvailabilityForm {
  const a = (availability && typeof availability === 'object' ? availability : { kind: 'static' }) as Record<string, unknown>;
  const kind = (AVAILABILITY_KINDS as readonly string[]).includes(str(a.kind)) ? (a.kind as AvailabilityKind) : 'static';
  const auth = (a.auth && typeof a.auth === 'object' ? a.auth : {}) as Record<string, unknown>;
  const authType = (str(auth.type) in AUTH_FIELDS ? auth.type : '') as AvailabilityForm['authType'];
  const value = (key: string, fallback: unknown = ''): unknown => (key in a ? a[key] : fallback);
  const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  return {
    kind,
    accountId: text(value('accountId')),
    domain: text(value('domain')),
    baseUrl: text(value('baseUrl')),
    domainApiUrl: text(value('domainApiUrl', LIVEPERSON_DOMAIN_API)),
    sentinelUrl: text(value('sentinelUrl')),
    consumerSections: Array.isArray(a.consumerSections) ? a.consumerSections.map(String).join('\n') : '',
    engagementAttributes: Array.isArray(a.engagementAttributes) && a.engagementAttributes.length ? json(a.engagementAttributes) : '',
    url: text(value('url')),
    method: text(value('method', 'GET')),
    body: json(a.body),
    availablePath: text(value('availablePath')),
    availableEquals: equalsText(a.availableEquals),
    urlPath: text(value('urlPath')),
    validForSecondsPath: text(value('validForSecondsPath')),
    waitSecondsPath: text(value('waitSecondsPath')),
    timeoutMs: text(value('timeoutMs', 1500)),
    onError: text(value('onError', 'hand-back')),
    cacheSeconds: text(value('cacheSeconds', 5)),
    maxWaitSeconds: text(value('maxWaitSeconds')),
    headers: Object.entries((a.headers && typeof a.headers === 'object' ? a.headers : {}) as Record<string, unknown>)
      .map(([name, v]) => `${name}: ${String(v)}`)
      .join('\n'),
    authType,
    auth: Object.fromEntries(
      Object.keys(AUTH_DEFAULT_NAMES).map((k) => [k, SECRET_NAME.exec(str(auth[k]))?.[1] ?? AUTH_DEFAULT_NAMES[k] ?? '']),
    ),
    posted: true,
  };
}

export function availabilityFormFromBody(b: Record<string, unknown>, blank: boolean): AvailabilityForm {
  if (blank) return availabilityFormFromDocument(undefined);
  if (!('availability.kind' in b)) return { ...availabilityFormFromDocument(undefined), posted: false };
  const kind = str(b['availability.kind']);
  const authType = str(b['availability.auth.type']);
  return {
    ...(Object.fromEntries(TEXT_FIELDS.map((f) => [f, str(b[`availability.${f}`])])) as Record<TextField, string>),
    kind: (AVAILABILITY_KINDS as readonly string[]).includes(kind) ? (kind as AvailabilityKind) : 'static',
    authType: authType in AUTH_FIELDS ? (authType as AuthType) : '',
    auth: Object.fromEntries(Object.keys(AUTH_DEFAULT_NAMES).map((k) => [k, str(b[`availability.auth.${k}`]).trim()])),
    posted: true,
  };
}

type Built = { kind: 'built'; availability: Record<string, unknown> | undefined } | { kind: 'invalid'; fields: FieldError[] };

/** The document's `availability` (undefined: left out, the static default), or what the form can tell is wrong. */
export function availabilityFromForm(form: AvailabilityForm, previous: unknown): Built {
  const prevDoc = previous && typeof previous === 'object' ? (previous as Record<string, unknown>).availability : undefined;
  if (!form.posted) return { kind: 'built', availability: prevDoc as Record<string, unknown> | undefined };
  if (form.kind === 'static') return { kind: 'built', availability: prevDoc === undefined ? undefined : { kind: 'static' } };
  const fields: FieldError[] = [];
  const t = (f: TextField) => form[f].trim() || undefined;
  const whole = (f: TextField) => {
    const v = t(f);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v)) fields.push({ field: `availability.${f}`, message: 'must be a whole number' });
    return Number(v);
  };
  const parsed = (f: 'body' | 'engagementAttributes') => {
    const v = t(f);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch (err) {
      fields.push({ field: `availability.${f}`, message: `is not valid JSON (${(err as Error).message})` });
      return undefined;
    }
  };
  const headers: Record<string, string> = {};
  for (const line of form.headers.split(/\r?\n/).map((l) => l.trim()).filter(Boolean)) {
    const at = line.indexOf(':');
    // The message never repeats the line: its value may be a credential.
    if (at < 1) fields.push({ field: 'availability.headers', message: 'write one header a line as "Name: value"' });
    else headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  const remote = {
    timeoutMs: whole('timeoutMs'),
    onError: t('onError'),
    cacheSeconds: whole('cacheSeconds'),
    maxWaitSeconds: whole('maxWaitSeconds'),
    headers,
  };
  let built: Record<string, unknown>;
  if (form.kind === 'liveperson') {
    let auth: Record<string, unknown> | undefined;
    if (form.authType) {
      auth = { type: form.authType };
      for (const k of AUTH_FIELDS[form.authType]) {
        const name = form.auth[k] ?? '';
        // Only a name is accepted, and the message does not repeat what was typed.
        if (!/^[A-Za-z0-9_]{1,100}$/.test(name)) fields.push({ field: `availability.auth.${k}`, message: 'must be the name of a secret (letters, digits and _), never the credential itself' });
        else auth[k] = `{secret:${name}}`;
      }
    }
    built = {
      kind: 'liveperson',
      accountId: form.accountId.trim(),
      auth,
      domain: t('domain'),
      baseUrl: t('baseUrl'),
      domainApiUrl: t('domainApiUrl'),
      sentinelUrl: t('sentinelUrl'),
      consumerSections: form.consumerSections.split(/[\n,]/).map((s) => s.trim()).filter(Boolean),
      engagementAttributes: parsed('engagementAttributes') ?? [],
      ...remote,
    };
  } else {
    const equals = t('availableEquals');
    built = {
      kind: 'http',
      url: form.url.trim(),
      method: t('method'),
      body: parsed('body'),
      availablePath: form.availablePath.trim(),
      availableEquals: equals === undefined ? undefined : readEquals(equals),
      urlPath: t('urlPath'),
      validForSecondsPath: t('validForSecondsPath'),
      waitSecondsPath: t('waitSecondsPath'),
      ...remote,
    };
  }
  if (fields.length) return { kind: 'invalid', fields };
  // Compared with the previous check only when it was of the same kind.
  const prev = prevDoc && typeof prevDoc === 'object' && (prevDoc as { kind?: unknown }).kind === form.kind ? (prevDoc as Record<string, unknown>) : { kind: form.kind };
  const availability = keepLeftOut(built, prev, KIND_DEFAULTS[form.kind]);
  if (built.auth && prev.auth && typeof prev.auth === 'object' && (prev.auth as { type?: unknown }).type === form.authType) {
    availability.auth = keepLeftOut(built.auth as Record<string, unknown>, prev.auth, authDefaults());
  } else if (built.auth) {
    availability.auth = keepLeftOut(built.auth as Record<string, unknown>, { type: form.authType }, authDefaults());
  }
  return { kind: 'built', availability };
}

const authDefaults = () => Object.fromEntries(Object.entries(AUTH_DEFAULT_NAMES).map(([k, n]) => [k, `{secret:${n}}`]));

/** The form field a schema error is about. */
export function availabilityErrorKey(field: string): string {
  const parts = field.split('.');
  if (parts[1] === 'auth' && parts[2] && parts[2] in AUTH_DEFAULT_NAMES) return `availability.auth.${parts[2]}`;
  if (parts[1] === 'auth') return 'availability.auth.type';
  if (parts[1] && (TEXT_FIELDS as readonly string[]).includes(parts[1])) return `availability.${parts[1]}`;
  return 'availability';
}
