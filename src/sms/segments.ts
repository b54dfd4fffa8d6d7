import { SegmentedMessage } from 'sms-segments-calculator';
import { renderMessage } from '../deflection/message';

/**
 * How long a text is on the air: carriers bill, and phones reassemble, per segment.
 * GSM-7 fits 160 characters in one segment and 153 per part once split; one character
 * outside GSM-7 (a curly quote, an emoji) turns the whole text into UCS-2: 70, then 67.
 */
export interface SmsMeasure {
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  /**
   * Characters as they count against a segment: in GSM-7 the extension characters
   * ({ } [ ] ~ \ | ^ €) take two septets; in UCS-2 an emoji outside the BMP takes two
   * UTF-16 code units.
   */
  characters: number;
}

const BITS_PER_CHARACTER = { 'GSM-7': 7, 'UCS-2': 16 } as const;

/**
 * The GSM 03.38 basic character set (one septet each), without CR and ESC. A text made
 * only of these is measured by arithmetic: the calculator's grapheme split (about a
 * millisecond of CPU and a few hundred objects for a 150-character text, on every submit)
 * cannot change the count, since each of these characters is a grapheme of its own.
 * CR is left out because CR LF is one grapheme, which the calculator keeps in one segment.
 */
const GSM7_BASIC = /^[@£$¥èéùìòÇ\nØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà]*$/;
const GSM7_SINGLE = 160;
const GSM7_PART = 153;

export function measureSms(body: string): SmsMeasure {
  if (GSM7_BASIC.test(body)) {
    const n = body.length;
    return { encoding: 'GSM-7', segments: n <= GSM7_SINGLE ? 1 : Math.ceil(n / GSM7_PART), characters: n };
  }
  const message = new SegmentedMessage(body);
  const encoding = message.encodingName;
  return {
    encoding,
    segments: message.segmentsCount,
    // Not the library's numberOfCharacters: in UCS-2 that counts graphemes, so an emoji
    // would count once while filling two of the 70 units. The payload size (without the
    // concatenation headers) divided by the code-unit size is what a segment holds.
    characters: message.messageSize / BITS_PER_CHARACTER[encoding],
  };
}

/**
 * A short link as the built-in shortener makes it on a modest host, e.g.
 * "https://chat.example-bank.com/s/AbCd1234" (40 characters). Bitly links are about 22,
 * so this errs on the long side, which is the safe side for a length warning.
 */
export const TYPICAL_LINK_LENGTH = 40;

/**
 * Measures a campaign message before any call fills it: {link} stands in for a link of
 * the given length. Links are plain ASCII (GSM-7 basic characters), so the stand-in is
 * too: it must never be what tips a text into UCS-2.
 */
export function segmentsWithTypicalLink(messageTemplate: string, linkLength: number = TYPICAL_LINK_LENGTH): SmsMeasure {
  return measureSms(renderMessage(messageTemplate, 'x'.repeat(linkLength)));
}
