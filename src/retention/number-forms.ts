import { parsePhoneNumberFromString } from 'libphonenumber-js/max';

/**
 * Every form in which the store may hold a number: texts and consent use E.164, but a
 * call's ANI is the IVR's dial string normalised (src/phone.ts normaliseNumber): E.164
 * when it reads as a possible number, otherwise its bare digits, which may be the digits
 * of the E.164 form, the national number, or the national number with its trunk prefix.
 */
export function numberForms(e164: string): string[] {
  const forms = new Set([e164, e164.replace(/^\+/, '')]);
  const parsed = parsePhoneNumberFromString(e164);
  if (parsed) {
    forms.add(parsed.nationalNumber);
    forms.add(parsed.formatNational().replace(/\D/g, ''));
  }
  return [...forms].filter((f) => f !== '');
}
