import type { Response } from 'express';

/**
 * Cache headers of what VoiceXML browsers fetch. Browsers cache aggressively and differ in
 * which directive they honour, so each kind of response says it every way it can.
 */

/**
 * A document of one moment of one call (every step, every hand-back): never reused.
 * `no-store` alone is not enough: some browsers key on `no-cache` or `private` and treat
 * a response without them as cacheable under their own default max-age; `Expires: 0`
 * (an invalid date, which HTTP/1.1 says means "already expired", RFC 9111 §5.3) covers
 * HTTP/1.0-era caches that read no Cache-Control at all.
 */
export const PER_CALL_CACHE_CONTROL = 'no-cache, no-store, private';

/** The application root document: the same for every call of a campaign; 5 minutes, so an edit reaches calls soon. */
export const ROOT_MAX_AGE_S = 300;

/** The built-in hold audio: generated at start-up, it changes only with a release or HOLD_AUDIO_ENCODING; a day. */
export const AUDIO_MAX_AGE_S = 86_400;

export function perCallDocument(res: Response): void {
  res.set('Cache-Control', PER_CALL_CACHE_CONTROL).set('Expires', '0');
}

/** Shared by every call (Express adds the ETag, so a browser can revalidate cheaply). */
export function sharedResource(res: Response, maxAgeS: number): void {
  res.set('Cache-Control', `public, max-age=${maxAgeS}`);
}
