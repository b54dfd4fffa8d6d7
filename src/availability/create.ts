import type { OutboundClient } from '../outbound/client';
import { CachedAvailability } from './cached';
import { HttpAvailability } from './http-check';
import { LivePersonAvailability } from './liveperson';
import type { AvailabilityCheck } from './port';
import type { Secrets } from './secrets';
import type { AvailabilitySettings } from './settings';

/**
 * The check a campaign's availability settings call for; undefined for "static" (always
 * offer, no request). Throws when a header names an unset secret, so a campaign that
 * cannot authenticate fails at start-up rather than on every call. Every request goes
 * through `client`, under the outbound policy.
 */
export function createAvailabilityCheck(
  settings: AvailabilitySettings,
  secrets: Secrets,
  client: OutboundClient,
  now: () => number = Date.now,
): AvailabilityCheck | undefined {
  switch (settings.kind) {
    case 'static':
      return undefined;
    case 'liveperson':
      return new CachedAvailability(new LivePersonAvailability(settings, secrets, client), settings.cacheSeconds, now);
    case 'http':
      return new CachedAvailability(new HttpAvailability(settings, secrets, client), settings.cacheSeconds, now);
  }
}
