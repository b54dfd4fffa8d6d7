import type { CountryCode } from 'libphonenumber-js';
import type { Campaign } from '../campaigns/schema';
import type { LineTypeLookup } from '../lookup/port';
import { checkMobile, normaliseNumber, type NumberProblem } from '../phone';

/**
 * Where a text may go: a number the caller gave (or called from) passes when it reads
 * as a mobile in one of the campaign's allowed countries, is not premium, toll-free or a
 * short code, is not one of the brand's own numbers, and (when a line-type lookup is
 * configured) its carrier does not say it is a landline.
 */

export type NumberVerdict =
  | { ok: true; e164: string; lastFour: string }
  | { ok: false; reason: NumberProblem | 'own-number'; lineType?: string };

const ownNumbersOf = new WeakMap<Campaign, ReadonlySet<string>>();

/** The brand's numbers (its own list and the campaign's DNIS): forwarded calls present them as the ANI. */
function ownNumbers(campaign: Campaign): ReadonlySet<string> {
  let set = ownNumbersOf.get(campaign);
  if (!set) {
    const country = campaign.country as CountryCode;
    set = new Set([...campaign.ownNumbers, ...campaign.dnis].map((n) => normaliseNumber(n, country)).filter(Boolean));
    ownNumbersOf.set(campaign, set);
  }
  return set;
}

export async function judgeNumber(raw: string, campaign: Campaign, lookup: LineTypeLookup | undefined): Promise<NumberVerdict> {
  const country = campaign.country as CountryCode;
  const check = checkMobile(raw, country, campaign.allowedCountries ?? [country]);
  if (!check.ok) return check;
  if (ownNumbers(campaign).has(check.e164)) return { ok: false, reason: 'own-number' };
  if (!lookup) return check;
  // The lookup has its own timeout; a failed lookup leaves the decision to the number rules.
  const answer = await lookup.lookup(check.e164, new AbortController().signal);
  if (answer.kind === 'known' && !answer.textable) {
    return { ok: false, reason: answer.lineType === 'toll-free' ? 'toll-free' : answer.lineType === 'premium' ? 'premium-rate' : 'not-mobile', lineType: answer.vendorType };
  }
  return check;
}
