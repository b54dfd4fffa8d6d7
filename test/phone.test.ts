import type { CountryCode } from 'libphonenumber-js';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { checkMobile, extractDialString, maskNumber, normaliseDnis, normaliseNumber } from '../src/phone';

/** Numbers as IVR platforms pass them (ANI, DNIS) and as callers type them. */

describe('extractDialString', () => {
  it.each([
    ['tel:+16175551234', '+16175551234'],
    ['TEL:+16175551234', '+16175551234'],
    ['tel:+1-617-555-1234;phone-context=example.com', '+16175551234'],
    ['sip:+16175551234@gw.example.com;user=phone', '+16175551234'],
    ['sips:6175551234@gw.example.com:5061;transport=tls', '6175551234'],
    ['sip:6175551234;user=phone', '6175551234'],
    ['+1 (617) 555-1234', '+16175551234'],
    ['617.555.1234', '6175551234'],
    ['  \t+1 617 555 1234 \n', '+16175551234'],
    ['%2B16175551234', '+16175551234'],
    ['sip:%2b16175551234@gw.example.com', '+16175551234'],
    ['1234', '1234'],
  ])('%j -> %j', (raw, expected) => {
    expect(extractDialString(raw)).toBe(expected);
  });

  it('returns an empty string when there are no digits', () => {
    expect(extractDialString('')).toBe('');
    expect(extractDialString('   ')).toBe('');
    expect(extractDialString('anonymous')).toBe('');
    expect(extractDialString('sip:anonymous@anonymous.invalid')).toBe('');
    expect(extractDialString('+')).toBe('');
  });

  it('keeps the + only when it leads the number', () => {
    expect(extractDialString('617+5551234')).toBe('6175551234');
  });

  it('leaves a malformed percent escape alone instead of throwing', () => {
    expect(() => extractDialString('%E0%A4%A')).not.toThrow();
  });
});

describe('checkMobile', () => {
  it('accepts a US number, which may be fixed or mobile, in E.164 with its last four digits', () => {
    expect(checkMobile('+16175551234', 'US')).toEqual({ ok: true, e164: '+16175551234', lastFour: '1234' });
  });

  it.each(['6175551234', '(617) 555-1234', '1 617 555 1234', 'tel:+16175551234', 'sip:+16175551234@gw.example.com;user=phone'])(
    'reads %j as the same US number',
    (raw) => {
      expect(checkMobile(raw, 'US')).toEqual({ ok: true, e164: '+16175551234', lastFour: '1234' });
    },
  );

  it('accepts a GB mobile for a GB campaign, typed nationally', () => {
    expect(checkMobile('07400 123456', 'GB')).toEqual({ ok: true, e164: '+447400123456', lastFour: '3456' });
  });

  it('reports an empty or blank value as absent', () => {
    expect(checkMobile('', 'US')).toEqual({ ok: false, reason: 'absent' });
    expect(checkMobile('   ', 'US')).toEqual({ ok: false, reason: 'absent' });
  });

  it.each(['anonymous', 'Anonymous', 'restricted', 'RESTRICTED', 'private', 'unavailable', 'sip:anonymous@anonymous.invalid', 'tel:restricted', '0000', '0', 'tel:0000000000'])(
    'reports %j as withheld',
    (raw) => {
      expect(checkMobile(raw, 'US')).toEqual({ ok: false, reason: 'withheld' });
    },
  );

  it.each(['1234567', '+1617555123456', '+0000', '6175551'])('reports %j as invalid', (raw) => {
    expect(checkMobile(raw, 'US')).toEqual({ ok: false, reason: 'invalid' });
  });

  it.each(['123', '617555', '87654', '22395'])('reports %j (3 to 6 digits, no country code) as a short code', (raw) => {
    expect(checkMobile(raw, 'US')).toEqual({ ok: false, reason: 'short-code' });
  });

  it('refuses a valid number of another country (a GB mobile for a US campaign)', () => {
    expect(checkMobile('+447400123456', 'US')).toEqual({ ok: false, reason: 'wrong-country' });
    expect(checkMobile('+16175551234', 'GB')).toEqual({ ok: false, reason: 'wrong-country' });
  });

  it('accepts another country only when the campaign allows it, reading national numbers in its own', () => {
    expect(checkMobile('+447400123456', 'US', ['US', 'GB'])).toEqual({ ok: true, e164: '+447400123456', lastFour: '3456' });
    expect(checkMobile('6175551234', 'US', ['US', 'GB'])).toEqual({ ok: true, e164: '+16175551234', lastFour: '1234' });
    // Canada shares +1 with the US but is a country of its own.
    expect(checkMobile('+14165551234', 'US')).toEqual({ ok: false, reason: 'wrong-country' });
    expect(checkMobile('+14165551234', 'US', ['US', 'CA'])).toMatchObject({ ok: true });
  });

  it.each<[string, CountryCode, string]>([
    ['+18005550100', 'US', 'toll-free'],
    ['+18885550100', 'US', 'toll-free'],
    ['+448001234567', 'GB', 'toll-free'],
    ['+19005550100', 'US', 'premium-rate'],
    ['+449098790000', 'GB', 'premium-rate'],
    ['+448451234567', 'GB', 'premium-rate'],
    ['+442079460000', 'GB', 'not-mobile'],
  ])('refuses %s (%s) as %s', (raw, country, reason) => {
    expect(checkMobile(raw, country)).toEqual({ ok: false, reason });
  });
});

describe('maskNumber', () => {
  it('keeps the + and the last four digits', () => {
    expect(maskNumber('+16175551234')).toBe('+*******1234');
    expect(maskNumber('+447400123456')).toBe('+********3456');
  });

  it('keeps the length, so masked numbers line up in logs', () => {
    expect(maskNumber('+16175551234')).toHaveLength('+16175551234'.length);
  });

  it('masks a number without + except its last four digits', () => {
    expect(maskNumber('6175551234')).toBe('******1234');
  });

  it('shows nothing of a number of four characters or fewer', () => {
    expect(maskNumber('1234')).toBe('****');
    expect(maskNumber('12')).toBe('**');
    expect(maskNumber('')).toBe('');
  });
});

describe('normaliseNumber', () => {
  it('gives E.164 for a possible number in the country, whatever its format', () => {
    for (const raw of ['+1 (617) 555-0100', '617-555-0100', 'tel:+16175550100', 'sip:6175550100@gw.example.com']) {
      expect(normaliseNumber(raw, 'US')).toBe('+16175550100');
    }
    expect(normaliseNumber('020 7946 0000', 'GB')).toBe('+442079460000');
  });

  it('reads a national number with the given country', () => {
    expect(normaliseNumber('6175550100', 'US')).toBe('+16175550100');
    expect(normaliseNumber('6175550100', 'GB')).toBe('+446175550100');
  });

  it('keeps the bare digits of short internal numbers and extensions', () => {
    expect(normaliseNumber('4001', 'US')).toBe('4001');
    expect(normaliseNumber('tel:4001', 'GB')).toBe('4001');
    expect(normaliseNumber('911', 'US')).toBe('911');
    expect(normaliseNumber('+4001', 'US')).toBe('4001');
  });

  it('gives an empty string when there are no digits', () => {
    expect(normaliseNumber('anonymous', 'US')).toBe('');
  });
});

describe('normaliseDnis (normaliseNumber remembered, for the few numbers callers dial)', () => {
  /** The library's answer, computed here from libphonenumber itself for plain dial strings. */
  function libraryAnswer(dial: string, country: CountryCode): string {
    if (!/\d/.test(dial)) return '';
    const parsed = parsePhoneNumberFromString(dial, country);
    return parsed?.isPossible() ? parsed.number : dial.replace('+', '');
  }

  /** Valid, too short, too long, unassigned country codes, national forms: a deterministic spread. */
  function dialStrings(count: number): string[] {
    let seed = 21;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const out: string[] = ['+18005550100', '+16175551234', '+442079460000', '+4001', '4001', '911', '+999123456', '+1', '+', '0', '+0000000000'];
    while (out.length < count) {
      const length = 2 + (next() % 15);
      let digits = '';
      for (let i = 0; i < length; i++) digits += String(next() % 10);
      out.push(next() % 3 ? `+${digits}` : digits);
    }
    return out;
  }

  it('answers exactly as the library, first time and remembered, over many valid and invalid numbers', () => {
    const countries: CountryCode[] = ['US', 'GB', 'DE', 'FR', 'AU'];
    const inputs = dialStrings(400);
    // Twice round: the first pass fills (and overflows) the memory, the second reads what
    // is still in it and recomputes what was pushed out.
    for (let round = 0; round < 2; round++) {
      for (const dial of inputs) {
        for (const country of countries) expect([dial, country, normaliseDnis(dial, country)]).toEqual([dial, country, libraryAnswer(dial, country)]);
      }
    }
  });

  it('gives what normaliseNumber gives for the forms IVRs send', () => {
    for (const raw of ['+1 (617) 555-0100', 'tel:+16175550100', 'sip:6175550100@gw.example.com;user=phone', '020 7946 0000', 'anonymous', 'tel:4001', '%2B18005550100']) {
      for (const country of ['US', 'GB'] as CountryCode[]) {
        expect(normaliseDnis(raw, country)).toBe(normaliseNumber(raw, country));
        expect(normaliseDnis(raw, country)).toBe(normaliseNumber(raw, country));
      }
    }
  });
});
