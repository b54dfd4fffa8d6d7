import { getCountries, getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';
import { strictE164Validity, validNumberOrEmpty } from '../src/e164-validity';

/**
 * The caller key's fast path for ANIs in strict E.164 must give exactly libphonenumber's
 * answer (the function it replaced: `parsePhoneNumberFromString(dial, country)?.isValid()
 * ? parsed.number : ''`). Compared over every country's example mobile number and
 * thousands of variations of it (other first digits hit fixed, toll-free, premium and
 * unassigned ranges; other lengths; other last digits), plus random digit strings.
 */

function library(dial: string, country: CountryCode): string {
  const parsed = parsePhoneNumberFromString(dial, country);
  return parsed?.isValid() ? parsed.number : '';
}

/** A small seeded generator: the same numbers every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function variations(e164: string, random: () => number): string[] {
  const digits = e164.slice(1);
  const out = [e164];
  const digit = () => String(Math.floor(random() * 10));
  for (let i = 0; i < 8; i++) out.push(`+${digits.slice(0, -3)}${digit()}${digit()}${digit()}`);
  // Other first digits of the national part: other number types and unassigned ranges.
  for (let cut = 1; cut <= 3; cut++) for (let d = 0; d <= 9; d++) out.push(`+${digits.slice(0, cut)}${d}${digits.slice(cut + 1)}`);
  out.push(`+${digits}${digit()}`, `+${digits}${digit()}${digit()}`, `+${digits.slice(0, -1)}`, `+${digits.slice(0, -2)}`);
  return out.filter((n) => /^\+\d{2,16}$/.test(n));
}

const COUNTRIES = getCountries();
const random = seeded(21);
const NUMBERS: Array<[string, CountryCode]> = [];
for (const country of COUNTRIES) {
  const example = getExampleNumber(country, examples);
  if (example) for (const n of variations(example.number, random)) NUMBERS.push([n, country]);
}
for (let i = 0; i < 3_000; i++) {
  const length = 4 + Math.floor(random() * 13);
  let n = '+';
  for (let d = 0; d < length; d++) n += String(Math.floor(random() * 10));
  NUMBERS.push([n, (COUNTRIES[Math.floor(random() * COUNTRIES.length)] ?? 'US') as CountryCode]);
}

describe('the caller key of an ANI in strict E.164', () => {
  test('the fast path gives libphonenumber\'s answer for every number it answers, and the key is the library\'s for all', () => {
    const differ: string[] = [];
    let fast = 0;
    let validFast = 0;
    for (const [dial, country] of NUMBERS) {
      const want = library(dial, country);
      const got = strictE164Validity(dial, country);
      if (got !== undefined) {
        fast++;
        if (got) validFast++;
        if (got !== want) differ.push(`${dial} (${country}): fast ${JSON.stringify(got)}, library ${JSON.stringify(want)}`);
      }
      if (validNumberOrEmpty(dial, country) !== want) differ.push(`${dial} (${country}): key differs`);
    }
    expect(differ).toEqual([]);
    // The comparison compares something: thousands of numbers, many taken by the fast path, valid and not.
    expect(NUMBERS.length).toBeGreaterThan(10_000);
    expect(fast).toBeGreaterThan(NUMBERS.length / 2);
    expect(validFast).toBeGreaterThan(1_000);
    expect(fast - validFast).toBeGreaterThan(1_000);
  });

  test.each([
    ['+16175551234', 'US', '+16175551234'], // a US number (fixed line or mobile)
    ['+14165551234', 'US', '+14165551234'], // Canada, sharing +1: the country found by the number's type
    ['+12684601234', 'US', '+12684601234'], // Antigua, found by its leading digits (268)
    ['+447400123456', 'GB', '+447400123456'], // UK mobile
    ['+442079460000', 'DE', '+442079460000'], // UK fixed line, a campaign in another country
    ['+4915112345678', 'DE', '+4915112345678'], // German mobile
    ['+33612345678', 'FR', '+33612345678'],
    ['+919812345678', 'IN', '+919812345678'],
    ['+16175551234', 'GB', '+16175551234'], // the campaign's country does not matter to a + number
    ['+1617555123', 'US', ''], // too short
    ['+10005551234', 'US', ''], // no such area code
    ['+999123456789', 'US', ''], // no such calling code: the library decides
  ] as Array<[string, CountryCode, string]>)('%s in a %s campaign: %j', (dial, country, key) => {
    expect(validNumberOrEmpty(dial, country)).toBe(key);
    expect(library(dial, country)).toBe(key);
  });

  test('what the fast path does not cover goes to the library: not E.164, a national prefix, non-geographic codes', () => {
    for (const [dial, country] of [
      ['6175551234', 'US'],
      ['+0123456789', 'US'],
      ['+80012345678', 'US'],
      ['+4407400123456', 'GB'],
      ['+1617555123456789', 'US'],
    ] as Array<[string, CountryCode]>) {
      expect(strictE164Validity(dial, country)).toBeUndefined();
      expect(validNumberOrEmpty(dial, country)).toBe(library(dial, country));
    }
    expect(validNumberOrEmpty('6175551234', 'US')).toBe('+16175551234');
  });
});
