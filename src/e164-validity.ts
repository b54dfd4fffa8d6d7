import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { Metadata, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import minMetadata from 'libphonenumber-js/metadata.min.json';

/**
 * Whether a number already written in strict E.164 ("+" and up to 15 digits, no leading
 * zero) is valid, for every call start's caller key, without libphonenumber's general
 * parser: that parser takes any text, so it copies its options, reads the input a
 * character at a time, and compiles each pattern it tests into a new RegExp (9 KB of
 * garbage per start, a seventh of all a start allocates). IVRs send ANIs in E.164.
 *
 * The answer is libphonenumber's own (`parsePhoneNumberFromString(number, country)?.isValid()`
 * on the same metadata, libphonenumber-js's default "min" set, which the service uses): the
 * same steps on the same metadata (calling code by its first 1 to 3 digits, the country
 * among those sharing it by leading digits or number type, validity by the national
 * number pattern and the type patterns and lengths), with each pattern compiled once.
 * Every case those steps do not cover exactly returns undefined, and the caller asks the
 * library: a national prefix that the parser might strip, a non-geographic calling code
 * (+800...), a number no country of its calling code claims, a country code unknown to
 * the metadata. test/phone-e164-fast.test.ts checks the answer against the library's
 * over thousands of numbers, valid and invalid, in many countries.
 */

const STRICT_E164 = /^\+[1-9]\d{1,14}$/;
/** libphonenumber's constants: a national (significant) number has 2 to 17 digits, a calling code 1 to 3. */
const MIN_NATIONAL_LENGTH = 2;
const MAX_CALLING_CODE_LENGTH = 3;
/** The number types libphonenumber tries, in its order (getNumberType): any one makes a number valid. */
const TYPES = ['FIXED_LINE', 'MOBILE', 'PREMIUM_RATE', 'TOLL_FREE', 'SHARED_COST', 'VOIP', 'PERSONAL_NUMBER', 'PAGER', 'UAN', 'VOICEMAIL'] as const;

const metadataJson = minMetadata as unknown as MetadataJson;
const metadata = new Metadata(metadataJson);

// libphonenumber's numbering plan accessors (typed loosely by the library, as in mobile-digits.ts).
interface NumberingPlan {
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  leadingDigits(): string | undefined;
  hasTypes(): boolean;
  type(type: string): { pattern(): string; possibleLengths(): number[] | undefined } | undefined;
}
interface MetadataInternals {
  hasCountry(country: string): boolean;
  hasCallingCode(callingCode: string): boolean | undefined;
  getCountryCodesForCallingCode(callingCode: string): string[] | undefined;
  selectNumberingPlan(country: string): unknown;
  numberingPlan: NumberingPlan;
}
const internals = metadata as unknown as MetadataInternals;

/**
 * The methods above are libphonenumber-js's own, but not its documented API (its README asks
 * callers to keep to leadingDigits, possibleLengths and the IDD prefixes): a release that
 * renames one turns the fast path off here, at load, and every number goes to the library,
 * rather than every call start failing. test/phone-e164-fast.test.ts fails on such a
 * release (it checks the fast path answers, not only that the answers agree).
 */
const fastPathAvailable = (() => {
  try {
    const probe = internals as unknown as Record<string, unknown>;
    if (!['hasCountry', 'hasCallingCode', 'getCountryCodesForCallingCode', 'selectNumberingPlan'].every((name) => typeof probe[name] === 'function')) return false;
    internals.selectNumberingPlan('US');
    const plan = internals.numberingPlan as unknown as Record<string, unknown>;
    return ['nationalNumberPattern', 'nationalPrefixForParsing', 'leadingDigits', 'hasTypes', 'type'].every((name) => typeof plan[name] === 'function');
  } catch {
    return false;
  }
})();

/** One country's plan, each pattern compiled once (libphonenumber compiles `^(?:p)$` at each test). */
interface Plan {
  nationalNumber: RegExp;
  /** Set when the country has a national prefix: a number starting with it leaves the fast path. */
  nationalPrefix: RegExp | undefined;
  /** `search(leadingDigits) === 0` in libphonenumber: a match at the start. */
  leadingDigits: RegExp | undefined;
  /** Undefined when the metadata has no types for the country (validity is then the national pattern alone). */
  types: Array<{ lengths: number[] | undefined; pattern: RegExp }> | undefined;
}

const plans = new Map<string, Plan>();

function entirely(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function planOf(country: string): Plan {
  let plan = plans.get(country);
  if (plan) return plan;
  internals.selectNumberingPlan(country);
  const numbering = internals.numberingPlan;
  const prefix = numbering.nationalPrefixForParsing();
  const leading = numbering.leadingDigits();
  const types = numbering.hasTypes()
    ? TYPES.flatMap((name) => {
        const type = numbering.type(name);
        // isNumberTypeEqualTo: a type without a pattern never matches.
        if (!type || !type.pattern()) return [];
        return [{ lengths: type.possibleLengths(), pattern: entirely(type.pattern()) }];
      })
    : undefined;
  plan = {
    nationalNumber: entirely(numbering.nationalNumberPattern()),
    nationalPrefix: prefix ? new RegExp(`^(?:${prefix})`) : undefined,
    leadingDigits: leading ? new RegExp(leading) : undefined,
    types,
  };
  plans.set(country, plan);
  return plan;
}

/** getNumberType(...) !== undefined, or the national pattern alone without types (isValidNumber). */
function validIn(plan: Plan, national: string): boolean {
  if (!plan.nationalNumber.test(national)) return false;
  if (!plan.types) return true;
  return plan.types.some((type) => (!type.lengths || type.lengths.includes(national.length)) && type.pattern.test(national));
}

/**
 * The number itself when it is valid, '' when it is not, undefined when the fast path
 * cannot tell exactly (ask libphonenumber). `defaultCountry` only matters to the library
 * for being a known country: an unknown one fails its parse.
 */
export function strictE164Validity(dial: string, defaultCountry: CountryCode): string | undefined {
  if (!fastPathAvailable || !STRICT_E164.test(dial) || !internals.hasCountry(defaultCountry)) return undefined;
  for (let length = 1; length <= MAX_CALLING_CODE_LENGTH && length < dial.length; length++) {
    const callingCode = dial.slice(1, 1 + length);
    if (!internals.hasCallingCode(callingCode)) continue;
    // Known, but non-geographic (+800, +882...): the library's other branch.
    const countries = internals.getCountryCodesForCallingCode(callingCode);
    if (!countries) return undefined;
    const national = dial.slice(1 + length);
    if (national.length < MIN_NATIONAL_LENGTH) return undefined;
    // The parser strips a national prefix (or transforms the number) under conditions of
    // its own; numbers that do not start with one are left as they are.
    const main = planOf(countries[0] as string);
    if (main.nationalPrefix?.test(national)) return undefined;
    const country = countryOf(countries, national);
    if (!country) return undefined;
    return validIn(planOf(country), national) ? dial : '';
  }
  return undefined;
}

/** getCountryByCallingCode: the only country, or the first whose leading digits or types claim the number. */
function countryOf(countries: readonly string[], national: string): string | undefined {
  if (countries.length === 1) return countries[0];
  for (const country of countries) {
    const plan = planOf(country);
    if (plan.leadingDigits) {
      if (plan.leadingDigits.exec(national)?.index === 0) return country;
    } else if (typeOf(plan, national)) return country;
  }
  return undefined;
}

/** getNumberType(...) !== undefined for one country, checked by getCountryByNationalNumber (types as for validity). */
function typeOf(plan: Plan, national: string): boolean {
  return plan.types !== undefined && validIn(plan, national);
}

/**
 * Who the per-caller limits and recontacts count a call against: the number in E.164 when
 * libphonenumber (default metadata) reads it as valid in any country, else ''. Strict
 * E.164 numbers take the fast path above; anything else is parsed by the library.
 */
export function validNumberOrEmpty(dial: string, country: CountryCode): string {
  const fast = strictE164Validity(dial, country);
  if (fast !== undefined) return fast;
  const parsed = parsePhoneNumberFromString(dial, country);
  return parsed?.isValid() ? parsed.number : '';
}
