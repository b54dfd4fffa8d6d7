import { createHmac } from 'node:crypto';
import type { NumberKey } from '../store/port';

/**
 * What the opt-out list keeps of an erased number: an HMAC-SHA256 of its E.164 form under
 * ERASURE_KEY. The same number always gives the same key, so a later opt-out check (which
 * asks for the number and its key) still finds it; without the secret nobody can turn the
 * key back into the number by hashing every possible number (there are only ~10^10 per
 * country, which a plain hash would not protect).
 */
export function erasedNumberKey(secret: string): NumberKey {
  return (e164) => `erased:${createHmac('sha256', secret).update(e164, 'utf8').digest('hex')}`;
}
