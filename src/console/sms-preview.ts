import { renderMessage } from '../deflection/message';
import { SHORT_CODE_LENGTH } from '../shortener/builtin';
import { measureSms, type SmsMeasure } from '../sms/segments';

export interface SmsPreview extends SmsMeasure {
  /** The text as a caller would get it, with a sample short link of the real length. */
  text: string;
  /** What one segment holds in this encoding once a text is split (153 or 67). */
  perSegment: number;
  /** Problems an admin should fix before saving (no {link}, too long). */
  warnings: string[];
}

/** Texts longer than this are refused by most gateways (Twilio's limit is 1,600). */
const MAX_CHARACTERS = 1_600;

/**
 * The console's live preview: the message filled with a short link of exactly the length
 * this server hands out, so the counts match what the gateway will bill.
 */
export function previewSms(template: string, publicBaseUrl: string): SmsPreview {
  const sampleLink = `${publicBaseUrl}/s/${'AbCd1234eFgH'.slice(0, SHORT_CODE_LENGTH)}`;
  const text = renderMessage(template, sampleLink);
  const measure = measureSms(text);
  const single = measure.encoding === 'GSM-7' ? 160 : 70;
  const warnings: string[] = [];
  if (!template.includes('{link}')) warnings.push('The text has no {link}: the caller would get no way to start the chat.');
  if (measure.characters > MAX_CHARACTERS) warnings.push(`The text is over ${MAX_CHARACTERS} characters; gateways refuse it.`);
  if (measure.segments > 1) {
    warnings.push(
      `This text needs ${measure.segments} segments (${single} characters fit in one ${measure.encoding} text); each is billed.`,
    );
  }
  if (measure.encoding === 'UCS-2') {
    warnings.push('A character outside the GSM alphabet (curly quote, emoji, accent) makes the whole text UCS-2: 70 characters per segment.');
  }
  return { ...measure, text, perSegment: measure.segments > 1 ? single - (single === 160 ? 7 : 3) : single, warnings };
}
