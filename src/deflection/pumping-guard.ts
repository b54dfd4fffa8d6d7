import { parsePhoneNumberFromString, getCountryCallingCode, type CountryCode } from 'libphonenumber-js';
import type { Campaign } from '../campaigns/schema';
import type { SendLimit } from '../store/port';
import type { PumpingGuardSettings } from './abuse-settings';

/**
 * The SMS pumping guard. Pumping fraud texts many numbers of one range (the fraudster's
 * own, paid per text by a colluding carrier) or of a country the brand never texts. So
 * the guard adds two sliding windows to every send, counted by the store in the admitting
 * transaction (exact across instances):
 * - texts to the destination's range (its number without the last rangeDigits digits),
 *   from any campaign: a burst pauses texting to that range until the window slides on;
 * - when the destination's calling code is not the campaign's own country's, the
 *   campaign's texts to that calling code.
 * The refusal itself (event, metric, error log, the caller's prompt) is the service's.
 */

export type PumpingReason = 'range-burst' | 'foreign-country-burst';

export function pumpingLimits(to: string, campaign: Campaign, settings: PumpingGuardSettings, now: Date): SendLimit[] {
  // A text exactly one window ago no longer counts, as for the campaign's own windows.
  const since = new Date(now.getTime() - settings.windowMinutes * 60_000 + 1).toISOString();
  const within = `${settings.windowMinutes} min`;
  const limits: SendLimit[] = [];
  const digits = to.length - 1;
  if (digits > settings.rangeDigits) {
    limits.push({
      scope: 'prefix',
      max: settings.maxPerRange,
      since,
      name: `${settings.maxPerRange} per range per ${within}`,
      numberPrefix: rangeOf(to, settings.rangeDigits),
    });
  }
  const callingCode = parsePhoneNumberFromString(to)?.countryCallingCode;
  if (callingCode && callingCode !== getCountryCallingCode(campaign.country as CountryCode)) {
    limits.push({
      scope: 'country',
      max: settings.maxPerForeignCountry,
      since,
      name: `${settings.maxPerForeignCountry} per foreign country per ${within}`,
      numberPrefix: `+${callingCode}`,
    });
  }
  return limits;
}

/** "+1617555" for +16175551234 with four range digits: what a paused range is called in events and logs. */
export function rangeOf(e164: string, rangeDigits: number): string {
  return e164.slice(0, e164.length - rangeDigits);
}

/** Why the guard refused, when a refusing limit is one of its own. */
export function pumpingReasonOf(limit: SendLimit): PumpingReason | undefined {
  if (limit.scope === 'prefix') return 'range-burst';
  if (limit.scope === 'country') return 'foreign-country-burst';
  return undefined;
}
