import { SegmentedMessage } from 'sms-segments-calculator';
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

describe('measureSms: the GSM-7 basic set measured by arithmetic agrees with the calculator', () => {
  // The whole GSM 03.38 basic table but CR and ESC, typed from the standard's table.
  const basic = '@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
  // A fixed pseudo-random sequence, so a failure names a text that can be run again.
  let seed = 21;
  const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
  const text = (length: number) => Array.from({ length }, () => basic[Math.floor(random() * basic.length)]).join('');

  it('has 126 characters in the table it measures (128 less CR and ESC)', () => {
    expect([...basic]).toHaveLength(126);
  });

  it.each([0, 1, 2, 159, 160, 161, 305, 306, 307, 458, 459, 460, 700])('a %i-character text of every kind of basic character', (length) => {
    for (let i = 0; i < 20; i++) {
      const body = text(length);
      const calculator = new SegmentedMessage(body);
      expect(measureSms(body)).toEqual({ encoding: 'GSM-7', segments: calculator.segmentsCount, characters: calculator.messageSize / 7 });
    }
  });

  it('still sends CR LF, extension characters and UCS-2 texts through the calculator', () => {
    for (const body of [`${'a'.repeat(152)}\r\n${'b'.repeat(10)}`, `${'a'.repeat(159)}{`, `${'a'.repeat(100)}’`]) {
      const calculator = new SegmentedMessage(body);
      expect(measureSms(body)).toMatchObject({ encoding: calculator.encodingName, segments: calculator.segmentsCount });
    }
  });
});
