import { measureSms, segmentsWithTypicalLink, TYPICAL_LINK_LENGTH } from '../../src/sms/segments';

const gsm = (n: number) => 'a'.repeat(n);

describe('measureSms: GSM-7', () => {
  it.each([
    [1, 1],
    [160, 1],
    [161, 2],
    [306, 2],
    [307, 3],
    [459, 3],
    [460, 4],
  ])('%i GSM characters take %i segment(s): 160 alone, 153 per part', (length, segments) => {
    expect(measureSms(gsm(length))).toEqual({ encoding: 'GSM-7', segments, characters: length });
  });

  it('counts an empty text as one empty segment', () => {
    expect(measureSms('')).toEqual({ encoding: 'GSM-7', segments: 1, characters: 0 });
  });

  it('keeps accented letters of the GSM alphabet in GSM-7', () => {
    expect(measureSms('Café à Ñuñoa, Øre, Ç')).toMatchObject({ encoding: 'GSM-7', characters: 20 });
  });

  it.each(['{', '}', '[', ']', '~', '\\', '|', '^', '€'])('counts the extension character %j as two', (char) => {
    expect(measureSms(char)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 2 });
  });

  it('splits earlier when extension characters fill the text', () => {
    expect(measureSms(`${gsm(158)}€`)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 160 });
    expect(measureSms(`${gsm(159)}€`)).toEqual({ encoding: 'GSM-7', segments: 2, characters: 161 });
  });
});

describe('measureSms: UCS-2', () => {
  it.each([
    ['a curly quote', '\u201c'],
    ['an emoji', '\u{1F600}'],
    ['a letter outside GSM-7', 'ç'],
  ])('switches the whole text to UCS-2 for %s', (_label, char) => {
    expect(measureSms(`${gsm(100)}${char}`)).toMatchObject({ encoding: 'UCS-2', segments: 2 });
  });

  it.each([
    [70, 1],
    [71, 2],
    [134, 2],
    [135, 3],
  ])('%i UCS-2 characters take %i segment(s): 70 alone, 67 per part', (length, segments) => {
    const body = `\u2019${gsm(length - 1)}`;
    expect(measureSms(body)).toEqual({ encoding: 'UCS-2', segments, characters: length });
  });

  it('counts UTF-16 code units: an emoji fills two of the 70', () => {
    expect(measureSms(`${gsm(68)}\u{1F600}`)).toEqual({ encoding: 'UCS-2', segments: 1, characters: 70 });
    expect(measureSms(`${gsm(69)}\u{1F600}`)).toEqual({ encoding: 'UCS-2', segments: 2, characters: 71 });
  });

  it('counts extension characters once in UCS-2', () => {
    expect(measureSms('€\u2019')).toEqual({ encoding: 'UCS-2', segments: 1, characters: 2 });
  });
});

describe('segmentsWithTypicalLink', () => {
  it('fills {link} with that many GSM characters', () => {
    expect(segmentsWithTypicalLink('Chat: {link}', 20)).toEqual({ encoding: 'GSM-7', segments: 1, characters: 26 });
  });

  it('fills every {link}', () => {
    expect(segmentsWithTypicalLink('{link} {link}', 10)).toMatchObject({ characters: 21 });
  });

  it('tips into a second segment when the link does', () => {
    const template = `${gsm(140)}{link}`;
    expect(segmentsWithTypicalLink(template, 20).segments).toBe(1);
    expect(segmentsWithTypicalLink(template, 21).segments).toBe(2);
  });

  it('never makes a GSM text UCS-2 itself, but keeps the template encoding', () => {
    expect(segmentsWithTypicalLink('Tap {link}', 40).encoding).toBe('GSM-7');
    expect(segmentsWithTypicalLink('Tap \u201chere\u201d: {link}', 40).encoding).toBe('UCS-2');
  });

  it('uses the typical link length by default', () => {
    expect(segmentsWithTypicalLink('{link}').characters).toBe(TYPICAL_LINK_LENGTH);
  });
});
