import { parsePhoneNumberFromString, isSupportedCountry, type CountryCode } from 'libphonenumber-js/max';

/**
 * Phone numbers as IVR platforms pass them: "tel:+16175551234",
 * "sip:+16175551234@gw.example.com;user=phone", "6175551234", "+1 (617) 555-1234".
 */

/** Strips URI scheme, SIP host and parameters, and visual separators; keeps a leading "+". */
export function extractDialString(raw: string): string {
  let s = raw.trim();
  s = s.replace(/^(tel|sips?):/i, '');
  s = s.split('@')[0] ?? '';
  s = s.split(';')[0] ?? '';
  try {
    s = decodeURIComponent(s);
  } catch {
    // A malformed escape is left as it is: it will simply not parse as a number.
  }
  const plus = s.trim().startsWith('+');
  const digits = s.replace(/\D/g, '');
  return digits ? (plus ? `+${digits}` : digits) : '';
}

export function isCountryCode(value: string): value is CountryCode {
  return isSupportedCountry(value);
}

/**
 * E.164 when the number reads as a possible number in the given country, otherwise its
 * bare digits (internal extensions, short codes). DNIS are indexed by this.
 */
export function normaliseNumber(raw: string, country: CountryCode): string {
  const dial = extractDialString(raw);
  if (!dial) return '';
  const parsed = parsePhoneNumberFromString(dial, country);
  return parsed?.isPossible() ? parsed.number : dial.replace('+', '');
}

/** How many distinct (number, country) pairs normaliseDnis remembers: far more than a deployment's campaign numbers. */
const DNIS_MEMO_MAX = 256;
const dnisMemo = new Map<string, string>();

/**
 * normaliseNumber for the number dialled (DNIS), remembered: every call start reads its
 * DNIS through libphonenumber twice (the campaign lookup, the call row), and a deployment
 * has a few campaign numbers, so the same few inputs come back for ever. The result is the
 * library's own (the function is pure: same input, same output), computed once per input.
 * Bounded: an IVR sending made-up DNIS only pushes the oldest entries out. Only for DNIS:
 * callers' numbers are not kept in memory.
 */
export function normaliseDnis(raw: string, country: CountryCode): string {
  const key = `${country} ${raw}`;
  const known = dnisMemo.get(key);
  if (known !== undefined) return known;
  const value = normaliseNumber(raw, country);
  if (dnisMemo.size >= DNIS_MEMO_MAX) dnisMemo.delete(dnisMemo.keys().next().value as string);
  dnisMemo.set(key, value);
  return value;
}

const WITHHELD = /^(anonymous|restricted|private|unknown|unavailable|withheld|blocked)$/i;

export type NumberProblem =
  | 'absent'
  | 'withheld'
  | 'invalid'
  | 'short-code'
  | 'wrong-country'
  | 'toll-free'
  | 'premium-rate'
  | 'not-mobile';

export type MobileCheck = { ok: true; e164: string; lastFour: string } | { ok: false; reason: NumberProblem };

// Types that can plausibly receive a text. The US (and some others) cannot tell fixed from
// mobile by number alone, so FIXED_LINE_OR_MOBILE is accepted; a line-type lookup refines it.
const TEXTABLE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE', 'PERSONAL_NUMBER', 'VOIP']);
// Texts to these cost the sender (premium, shared cost) or go nowhere useful: the
// numbers SMS pumping fraud types in.
const PREMIUM_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST']);
/** Short codes are 3 to 6 digits dialled without a country code. */
const SHORT_CODE = /^\d{3,6}$/;

/**
 * Decides whether a number (ANI or typed digits) is one we may text: read in the
 * campaign's country when it has no country code, and only in the allowed countries.
 */
export function checkMobile(raw: string, country: CountryCode, allowed: readonly string[] = [country]): MobileCheck {
  const trimmed = raw.trim();
  if (!trimmed) return { ok: false, reason: 'absent' };
  const user = trimmed.replace(/^(tel|sips?):/i, '').split('@')[0] ?? '';
  if (WITHHELD.test(user)) return { ok: false, reason: 'withheld' };
  const dial = extractDialString(trimmed);
  if (!dial || /^0+$/.test(dial)) return { ok: false, reason: 'withheld' };
  const parsed = parsePhoneNumberFromString(dial, country);
  if (!parsed || !parsed.isValid()) return { ok: false, reason: SHORT_CODE.test(dial) ? 'short-code' : 'invalid' };
  if (!parsed.country || !allowed.includes(parsed.country)) return { ok: false, reason: 'wrong-country' };
  const type = parsed.getType();
  if (type === 'TOLL_FREE') return { ok: false, reason: 'toll-free' };
  if (type && PREMIUM_TYPES.has(type)) return { ok: false, reason: 'premium-rate' };
  if (!type || !TEXTABLE_TYPES.has(type)) return { ok: false, reason: 'not-mobile' };
  return { ok: true, e164: parsed.number, lastFour: parsed.number.slice(-4) };
}

/** For logs and for what we hand back to the IVR: "+*******1234". */
export function maskNumber(e164: string): string {
  if (e164.length <= 4) return '*'.repeat(e164.length);
  const head = e164.startsWith('+') ? '+' : '';
  return head + '*'.repeat(e164.length - 4 - head.length) + e164.slice(-4);
}
