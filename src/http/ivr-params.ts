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
  const fromQuery = firstText((req.query as Record<string, unknown> | undefined)?.[name]);
  const value = fromBody || fromQuery || '';
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\ufffd]/g, '').trim().slice(0, MAX_PARAM_LENGTH);
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
