import type { Request } from 'express';
import type { IntegrationMode } from '../store/port';

/** Longer than any phone number, call id or key we use; anything past it is noise. */
const MAX_PARAM_LENGTH = 256;

/**
 * One IVR parameter, wherever the browser put it: VoiceXML browsers send <submit>
 * namelists in the query string, in a form body, or both. Repeated parameters take the
 * first value; non-text values, control characters and replacement characters (from
 * bytes that were not UTF-8) are dropped; absent means "".
 */
export function ivrParam(req: Request, name: string): string {
  const fromBody = firstText((req.body as Record<string, unknown> | undefined)?.[name]);
  const fromQuery = firstText(queryOf(req)?.[name]);
  const value = fromBody || fromQuery || '';
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\ufffd]/g, '').trim().slice(0, MAX_PARAM_LENGTH);
}

/**
 * The request's query string, parsed once. Express 5's req.query is a getter that parses
 * the query string again at each read, and a start reads seven parameters or so.
 */
const queries = new WeakMap<Request, Record<string, unknown> | undefined>();
function queryOf(req: Request): Record<string, unknown> | undefined {
  if (queries.has(req)) return queries.get(req);
  const query = req.query as Record<string, unknown> | undefined;
  queries.set(req, query);
  return query;
}

function firstText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.find((v): v is string => typeof v === 'string');
  return undefined;
}

/** The IVR platform's own call id is kept for support and links: no platform needs more. */
export const MAX_PLATFORM_CALL_ID_LENGTH = 64;

/** The platform's call id, cut to MAX_PLATFORM_CALL_ID_LENGTH (stored with every call). */
export function platformCallIdParam(req: Request): string {
  return ivrParam(req, 'callid').slice(0, MAX_PLATFORM_CALL_ID_LENGTH);
}

export function modeParam(req: Request): IntegrationMode {
  return ivrParam(req, 'mode').toLowerCase() === 'subdialog' ? 'subdialog' : 'goto';
}

/** The prefix of a context parameter: ctx.intent=billing. */
const CONTEXT_PREFIX = 'ctx.';
/** More names than any allow-list may hold (MAX_CONTEXT_NAMES): the rest is not even read. */
const MAX_CONTEXT_PARAMS = 40;
/** Longer than any allowed value (maxLength is at most 256): anything past it is refused anyway. */
const MAX_CONTEXT_VALUE_LENGTH = 257;

/**
 * The ctx.<name> parameters, from the form body and the query string (the body wins, as
 * in ivrParam), first value of each, raw: src/deflection/ivr-context.ts decides what is
 * kept. Values are cut one past the longest allowed so that a too-long value stays too long.
 */
export function contextParams(req: Request): Record<string, string> {
  // No prototype: a parameter named ctx.__proto__ is just a name (dropped later).
  const out = Object.create(null) as Record<string, string>;
  const sources = [req.body as Record<string, unknown> | undefined, queryOf(req)];
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [key, value] of Object.entries(source)) {
      if (!key.startsWith(CONTEXT_PREFIX)) continue;
      const name = key.slice(CONTEXT_PREFIX.length);
      if (name in out) continue;
      if (Object.keys(out).length >= MAX_CONTEXT_PARAMS) return out;
      const text = firstText(value);
      if (text !== undefined) out[name] = text.slice(0, MAX_CONTEXT_VALUE_LENGTH);
    }
  }
  return out;
}
