import { findNumbers, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { maskNumber } from '../phone';

/**
 * Vendors quote the number in their refusals ("The 'To' number +16175550130 is not a valid
 * phone number."), and those texts are stored and shown beside a masked Number column.
 * This masks every phone number in a text the way maskNumber does (all but the last four
 * digits): the numbers libphonenumber finds, read in the recipient's country so national
 * forms like "(617) 555-0130" count; any "+" followed by a dialled number; and any run of
 * eight or more digits (E.164 without its "+", or a number inside a URL-encoded echo of
 * our request). The last rule also masks long ids in an error; losing those costs less
 * than showing a number.
 */

const INTERNATIONAL = /\+\d(?:[\s().-]?\d){6,}/g;
const LONG_DIGIT_RUN = /\d{8,}/g;

const maskDigits = (text: string): string => {
  let seen = 0;
  const total = text.replace(/\D/g, '').length;
  return text.replace(/\d/g, (d) => (++seen > total - 4 ? d : '*'));
};

export function maskNumbersIn(text: string, recipient?: string): string {
  const country: CountryCode | undefined = recipient ? parsePhoneNumberFromString(recipient)?.country : undefined;
  let out = text;
  const found = findNumbers(out, { defaultCountry: country ?? 'US', v2: true });
  // Right to left, so earlier positions stay valid.
  for (const match of [...found].reverse()) {
    out = `${out.slice(0, match.startsAt)}${maskDigits(out.slice(match.startsAt, match.endsAt))}${out.slice(match.endsAt)}`;
  }
  if (recipient) {
    const digits = recipient.replace(/\D/g, '');
    const national = parsePhoneNumberFromString(recipient)?.nationalNumber;
    for (const form of [recipient, digits, national].filter((f): f is string => Boolean(f) && f!.length >= 5)) {
      out = out.split(form).join(maskNumber(form));
    }
  }
  return out.replace(INTERNATIONAL, maskDigits).replace(LONG_DIGIT_RUN, maskDigits);
}
