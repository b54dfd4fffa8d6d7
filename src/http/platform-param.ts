import type { Request } from 'express';
import { isPlatformName, type PlatformName } from '../vxml/platforms/profiles';
import { ivrParam } from './ivr-params';

export type PlatformParam = { kind: 'none' } | { kind: 'known'; name: PlatformName } | { kind: 'unknown'; value: string };

/** The `platform` an IVR request names (start URL, or carried in our URLs since), case-insensitive. */
export function platformParam(req: Request): PlatformParam {
  const value = ivrParam(req, 'platform').toLowerCase();
  if (!value) return { kind: 'none' };
  return isPlatformName(value) ? { kind: 'known', name: value } : { kind: 'unknown', value };
}
