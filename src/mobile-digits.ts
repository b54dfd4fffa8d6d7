import { Metadata, getExampleNumber, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import metadataJson from 'libphonenumber-js/metadata.max.json';
import mobileExamples from 'libphonenumber-js/mobile/examples';

/**
 * How many digits a caller keys for a mobile number of a country, dialled nationally:
 * what "enter your 10-digit mobile number" must say. From libphonenumber's metadata
 * (the same data checkMobile() validates with), so the prompt and the check agree.
 *
 * - The length of the mobile range's national significant number, when it has one
 *   length (US 10; DE has 10 and 11 and AT seven lengths: no count there).
 * - Plus the trunk prefix when the country writes mobiles with it and it is not optional
 *   there: a UK mobile is 7400 123456 but keyed and written 07400 123456, 11 digits.
 *   Where it is optional (India writes 081234 56789 or 81234 56789) the shorter count
 *   is said; the longer entry still parses, libphonenumber strips the prefix.
 */
const metadata = metadataJson as unknown as MetadataJson;
const cache = new Map<string, number | undefined>();

export function mobileDigitsIn(country: CountryCode): number | undefined {
  if (!cache.has(country)) cache.set(country, measure(country));
  return cache.get(country);
}

// The numbering plan's internals are typed loosely by the library (Metadata is declared
// with a few methods only); these are the ones its own formatter uses.
interface Plan {
  type(type: 'MOBILE'): { possibleLengths(): number[] | undefined } | undefined;
  formats(): Array<{
    pattern(): string;
    leadingDigitsPatterns(): string[];
    nationalPrefixIsOptionalWhenFormattingInNationalFormat(): boolean;
  }>;
}

function measure(country: CountryCode): number | undefined {
  const meta = new Metadata(metadata);
  meta.selectNumberingPlan(country);
  const plan = meta.numberingPlan as unknown as Plan | undefined;
  const lengths = plan?.type('MOBILE')?.possibleLengths() ?? [];
  if (lengths.length !== 1) return undefined;
  const [length] = lengths as [number];
  const example = getExampleNumber(country, mobileExamples, metadata);
  if (!example) return length;
  const national = example.nationalNumber;
  const prefixDigits = example.formatNational().replace(/\D/g, '').length - national.length;
  if (prefixDigits <= 0) return length;
  // The format libphonenumber picks for this number (same rule as its formatter): the
  // last leading-digits pattern matches its start and the pattern matches all of it.
  const format = plan?.formats().find((f) => {
    const leading = f.leadingDigitsPatterns().at(-1);
    return (!leading || new RegExp(`^(?:${leading})`).test(national)) && new RegExp(`^(?:${f.pattern()})$`).test(national);
  });
  return format?.nationalPrefixIsOptionalWhenFormattingInNationalFormat() ? length : length + prefixDigits;
}
