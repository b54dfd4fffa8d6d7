/**
 * DTMF keys as both callers and grammars write them. The sixteen DTMF tones are 0-9, * and #
 * plus A-D (absent from phone keypads, but SRGS allows them). Case is not significant.
 */
const KEY = /^[0-9*#A-D]$/;

/** The keys in a pressed sequence or a grammar token ("12*", "1 2 *"), or undefined when something in it is not a key. */
export function keyList(text: string): string[] | undefined {
  const keys = [...text.replace(/\s+/g, '').toUpperCase()];
  return keys.every((key) => KEY.test(key)) ? keys : undefined;
}

/**
 * The utterance of a DTMF match: its keys separated by single spaces ("1 2 3"). VoiceXML only
 * says the utterance of DTMF input is "the matched digit string"; spaced keys follow how the
 * specs write DTMF sequences (the dtmf attribute, SRGS DTMF tokens) and SISR's text of a match
 * (tokens separated by single spaces), so for an SRGS grammar without tags the utterance and the
 * interpretation are the same string, as they are for speech.
 */
export function utteranceOf(keys: readonly string[]): string {
  return keys.join(' ');
}
